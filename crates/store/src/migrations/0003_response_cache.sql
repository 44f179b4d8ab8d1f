-- Whether a cell's answer came from the response cache, and whether its token
-- counts are estimates; and the cache itself, keyed by a hash of the request.
ALTER TABLE cells ADD COLUMN cached INTEGER NOT NULL DEFAULT 0 CHECK (cached IN (0, 1));
ALTER TABLE cells ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0 CHECK (usage_estimated IN (0, 1));

CREATE TABLE response_cache (
    key TEXT PRIMARY KEY,
    output TEXT NOT NULL,
    input_tokens INTEGER,
    output_tokens INTEGER,
    usage_estimated INTEGER NOT NULL CHECK (usage_estimated IN (0, 1)),
    created_at TEXT NOT NULL
) STRICT;

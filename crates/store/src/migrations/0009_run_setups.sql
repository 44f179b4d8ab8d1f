-- A prompt's run setup, shared by the window and `whet run`: the variables panel's
-- values (one JSON object, any JSON value per variable) and the variants the window
-- shows as panes (a JSON array of {source, target}; NULL until first saved).
CREATE TABLE run_setups (
    prompt_id  INTEGER PRIMARY KEY REFERENCES prompts (id) ON DELETE CASCADE,
    vars       TEXT NOT NULL DEFAULT '{}'
               CHECK (json_valid(vars) AND json_type(vars) = 'object'),
    variants   TEXT CHECK (variants IS NULL OR (json_valid(variants) AND json_type(variants) = 'array')),
    updated_at TEXT NOT NULL
) STRICT;

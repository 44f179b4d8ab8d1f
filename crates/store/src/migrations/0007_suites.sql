-- Suites: each prompt's test cases, in order, and the assertions every case gets;
-- and the scores scorers give cells, kept apart from the cells (re-computable).
CREATE TABLE suites (
    prompt_id  INTEGER PRIMARY KEY REFERENCES prompts (id) ON DELETE CASCADE,
    assertions TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(assertions)),
    updated_at TEXT NOT NULL
) STRICT;

-- A case is kept whole as JSON (values, reference, assertions, threshold …): the
-- suite is read and saved as a whole, and new case fields need no migration.
CREATE TABLE cases (
    prompt_id INTEGER NOT NULL REFERENCES suites (prompt_id) ON DELETE CASCADE,
    id        TEXT NOT NULL CHECK (id <> ''),
    position  INTEGER NOT NULL,
    body      TEXT NOT NULL CHECK (json_valid(body)),
    PRIMARY KEY (prompt_id, id)
) STRICT;

CREATE INDEX cases_in_order ON cases (prompt_id, position);

CREATE TABLE scores (
    cell_id INTEGER NOT NULL REFERENCES cells (id) ON DELETE CASCADE,
    scorer  TEXT NOT NULL,
    value   REAL NOT NULL CHECK (value >= 0 AND value <= 1),
    pass    INTEGER NOT NULL CHECK (pass IN (0, 1)),
    reason  TEXT NOT NULL,
    PRIMARY KEY (cell_id, scorer)
) STRICT;

-- The price table (US dollars per million tokens, per provider and model) and the
-- cost of each cell, computed when it ended so that later price edits do not
-- rewrite what past runs cost.
CREATE TABLE prices (
    provider        TEXT NOT NULL REFERENCES providers (id) ON DELETE CASCADE,
    model           TEXT NOT NULL CHECK (model <> ''),
    input_per_mtok  REAL NOT NULL CHECK (input_per_mtok >= 0),
    output_per_mtok REAL NOT NULL CHECK (output_per_mtok >= 0),
    PRIMARY KEY (provider, model)
) STRICT;

ALTER TABLE cells ADD COLUMN cost_usd REAL;

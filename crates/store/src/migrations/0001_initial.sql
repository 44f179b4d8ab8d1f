-- Migration 1: the initial library.
-- JSON columns are TEXT checked with json_valid; timestamps are RFC 3339 UTC text.

CREATE TABLE prompts (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (trim(name) <> ''),
    draft        TEXT NOT NULL DEFAULT '',
    draft_target TEXT CHECK (draft_target IS NULL OR json_valid(draft_target)),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
) STRICT;

CREATE TABLE versions (
    id             INTEGER PRIMARY KEY,
    prompt_id      INTEGER NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    number         INTEGER NOT NULL CHECK (number >= 1),
    template       TEXT NOT NULL,
    default_target TEXT CHECK (default_target IS NULL OR json_valid(default_target)),
    inputs         TEXT NOT NULL CHECK (json_valid(inputs)),
    message        TEXT NOT NULL DEFAULT '',
    parent_id      INTEGER REFERENCES versions (id) ON DELETE SET NULL,
    content_hash   TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (prompt_id, number)
) STRICT;

-- Foreign keys are looked up from the parent side on delete; index them.
CREATE INDEX versions_by_parent ON versions (parent_id);

CREATE TABLE labels (
    prompt_id  INTEGER NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    -- `latest` is implicit (the newest version) and never stored.
    name       TEXT NOT NULL CHECK (name <> '' AND lower(name) <> 'latest'),
    version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    PRIMARY KEY (prompt_id, name)
) STRICT;

CREATE INDEX labels_by_version ON labels (version_id);

CREATE TABLE providers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- The serde name of ProviderKind.
    kind       TEXT NOT NULL,
    base_url   TEXT,
    created_at TEXT NOT NULL
) STRICT;

INSERT INTO providers (id, name, kind, base_url, created_at) VALUES
    ('ollama', 'Ollama', 'ollama', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    ('echo', 'Echo', 'echo', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    prompt_id   INTEGER NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
    spec        TEXT NOT NULL CHECK (json_valid(spec)),
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    finished_at TEXT
) STRICT;

-- A prompt's run history, newest first.
CREATE INDEX runs_by_prompt ON runs (prompt_id, created_at DESC, id DESC);

CREATE TABLE cells (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    pane          INTEGER NOT NULL,
    case_index    INTEGER NOT NULL,
    sample        INTEGER NOT NULL,
    version_id    INTEGER REFERENCES versions (id) ON DELETE SET NULL,
    target        TEXT NOT NULL CHECK (json_valid(target)),
    vars          TEXT NOT NULL CHECK (json_valid(vars)),
    messages      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(messages)),
    output        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    error         TEXT,
    ttft_ms       REAL,
    total_ms      REAL,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    started_at    TEXT,
    finished_at   TEXT
) STRICT;

-- A run's cells in grid order.
CREATE INDEX cells_by_run ON cells (run_id, pane, case_index, sample);
CREATE INDEX cells_by_version ON cells (version_id);

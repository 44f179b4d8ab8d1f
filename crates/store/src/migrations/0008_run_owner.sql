-- Who is running a run: the process that started it (JSON, written by the core), so
-- another process can tell a run whose process is gone from one still going. Runs
-- saved before have none.
ALTER TABLE runs ADD COLUMN owner TEXT CHECK (owner IS NULL OR json_valid(owner));

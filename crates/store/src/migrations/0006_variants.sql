-- A run's columns are variants (a template source on a target), not panes: the
-- window shows each as a pane, but suites and the CLI have none. Cells name the
-- test case they answered by its stable id; runs saved before keep ''.
ALTER TABLE cells RENAME COLUMN pane TO variant;
ALTER TABLE cells ADD COLUMN case_id TEXT NOT NULL DEFAULT '';

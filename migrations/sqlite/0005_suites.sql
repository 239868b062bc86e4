-- Stored suites, versioned: every save of a suite adds a version; old versions stay readable and runnable.
CREATE TABLE suites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX suites_by_user ON suites(user_id, updated_at);

CREATE TABLE suite_versions (
    suite_id INTEGER NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (suite_id, version)
);

-- What a suite run ran: the stored suite and version (if it was stored), the exact text, and the
-- environment, so Restart runs the same again and history can be filtered and compared by suite.
ALTER TABLE runs ADD COLUMN suite_id INTEGER REFERENCES suites(id);
ALTER TABLE runs ADD COLUMN suite_version INTEGER;
ALTER TABLE runs ADD COLUMN suite_text TEXT;
ALTER TABLE runs ADD COLUMN environment TEXT;
CREATE INDEX runs_by_suite ON runs(suite_id, created_at);

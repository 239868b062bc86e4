-- One row per run of a test. `snapshot` holds the run's last known state as JSON (the protocol's
-- RunSnapshot), written on every status change and at the end, so a finished run can be shown and
-- subscribed to after the server restarts.
CREATE TABLE runs (
    id          TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    test_key    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    snapshot    TEXT    NOT NULL
);
CREATE INDEX runs_by_user ON runs(user_id, created_at DESC);

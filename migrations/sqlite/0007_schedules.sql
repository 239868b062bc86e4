-- Scheduled runs of stored suites: a cron pattern in an IANA time zone, run as the user who made the
-- schedule, with an optional webhook called when its runs fail or recover.
CREATE TABLE schedules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    suite_id    INTEGER NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    cron        TEXT    NOT NULL,
    timezone    TEXT    NOT NULL,
    environment TEXT,
    webhook_url TEXT,
    enabled     INTEGER NOT NULL DEFAULT 1,
    -- When it fires next (ms since the epoch). A node claims a fire by moving this forward in the
    -- same transaction that inserts the run, so each fire starts exactly one run.
    next_at     INTEGER NOT NULL,
    -- Why the last fire started no run (over budget, suite gone, ...), until one starts.
    last_error  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules(enabled, next_at);

-- A scheduled run: its schedule and the fire time it belongs to (one run per fire), and whether its
-- outcome was looked at for alerts ('failed', 'recovered' or 'none'; NULL until it is).
ALTER TABLE runs ADD COLUMN schedule_id INTEGER;
ALTER TABLE runs ADD COLUMN scheduled_for INTEGER;
ALTER TABLE runs ADD COLUMN alert TEXT;
CREATE UNIQUE INDEX runs_one_per_fire ON runs(schedule_id, scheduled_for) WHERE schedule_id IS NOT NULL;
CREATE INDEX runs_unalerted ON runs(schedule_id) WHERE schedule_id IS NOT NULL AND alert IS NULL;

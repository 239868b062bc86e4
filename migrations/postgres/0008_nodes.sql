-- The nodes serving this database and when each was last seen (a heartbeat), and which node executes
-- each run: a run whose node stopped being seen for longer than the lease is marked `interrupted` by
-- another node (or by the next start of this one).
CREATE TABLE nodes (
    id         TEXT    PRIMARY KEY,
    started_at BIGINT  NOT NULL,
    seen_at    BIGINT  NOT NULL
);
ALTER TABLE runs ADD COLUMN node TEXT;
CREATE INDEX runs_unfinished ON runs(status) WHERE status IN ('queued', 'running');

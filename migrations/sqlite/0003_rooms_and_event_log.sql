-- Rooms: named groups of users. A run started in a room is visible to all of its members.
CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE TABLE room_members (
    room_id  INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, user_id)
);

ALTER TABLE runs ADD COLUMN room TEXT;
CREATE INDEX runs_by_room ON runs(room, created_at DESC);

-- Every event of every run, exactly as it was sent, for clients resuming with `since_seq` (also
-- after a restart). `epoch` names the stream the `seq` counts in.
CREATE TABLE run_events (
    run_id TEXT    NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch  TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    body   TEXT    NOT NULL,
    PRIMARY KEY (run_id, epoch, seq)
) WITHOUT ROWID;

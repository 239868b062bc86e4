-- Accounts for a team: a role each (admin, member, viewer), accounts that can be disabled, and a
-- token version: raising it ends every session of the user (sign-out, password change, disabling).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;

-- Personal access tokens for CI. Only a SHA-256 of the secret is kept; the secret is shown once.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);

-- Who did what, from where and when. Never a secret or a password.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    actor_id INTEGER,
    actor    TEXT    NOT NULL,
    ip       TEXT,
    action   TEXT    NOT NULL,
    target   TEXT,
    detail   TEXT
);
CREATE INDEX audit_by_time ON audit_log(at);

-- Settings an admin may change while the server runs (e.g. self-registration).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Rooms as team spaces: a room admin manages its members and the suites shared into it.
ALTER TABLE room_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
UPDATE room_members SET role = 'admin'
    WHERE EXISTS (SELECT 1 FROM rooms r WHERE r.id = room_id AND r.created_by = user_id);
CREATE TABLE suite_rooms (
    suite_id INTEGER NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
    room_id  INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    PRIMARY KEY (suite_id, room_id)
);

-- What a run may cost its user (virtual-user seconds for load runs, events for synthetic runs,
-- requests for the others), counted against the user's daily budget.
ALTER TABLE runs ADD COLUMN cost INTEGER NOT NULL DEFAULT 0;
-- Variables given when the run was started (REST API, CLI), so a restart runs the same again.
ALTER TABLE runs ADD COLUMN variables TEXT;
CREATE INDEX runs_by_time ON runs(created_at);

-- A username names one account whatever its letter case: "Alice" cannot be registered beside
-- "alice", and signing in, adding to a room or changing a role finds the account however it is typed.
-- The name keeps the case it was created with. Accounts that clash already (created before this
-- rule) are renamed, the oldest keeping its name: the others get "~<id>" appended, which no valid
-- username contains, so the new names clash with nothing (they sign in with the new name, and
-- `livecheck user list` shows it).
UPDATE users SET username = username || '~' || id
WHERE id NOT IN (SELECT MIN(id) FROM users GROUP BY lower(username));
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

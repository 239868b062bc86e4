-- The options a run was started with (delay, synthetic rate …), so Restart can start the same again.
ALTER TABLE runs ADD COLUMN options TEXT NOT NULL DEFAULT '{}';

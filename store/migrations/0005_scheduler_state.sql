-- The scheduler's memory of each source (daemon/fetch/source_state.h), so that a restart keeps
-- a source's update rhythm and a host's Retry-After. The backoff and the adapted interval are
-- derived from these and from consecutive_failures by the scheduler, so they are not stored.
ALTER TABLE sources ADD COLUMN mean_update_gap_seconds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN updates_observed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN retry_after_until INTEGER;
ALTER TABLE sources DROP COLUMN backoff_seconds;
ALTER TABLE sources DROP COLUMN poll_interval_seconds;

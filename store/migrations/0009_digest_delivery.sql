-- Digest delivery, wired into the daemon: where each channel stands, what the outbox needs to
-- send a digest again byte for byte, the daemon's heartbeat for `chuhai status`, and each
-- source's own link to an item (a story lists every source with its own link).

-- The end of the last period each channel digested, so that a restart neither repeats nor
-- skips a period. Advanced in the transaction that records the period's digest.
CREATE TABLE digest_channels (
    channel         TEXT PRIMARY KEY,
    last_period_end INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- The envelope is recorded with the payload: a resend after a configuration change still goes
-- where the recorded message says it goes.
ALTER TABLE digests ADD COLUMN kind TEXT NOT NULL DEFAULT 'email'
    CHECK (kind IN ('email', 'webhook'));
ALTER TABLE digests ADD COLUMN envelope_from TEXT NOT NULL DEFAULT '';
ALTER TABLE digests ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(recipients));
ALTER TABLE digests ADD COLUMN story_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX digests_by_status ON digests(status, created_at);

-- One row: the latest `chuhai run` (pid, start, last heartbeat, clean stop) and the latest poll
-- cycle any command finished.
CREATE TABLE daemon_status (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    pid                INTEGER,
    started_at         INTEGER,
    heartbeat_at       INTEGER,
    stopped_at         INTEGER,
    last_cycle_end     INTEGER,
    last_cycle_summary TEXT,
    last_cycle_by      TEXT
);

ALTER TABLE sightings ADD COLUMN link TEXT;

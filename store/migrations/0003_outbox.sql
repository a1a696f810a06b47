-- The digest outbox: a digest is recorded, with the items it carries, in one transaction
-- before it is sent, and marked sent once the server accepted it. Its message_id (the
-- Message-ID or webhook idempotency key) stays the same on every attempt, so a resend after a
-- crash is recognisable as the same message.

CREATE TABLE digests (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    message_id   TEXT NOT NULL UNIQUE,
    payload      BLOB NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX digests_due ON digests(status, next_attempt);
CREATE INDEX digests_by_channel ON digests(channel, period_end);

-- Which items each channel has carried: the primary key makes "never twice in one channel" a
-- constraint, not a convention.
CREATE TABLE digest_items (
    channel   TEXT NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES items(id),
    digest_id INTEGER NOT NULL REFERENCES digests(id),
    PRIMARY KEY (channel, item_id)
) WITHOUT ROWID;
CREATE INDEX digest_items_by_digest ON digest_items(digest_id);

-- The core schema: sources with their health and schedule, fetch attempts, items with the
-- sightings that say which sources carried them, revisions, stories (near-duplicate groups) and
-- rule matches. Times are INTEGER seconds since the Unix epoch, UTC. See docs/storage.md.

CREATE TABLE sources (
    id                    INTEGER PRIMARY KEY,
    url                   TEXT NOT NULL UNIQUE,
    name                  TEXT NOT NULL,
    tags                  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
    kind                  TEXT NOT NULL CHECK (kind IN ('feed', 'seed')),
    origin                TEXT NOT NULL CHECK (origin IN ('config', 'cli')),
    interval_seconds      INTEGER,             -- configured poll interval; NULL: the default
    timezone              TEXT NOT NULL DEFAULT 'UTC',
    enabled               INTEGER NOT NULL DEFAULT 1,
    created_at            INTEGER NOT NULL,
    removed_at            INTEGER,             -- removed by the user; kept for provenance
    disabled_reason       TEXT,                -- disabled by chuhai, e.g. "410 Gone"
    disabled_at           INTEGER,
    -- health, from the latest fetch attempts
    last_attempt          INTEGER,
    last_success          INTEGER,
    last_status           INTEGER,
    last_error            TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    last_bytes            INTEGER,
    last_duration_ms      INTEGER,
    last_items_seen       INTEGER,
    last_items_new        INTEGER,
    etag                  TEXT,                -- validators for the next conditional GET
    last_modified         TEXT,
    -- schedule, so that it survives restarts
    next_poll             INTEGER,
    backoff_seconds       INTEGER NOT NULL DEFAULT 0,
    poll_interval_seconds INTEGER              -- the interval in use after adaptation
);

-- Earlier URLs of sources that moved (permanent redirects), so that the configuration can keep
-- naming a source by its old URL.
CREATE TABLE source_aliases (
    url        TEXT PRIMARY KEY,
    source_id  INTEGER NOT NULL REFERENCES sources(id),
    renamed_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per fetch attempt. Attempts that stored nothing are pruned to the latest few per
-- source; attempts that produced sightings or revisions are provenance and are kept.
CREATE TABLE fetches (
    id             INTEGER PRIMARY KEY,
    source_id      INTEGER NOT NULL REFERENCES sources(id),
    started_at     INTEGER NOT NULL,
    duration_ms    INTEGER NOT NULL DEFAULT 0,
    requested_url  TEXT NOT NULL,
    final_url      TEXT,                       -- after redirects
    http_status    INTEGER,
    outcome        TEXT NOT NULL CHECK (outcome IN ('ok', 'not_modified', 'failed')),
    error          TEXT,
    bytes          INTEGER NOT NULL DEFAULT 0,
    etag           TEXT,                       -- validators the response carried
    last_modified  TEXT,
    items_seen     INTEGER NOT NULL DEFAULT 0,
    items_new      INTEGER NOT NULL DEFAULT 0, -- items stored for the first time
    new_sightings  INTEGER NOT NULL DEFAULT 0, -- items this source carried for the first time
    items_revised  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fetches_by_source ON fetches(source_id);  -- with the rowid: latest first

-- Near-duplicate groups: syndicated copies of one story under different URLs.
CREATE TABLE stories (
    id              INTEGER PRIMARY KEY,
    first_source_id INTEGER NOT NULL REFERENCES sources(id),
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL              -- when the latest member joined
);

CREATE TABLE items (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES sources(id),  -- the first source to carry it
    item_key        TEXT NOT NULL,                            -- that source's key for it
    canonical_url   TEXT,
    link            TEXT,
    title           TEXT NOT NULL DEFAULT '',
    author          TEXT,
    published       INTEGER,
    updated         INTEGER,
    first_seen      INTEGER NOT NULL,
    summary         TEXT,                                     -- plain text
    content         TEXT,                                     -- plain text
    content_html    TEXT,
    categories      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(categories)),
    content_hash    TEXT NOT NULL,
    fingerprint     INTEGER,                                  -- 64-bit SimHash, as signed
    language        TEXT,
    story_id        INTEGER NOT NULL REFERENCES stories(id),
    revision_count  INTEGER NOT NULL DEFAULT 0,
    last_revised    INTEGER,
    text_dropped_at INTEGER                                   -- retention removed the text
);
CREATE UNIQUE INDEX items_by_canonical_url ON items(canonical_url)
    WHERE canonical_url IS NOT NULL;
CREATE INDEX items_by_first_seen ON items(first_seen);
CREATE INDEX items_by_story ON items(story_id);
CREATE INDEX items_by_source ON items(source_id, first_seen);

-- Which sources carried which item, under which key, first seen in which fetch. Every item has
-- the sighting of its first source; an item found under the same URL in another source gets
-- another sighting instead of a second row in items.
CREATE TABLE sightings (
    source_id      INTEGER NOT NULL REFERENCES sources(id),
    item_key       TEXT NOT NULL,
    item_id        INTEGER NOT NULL REFERENCES items(id),
    first_fetch_id INTEGER,                                   -- fetches.id (kept, see above)
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    PRIMARY KEY (source_id, item_key)
) WITHOUT ROWID;
CREATE INDEX sightings_by_item ON sightings(item_id);

-- Earlier versions of items whose title or content changed: each row holds the version that
-- the change replaced.
CREATE TABLE item_revisions (
    id           INTEGER PRIMARY KEY,
    item_id      INTEGER NOT NULL REFERENCES items(id),
    replaced_at  INTEGER NOT NULL,
    fetch_id     INTEGER,                                     -- the fetch that saw the change
    title        TEXT NOT NULL,
    summary      TEXT,
    content      TEXT,
    content_html TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX item_revisions_by_item ON item_revisions(item_id);

-- The near-duplicate index: each fingerprint split into four 16-bit bands. Two fingerprints
-- within Hamming distance 3 agree on at least one band, so candidates are found by band
-- lookups, not by a scan. Only items inside the story window are kept here.
CREATE TABLE fingerprint_bands (
    band    INTEGER NOT NULL,                                 -- (band number << 16) | bits
    item_id INTEGER NOT NULL,
    PRIMARY KEY (band, item_id)
) WITHOUT ROWID;

CREATE TABLE matches (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items(id),
    rule_id         TEXT NOT NULL,
    ruleset_version TEXT NOT NULL,
    score           REAL NOT NULL,
    topic           TEXT NOT NULL DEFAULT '',
    evidence        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence)),
    matched_at      INTEGER NOT NULL,
    UNIQUE (item_id, rule_id, ruleset_version)
);
CREATE INDEX matches_by_topic ON matches(topic, matched_at);

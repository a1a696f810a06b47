-- Similarity of each item to the seed corpus (TF-IDF cosine, 0..1) and its nearest corpus
-- document. Items stored before this migration keep NULL: not computed.

ALTER TABLE items ADD COLUMN corpus_score REAL;
ALTER TABLE items ADD COLUMN corpus_item_id INTEGER REFERENCES items(id);

-- Counters the store keeps between runs. corpus_generation changes whenever a seed document
-- is added or revised, so that every connection knows when to rebuild its corpus model.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO store_meta(key, value) VALUES ('corpus_generation', 0);

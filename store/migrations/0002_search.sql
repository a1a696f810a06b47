-- Full-text search over title, summary and content, for English and Chinese alike: the
-- "chuhai" tokenizer (store/terms.h) folds words and cuts CJK text into character bigrams.
-- An external-content index: the text lives once, in items.
--
-- The writer (store/sqlite_store.cc) adds each new item to the index itself, right after
-- inserting it. An AFTER INSERT trigger would do the same, but a statement that fires a trigger
-- runs in a statement transaction, and FTS5 flushes its pending terms to a new segment at every
-- statement savepoint: one tiny segment per item, several times slower to ingest. Changes and
-- deletions are rare and go through the triggers below.

CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary, content,
    content = 'items', content_rowid = 'id',
    tokenize = 'chuhai'
);

-- A hit in the title counts more than one in the summary, which counts more than the body.
INSERT INTO items_fts(items_fts, rank) VALUES ('rank', 'bm25(4.0, 2.0, 1.0)');

CREATE TRIGGER items_fts_after_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
END;

CREATE TRIGGER items_fts_after_update AFTER UPDATE OF title, summary, content ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
    INSERT INTO items_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
END;

-- Items stored before this migration.
INSERT INTO items_fts(items_fts) VALUES ('rebuild');

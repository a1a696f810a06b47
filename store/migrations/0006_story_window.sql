-- The near-duplicate index of 0001 found fingerprints within 3 bits, while copies of one story
-- lie 8 to 14 bits apart. The writer now keeps the story window's fingerprints in memory and
-- reads them from items (store/story_window.h), so the band table goes.
DROP TABLE fingerprint_bands;

-- What a source last said about its own freshness (daemon/fetch/source_state.h): the lifetime its
-- last response declared (Cache-Control: max-age, else Expires minus Date) and the RSS <ttl> of
-- its last feed. A 304 usually repeats neither, so without them the next delay after a 304 fell
-- back to the plain interval; stored, they keep lengthening it across polls and restarts.
ALTER TABLE sources ADD COLUMN freshness_seconds INTEGER;
ALTER TABLE sources ADD COLUMN ttl_minutes INTEGER;

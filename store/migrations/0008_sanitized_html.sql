-- An item's HTML made safe for digests (text/html_sanitize.h: allow-listed tags and attributes,
-- no scripts, styles, event handlers or external resources, absolute links). The pipeline
-- computes it on the worker pool for items that matched a rule, and only for them (gumbo is
-- slow next to the parser); NULL for every other item. A revision replaces it, or clears it when
-- the revised item matched no rule.
ALTER TABLE items ADD COLUMN sanitized_html TEXT;

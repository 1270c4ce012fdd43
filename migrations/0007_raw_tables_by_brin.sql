-- The raw per-round tables (engagements, reactions, lives, trade_events) keep what the file said
-- and what was derived from it; queries read their figures from the derived tables and the
-- totals, and a round's deaths through engagements_deaths (0002). Their rows are looked up by
-- round only when a round is deleted (the rounds trigger). A B-tree on (round_id, …) cost every
-- import one index entry per row (~1,800 in a 24-player round, ~3 ms). A BRIN index on round_id
-- costs almost nothing to keep, because rows are appended in round order, and still finds a
-- deleted round's rows. (The importer numbers a round's rows itself: no key needed to keep them
-- unique.)
ALTER TABLE engagements DROP CONSTRAINT engagements_pkey;
CREATE INDEX engagements_round ON engagements USING brin (round_id) WITH (pages_per_range = 32);
ALTER TABLE reactions DROP CONSTRAINT reactions_pkey;
CREATE INDEX reactions_round ON reactions USING brin (round_id) WITH (pages_per_range = 32);
ALTER TABLE lives DROP CONSTRAINT lives_pkey;
CREATE INDEX lives_round ON lives USING brin (round_id) WITH (pages_per_range = 32);
DROP INDEX trade_events_round;
CREATE INDEX trade_events_round ON trade_events USING brin (round_id) WITH (pages_per_range = 32);

-- A player's death heatmap reads the engagements that ended in a death only.
DROP INDEX engagements_target;
CREATE INDEX engagements_target ON engagements (target_guid) WHERE death_x IS NOT NULL;

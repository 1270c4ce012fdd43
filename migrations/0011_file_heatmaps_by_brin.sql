-- As 0007 did for the other raw tables: the heatmap cells the tracker wrote (kill_cells,
-- movement_cells) are kept as the file said, and no query reads them but the rounds trigger, by
-- round. Their primary keys cost every import one B-tree entry per cell (~170 in a 24-player
-- round); a BRIN index on round_id costs almost nothing and still finds a deleted round's rows.
-- The importer sums repeated cells itself (store::rows), so a round's cells stay unique.
ALTER TABLE kill_cells DROP CONSTRAINT kill_cells_pkey;
CREATE INDEX kill_cells_round ON kill_cells USING brin (round_id) WITH (pages_per_range = 32);
ALTER TABLE movement_cells DROP CONSTRAINT movement_cells_pkey;
CREATE INDEX movement_cells_round ON movement_cells USING brin (round_id)
    WITH (pages_per_range = 32);

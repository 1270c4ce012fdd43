-- Values over ~2 kB are compressed when written. Columns created without a method use pglz,
-- which cost imports ~1 ms per round (the all-players presence arrays, the per-player presence
-- cells, the heatmap totals rewritten by every import) and reads as much to decompress. lz4
-- compresses these as well and several times faster. New values only; older ones stay readable.
ALTER TABLE engagements ALTER COLUMN attackers SET COMPRESSION lz4;
ALTER TABLE presence ALTER COLUMN cells SET COMPRESSION lz4;
ALTER TABLE round_presence
    ALTER COLUMN cell_x SET COMPRESSION lz4,
    ALTER COLUMN cell_y SET COMPRESSION lz4,
    ALTER COLUMN samples SET COMPRESSION lz4;
ALTER TABLE heat_totals
    ALTER COLUMN cell_x SET COMPRESSION lz4,
    ALTER COLUMN cell_y SET COMPRESSION lz4,
    ALTER COLUMN killer_team SET COMPRESSION lz4,
    ALTER COLUMN target_team SET COMPRESSION lz4,
    ALTER COLUMN n SET COMPRESSION lz4;

-- The functions and triggers that keep the monthly and yearly totals (0001_schema.sql).
--
-- The player figure columns are read from the catalogue (the columns of player_round_totals
-- after its key), so a migration that adds a figure only adds the column to both
-- player_round_totals and player_totals (with `NOT NULL DEFAULT 0`); no function changes.
--
-- Rows are written in key order so that concurrent batches lock shared rows in the same order;
-- keys are grouped and sorted bytewise (COLLATE "C": GUIDs and map names need no linguistic
-- order, and it is faster).

-- The tables that hold rows of one round, by round_id. The rounds triggers remove a deleted
-- round's rows from each, so that a table added later needs adding here only.
CREATE FUNCTION per_round_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['round_players', 'player_round_totals', 'engagements', 'lives', 'kill_cells',
                 'movement_cells', 'presence', 'round_presence', 'pair_stats', 'player_teamplay',
                 'round_trade_events', 'player_trades', 'player_support', 'round_reactions',
                 'objective_focus']
$$;

-- Adds (sign 1) or subtracts (sign -1) the per-round player and pair figures of the rounds `ids`
-- to or from the player and pair totals of their months and years. The player part is built
-- from the figure columns of player_round_totals; each sum is cast back to its column's type.
CREATE FUNCTION rollup_totals(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    cols text;
    sums text;
    updates text;
BEGIN
SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum),
       string_agg(format('($2 * sum(f.%I))::%s', a.attname,
                         format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum),
       string_agg(format('%1$I = t.%1$I + EXCLUDED.%1$I', a.attname), ', ' ORDER BY a.attnum)
INTO cols, sums, updates
FROM pg_attribute a
WHERE a.attrelid = 'player_round_totals'::regclass AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attname NOT IN ('round_id', 'guid');

EXECUTE format(
    'INSERT INTO player_totals AS t (months, bucket, map, guid, %s)
     SELECT p.months, p.bucket, p.map COLLATE "C", f.guid COLLATE "C", %s
     FROM player_round_totals f JOIN round_periods p ON p.round_id = f.round_id
     WHERE f.round_id = ANY ($1) AND p.round_id = ANY ($1)
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 3, 4
     ON CONFLICT (months, bucket, map, guid) DO UPDATE SET %s',
    cols, sums, updates)
USING ids, sign;

INSERT INTO pair_totals AS t
SELECT p.months, p.bucket, p.map COLLATE "C", s.guid_a COLLATE "C", s.guid_b COLLATE "C",
       sign * count(*), sign * count(*) FILTER (WHERE s.together),
       sign * sum(s.crossfires), sign * sum(s.crossfire_kills), sign * sum(s.combined_damage)
FROM pair_stats s JOIN round_periods p ON p.round_id = s.round_id
WHERE s.round_id = ANY (ids) AND p.round_id = ANY (ids)
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (months, bucket, map, guid_a, guid_b) DO UPDATE SET
    rounds = t.rounds + EXCLUDED.rounds, together = t.together + EXCLUDED.together,
    crossfires = t.crossfires + EXCLUDED.crossfires,
    crossfire_kills = t.crossfire_kills + EXCLUDED.crossfire_kills,
    combined_damage = t.combined_damage + EXCLUDED.combined_damage;
END $$;

-- The heatmap part of rollup_rounds. (Batches of new rounds merge their cells in Rust instead,
-- store::totals, which is faster than these array merges; deletions come here.)
CREATE FUNCTION rollup_heat(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
-- Cells are summed per month first, months into years, then each period's cells are merged
-- into its row. The five arrays of a row come from one aggregate pass, so they stay aligned
-- without being sorted.
WITH months AS (
    SELECT r.map COLLATE "C" AS map, date_trunc('month', r.played_at, 'UTC') AS bucket, h.kind,
           h.x, h.y, h.kt, h.tt, sign * sum(h.n)::int4 AS n
    FROM (SELECT e.round_id, 1::smallint AS kind, floor(e.death_x / 64)::int AS x,
                 floor(e.death_y / 64)::int AS y, coalesce(e.killer_team, 0)::smallint AS kt,
                 e.target_team AS tt, 1 AS n
          FROM engagements e WHERE e.round_id = ANY (ids) AND e.death_x IS NOT NULL
          UNION ALL
          SELECT c.round_id, 2::smallint, u.x, u.y, 0::smallint, 0::smallint, u.n
          FROM round_presence c, unnest(c.cell_x, c.cell_y, c.samples) AS u(x, y, n)
          WHERE c.round_id = ANY (ids)) h
    JOIN rounds r ON r.id = h.round_id
    WHERE r.id = ANY (ids)
    GROUP BY 1, 2, 3, 4, 5, 6, 7),
periods AS (
    SELECT 1::smallint AS months, * FROM months
    UNION ALL
    SELECT 12::smallint, map, date_trunc('year', bucket, 'UTC'), kind, x, y, kt, tt, sum(n)::int4
    FROM months GROUP BY 2, 3, 4, 5, 6, 7, 8)
INSERT INTO heat_totals AS t
SELECT months, bucket, map, kind, array_agg(x), array_agg(y),
       array_agg(kt), array_agg(tt),
       array_agg(n)
FROM periods
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (months, bucket, map, kind) DO UPDATE SET
    (cell_x, cell_y, killer_team, target_team, n) = (
        SELECT coalesce(array_agg(x), '{}'),
               coalesce(array_agg(y), '{}'),
               coalesce(array_agg(kt), '{}'),
               coalesce(array_agg(tt), '{}'),
               coalesce(array_agg(n), '{}')
        FROM (SELECT x, y, kt, tt, sum(n)::int4 AS n
              FROM (SELECT * FROM unnest(t.cell_x, t.cell_y, t.killer_team, t.target_team, t.n)
                    UNION ALL
                    SELECT * FROM unnest(EXCLUDED.cell_x, EXCLUDED.cell_y, EXCLUDED.killer_team,
                                         EXCLUDED.target_team, EXCLUDED.n)) AS u(x, y, kt, tt, n)
              GROUP BY 1, 2, 3, 4
              HAVING sum(n) <> 0) m);
END $$;

-- Adds (sign 1) or subtracts (sign -1) the rounds `ids` to or from every total.
CREATE FUNCTION rollup_rounds(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_totals(ids, sign);
    PERFORM rollup_heat(ids, sign);
END $$;

-- Deleting a round (by hand or by the program): subtract it from the totals while its rows
-- exist, remove its rows, then drop the total rows of its periods that no longer count anything.
-- A round that was never added to the totals (still in totals_pending) is not subtracted from
-- them. A round being added by another transaction has its row there locked; the DELETE waits
-- for that transaction and, once it has committed, finds the row gone and subtracts the round.
-- A player total is empty when all its integer figures are 0 (float sums such as distance may
-- keep a rounding residue, so they are not checked).
CREATE FUNCTION rounds_before_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tbl text;
    empty text;
BEGIN
    DELETE FROM totals_pending WHERE round_id = OLD.id;
    IF NOT FOUND THEN
        PERFORM rollup_rounds(ARRAY[OLD.id], -1);
    END IF;
    FOREACH tbl IN ARRAY per_round_tables() LOOP
        EXECUTE format('DELETE FROM %I WHERE round_id = $1', tbl) USING OLD.id;
    END LOOP;
    SELECT string_agg(format('t.%I = 0', a.attname), ' AND ' ORDER BY a.attnum)
    INTO empty
    FROM pg_attribute a
    WHERE a.attrelid = 'player_round_totals'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname NOT IN ('round_id', 'guid')
      AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype);
    EXECUTE format(
        'DELETE FROM player_totals t USING round_periods p
         WHERE p.round_id = $1 AND t.months = p.months AND t.bucket = p.bucket AND t.map = p.map
           AND %s', empty)
    USING OLD.id;
    DELETE FROM pair_totals t USING round_periods p
    WHERE p.round_id = OLD.id AND t.months = p.months AND t.bucket = p.bucket AND t.map = p.map
      AND t.rounds = 0;
    DELETE FROM heat_totals t USING round_periods p
    WHERE p.round_id = OLD.id AND t.months = p.months AND t.bucket = p.bucket AND t.map = p.map
      AND cardinality(t.n) = 0;
    RETURN OLD;
END $$;
CREATE TRIGGER rounds_subtract_totals BEFORE DELETE ON rounds
    FOR EACH ROW EXECUTE FUNCTION rounds_before_delete();

-- TRUNCATE bypasses row triggers: TRUNCATE rounds empties every per-round table and the totals
-- with it.
CREATE FUNCTION rounds_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'TRUNCATE ' || array_to_string(
        per_round_tables()
            || ARRAY['totals_pending', 'player_totals', 'pair_totals', 'heat_totals'], ', ');
    RETURN NULL;
END $$;
CREATE TRIGGER rounds_truncate_totals AFTER TRUNCATE ON rounds
    FOR EACH STATEMENT EXECUTE FUNCTION rounds_truncated();

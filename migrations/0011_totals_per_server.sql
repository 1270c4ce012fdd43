-- The monthly and yearly totals are kept per game server (rounds.server, 0010), and for all
-- servers together under the scope '*' (not a server label): a question about one server reads
-- that server's rows, a question about all servers the '*' rows, so neither reads ten years of
-- per-round rows nor sums the servers' rows at every question. The rows kept before hold all
-- servers' rounds: they are the '*' rows.
ALTER TABLE player_totals ADD COLUMN server text NOT NULL DEFAULT '*';
ALTER TABLE pair_totals ADD COLUMN server text NOT NULL DEFAULT '*';
ALTER TABLE heat_totals ADD COLUMN server text NOT NULL DEFAULT '*';
ALTER TABLE weapon_totals ADD COLUMN server text NOT NULL DEFAULT '*';
-- Every row written from now on names its server.
ALTER TABLE player_totals ALTER COLUMN server DROP DEFAULT;
ALTER TABLE pair_totals ALTER COLUMN server DROP DEFAULT;
ALTER TABLE heat_totals ALTER COLUMN server DROP DEFAULT;
ALTER TABLE weapon_totals ALTER COLUMN server DROP DEFAULT;

-- The scope comes after the map in each key: one scope's rows are next to each other within a
-- map.
ALTER TABLE player_totals DROP CONSTRAINT player_totals_pkey,
    ADD PRIMARY KEY (months, bucket, map, server, guid);
ALTER TABLE pair_totals DROP CONSTRAINT pair_totals_pkey,
    ADD PRIMARY KEY (months, bucket, map, server, guid_a, guid_b);
ALTER TABLE heat_totals DROP CONSTRAINT heat_totals_pkey,
    ADD PRIMARY KEY (months, bucket, map, server, kind);
ALTER TABLE weapon_totals DROP CONSTRAINT weapon_totals_pkey,
    ADD PRIMARY KEY (months, bucket, map, server, guid, weapon);

-- Each round counts on its server and on all ('*'): the rollups below group by `server` of this
-- view (rollup_heat) or of round_periods (the others, and deletions), so they keep both scopes.
CREATE VIEW round_scopes AS
SELECT r.id AS round_id, s.server
FROM rounds r CROSS JOIN LATERAL (VALUES (r.server), ('*')) AS s(server);

-- Each round counts in its month and in its year, in both its scopes.
CREATE OR REPLACE VIEW round_periods AS
SELECT r.id AS round_id, r.map, g.months, date_trunc(g.unit, r.played_at, 'UTC') AS bucket,
       s.server
FROM rounds r CROSS JOIN (VALUES (1::smallint, 'month'), (12::smallint, 'year')) AS g(months, unit)
CROSS JOIN LATERAL (VALUES (r.server), ('*')) AS s(server);

-- rollup_weapons (0007), per server.
CREATE OR REPLACE FUNCTION rollup_weapons(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
INSERT INTO weapon_totals AS t (months, bucket, map, server, guid, weapon, rounds, shots, hits,
                                kills, headshots, head, arms, body, legs)
SELECT p.months, p.bucket, p.map COLLATE "C", p.server COLLATE "C", w.guid COLLATE "C", w.weapon,
       sign * count(*), sign * sum(w.shots), sign * sum(w.hits), sign * sum(w.kills),
       sign * sum(w.headshots), sign * sum(w.head), sign * sum(w.arms), sign * sum(w.body),
       sign * sum(w.legs)
FROM round_weapons w JOIN round_periods p ON p.round_id = w.round_id
WHERE w.round_id = ANY (ids) AND p.round_id = ANY (ids)
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (months, bucket, map, server, guid, weapon) DO UPDATE SET
    rounds = t.rounds + EXCLUDED.rounds, shots = t.shots + EXCLUDED.shots,
    hits = t.hits + EXCLUDED.hits, kills = t.kills + EXCLUDED.kills,
    headshots = t.headshots + EXCLUDED.headshots, head = t.head + EXCLUDED.head,
    arms = t.arms + EXCLUDED.arms, body = t.body + EXCLUDED.body, legs = t.legs + EXCLUDED.legs;
IF sign < 0 THEN
    DELETE FROM weapon_totals t USING round_periods p
    WHERE p.round_id = ANY (ids) AND t.months = p.months AND t.bucket = p.bucket
      AND t.map = p.map AND t.server = p.server AND t.rounds = 0;
END IF;
END $$;

-- rollup_totals (0007), per server.
CREATE OR REPLACE FUNCTION rollup_totals(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
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
    'INSERT INTO player_totals AS t (months, bucket, map, server, guid, %s)
     SELECT p.months, p.bucket, p.map COLLATE "C", p.server COLLATE "C", f.guid COLLATE "C", %s
     FROM player_round_totals f JOIN round_periods p ON p.round_id = f.round_id
     WHERE f.round_id = ANY ($1) AND p.round_id = ANY ($1)
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 4, 5
     ON CONFLICT (months, bucket, map, server, guid) DO UPDATE SET %s',
    cols, sums, updates)
USING ids, sign;

INSERT INTO pair_totals AS t (months, bucket, map, server, guid_a, guid_b, rounds, together,
                              crossfires, crossfire_kills, combined_damage)
SELECT p.months, p.bucket, p.map COLLATE "C", p.server COLLATE "C", s.guid_a COLLATE "C",
       s.guid_b COLLATE "C",
       sign * count(*), sign * count(*) FILTER (WHERE s.together),
       sign * sum(s.crossfires), sign * sum(s.crossfire_kills), sign * sum(s.combined_damage)
FROM pair_stats s JOIN round_periods p ON p.round_id = s.round_id
WHERE s.round_id = ANY (ids) AND p.round_id = ANY (ids)
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (months, bucket, map, server, guid_a, guid_b) DO UPDATE SET
    rounds = t.rounds + EXCLUDED.rounds, together = t.together + EXCLUDED.together,
    crossfires = t.crossfires + EXCLUDED.crossfires,
    crossfire_kills = t.crossfire_kills + EXCLUDED.crossfire_kills,
    combined_damage = t.combined_damage + EXCLUDED.combined_damage;

PERFORM rollup_weapons(ids, sign);
END $$;

-- rollup_heat (0009), per server.
CREATE OR REPLACE FUNCTION rollup_heat(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
WITH months AS (
    SELECT r.map COLLATE "C" AS map, s.server COLLATE "C" AS server,
           date_trunc('month', r.played_at, 'UTC') AS bucket, h.kind,
           h.x, h.y, h.kt, h.tt, sign * sum(h.n)::int4 AS n
    FROM (SELECT e.round_id, 1::smallint AS kind, floor(e.death_x / 64)::int AS x,
                 floor(e.death_y / 64)::int AS y, coalesce(e.killer_team, 0)::smallint AS kt,
                 e.target_team AS tt, 1 AS n
          FROM engagements e WHERE e.round_id = ANY (ids) AND e.death_x IS NOT NULL
          UNION ALL
          SELECT c.round_id, 2::smallint, u.x, u.y, 0::smallint, 0::smallint, u.n
          FROM round_presence c, unnest(c.cell_x, c.cell_y, c.samples) AS u(x, y, n)
          WHERE c.round_id = ANY (ids)
          UNION ALL
          SELECT c.round_id, 3::smallint, c.x, c.y, c.team, 0::smallint, c.n
          FROM objective_cells(ids) c) h
    JOIN rounds r ON r.id = h.round_id
    JOIN round_scopes s ON s.round_id = r.id
    WHERE r.id = ANY (ids) AND s.round_id = ANY (ids)
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
periods AS (
    SELECT 1::smallint AS months, * FROM months
    UNION ALL
    SELECT 12::smallint, map, server, date_trunc('year', bucket, 'UTC'), kind, x, y, kt, tt,
           sum(n)::int4
    FROM months GROUP BY 2, 3, 4, 5, 6, 7, 8, 9)
INSERT INTO heat_totals AS t (months, bucket, map, server, kind, cell_x, cell_y, killer_team,
                              target_team, n)
SELECT months, bucket, map, server, kind, array_agg(x), array_agg(y),
       array_agg(kt), array_agg(tt),
       array_agg(n)
FROM periods
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (months, bucket, map, server, kind) DO UPDATE SET
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

-- Drops the total rows of the periods of the rounds `ids` that no longer count anything, after
-- those rounds were subtracted. A player total is empty when all its integer figures are 0
-- (float sums such as distance may keep a rounding residue, so they are not checked).
CREATE FUNCTION drop_empty_totals(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    empty text;
BEGIN
    SELECT string_agg(format('t.%I = 0', a.attname), ' AND ' ORDER BY a.attnum)
    INTO empty
    FROM pg_attribute a
    WHERE a.attrelid = 'player_round_totals'::regclass AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname NOT IN ('round_id', 'guid')
      AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype);
    EXECUTE format(
        'DELETE FROM player_totals t USING round_periods p
         WHERE p.round_id = ANY ($1) AND t.months = p.months AND t.bucket = p.bucket
           AND t.map = p.map AND t.server = p.server AND %s', empty)
    USING ids;
    DELETE FROM pair_totals t USING round_periods p
    WHERE p.round_id = ANY (ids) AND t.months = p.months AND t.bucket = p.bucket
      AND t.map = p.map AND t.server = p.server AND t.rounds = 0;
    DELETE FROM heat_totals t USING round_periods p
    WHERE p.round_id = ANY (ids) AND t.months = p.months AND t.bucket = p.bucket
      AND t.map = p.map AND t.server = p.server AND cardinality(t.n) = 0;
END $$;

-- rounds_before_delete (0002), per server.
CREATE OR REPLACE FUNCTION rounds_before_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tbl text;
BEGIN
    DELETE FROM totals_pending WHERE round_id = OLD.id;
    IF NOT FOUND THEN
        PERFORM rollup_rounds(ARRAY[OLD.id], -1);
    END IF;
    FOREACH tbl IN ARRAY per_round_tables() LOOP
        EXECUTE format('DELETE FROM %I WHERE round_id = $1', tbl) USING OLD.id;
    END LOOP;
    PERFORM drop_empty_totals(ARRAY[OLD.id]);
    RETURN OLD;
END $$;

-- Each server's rows of the rounds already in the totals (those not pending): their '*' rows
-- are the rows kept before, so the rounds are added once more with the '*' scope left out (the
-- functions read these temporary views in place of the two above).
CREATE TEMP VIEW round_scopes AS SELECT r.id AS round_id, r.server FROM rounds r;
CREATE TEMP VIEW round_periods AS
SELECT r.id AS round_id, r.map, g.months, date_trunc(g.unit, r.played_at, 'UTC') AS bucket,
       r.server
FROM rounds r CROSS JOIN (VALUES (1::smallint, 'month'), (12::smallint, 'year')) AS g(months, unit);
SELECT rollup_rounds(ARRAY(SELECT id FROM rounds
                           WHERE id NOT IN (SELECT round_id FROM totals_pending) ORDER BY id), 1);
DROP VIEW pg_temp.round_periods, pg_temp.round_scopes;

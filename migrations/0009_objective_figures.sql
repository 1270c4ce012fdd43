-- Objective play per player (issue 16): the sums of metrics::PlayerSums made of the objective
-- sections and of the objective runs derived from them, and the runs themselves.

-- One row per round: each objective run (metrics::objective_runs) as parallel arrays in the
-- order of the round's OBJECTIVE_EVENTS, and the kills that cleared the way for them, flattened:
-- clear_run[i] is the index (0-based, into the run arrays) of the run clearing kill i was for.
-- approach_ms and efficiency are NULL for a run without a path or without movement.
CREATE TABLE round_objective_runs (
    round_id     bigint     PRIMARY KEY,
    event_index  integer[]  NOT NULL,
    guid         text[]     COMPRESSION lz4 NOT NULL,
    team         smallint[] NOT NULL,
    time_ms      integer[]  NOT NULL,
    approach_ms  integer[]  NOT NULL,
    path_length  real[]     NOT NULL,
    beeline      real[]     NOT NULL,
    efficiency   real[]     NOT NULL,
    clear_run    integer[]  NOT NULL,
    clear_guid   text[]     COMPRESSION lz4 NOT NULL,
    clear_ms     integer[]  NOT NULL,
    clear_x      real[]     NOT NULL,
    clear_y      real[]     NOT NULL
);

-- The new figures (metrics::PlayerSums), in declaration order, in both tables.
ALTER TABLE player_round_totals
    ADD COLUMN ob_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN objective_actions integer NOT NULL DEFAULT 0,
    ADD COLUMN plants integer NOT NULL DEFAULT 0,
    ADD COLUMN defuses integer NOT NULL DEFAULT 0,
    ADD COLUMN destructions integer NOT NULL DEFAULT 0,
    ADD COLUMN constructions integer NOT NULL DEFAULT 0,
    ADD COLUMN repairs integer NOT NULL DEFAULT 0,
    ADD COLUMN captures integer NOT NULL DEFAULT 0,
    ADD COLUMN secures integer NOT NULL DEFAULT 0,
    ADD COLUMN runs integer NOT NULL DEFAULT 0,
    ADD COLUMN run_approach_sum_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN run_approach_count integer NOT NULL DEFAULT 0,
    ADD COLUMN run_efficiency_sum float8 NOT NULL DEFAULT 0,
    ADD COLUMN run_efficiency_count integer NOT NULL DEFAULT 0,
    ADD COLUMN cleared_self integer NOT NULL DEFAULT 0,
    ADD COLUMN cleared_by_team integer NOT NULL DEFAULT 0,
    ADD COLUMN clears_for_others integer NOT NULL DEFAULT 0,
    ADD COLUMN ca_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN carries integer NOT NULL DEFAULT 0,
    ADD COLUMN carry_time_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN carry_distance float8 NOT NULL DEFAULT 0,
    ADD COLUMN returns integer NOT NULL DEFAULT 0,
    ADD COLUMN carrier_kills integer NOT NULL DEFAULT 0,
    ADD COLUMN es_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN escort_distance float8 NOT NULL DEFAULT 0;
ALTER TABLE player_totals
    ADD COLUMN ob_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN objective_actions integer NOT NULL DEFAULT 0,
    ADD COLUMN plants integer NOT NULL DEFAULT 0,
    ADD COLUMN defuses integer NOT NULL DEFAULT 0,
    ADD COLUMN destructions integer NOT NULL DEFAULT 0,
    ADD COLUMN constructions integer NOT NULL DEFAULT 0,
    ADD COLUMN repairs integer NOT NULL DEFAULT 0,
    ADD COLUMN captures integer NOT NULL DEFAULT 0,
    ADD COLUMN secures integer NOT NULL DEFAULT 0,
    ADD COLUMN runs integer NOT NULL DEFAULT 0,
    ADD COLUMN run_approach_sum_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN run_approach_count integer NOT NULL DEFAULT 0,
    ADD COLUMN run_efficiency_sum float8 NOT NULL DEFAULT 0,
    ADD COLUMN run_efficiency_count integer NOT NULL DEFAULT 0,
    ADD COLUMN cleared_self integer NOT NULL DEFAULT 0,
    ADD COLUMN cleared_by_team integer NOT NULL DEFAULT 0,
    ADD COLUMN clears_for_others integer NOT NULL DEFAULT 0,
    ADD COLUMN ca_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN carries integer NOT NULL DEFAULT 0,
    ADD COLUMN carry_time_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN carry_distance float8 NOT NULL DEFAULT 0,
    ADD COLUMN returns integer NOT NULL DEFAULT 0,
    ADD COLUMN carrier_kills integer NOT NULL DEFAULT 0,
    ADD COLUMN es_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN escort_distance float8 NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION per_round_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['round_players', 'player_round_totals', 'engagements', 'lives', 'kill_cells',
                 'movement_cells', 'presence', 'round_presence', 'pair_stats', 'player_teamplay',
                 'round_trade_events', 'player_trades', 'player_support', 'round_reactions',
                 'objective_focus', 'round_revives', 'round_kill_outcomes',
                 'round_spawn_timings', 'round_weapons', 'round_objective_events',
                 'round_carries', 'round_carrier_returns', 'round_escorts',
                 'round_objective_runs']
$$;

-- The objective heatmap (heat::HeatKind::Objectives) is kept in heat_totals as kind 3: each
-- objective action and each clearing kill at its position on the 64-unit grid, with the team
-- playing the objective in killer_team (target_team 0). store::totals merges new rounds' cells;
-- deletions subtract them here.
ALTER TABLE heat_totals DROP CONSTRAINT heat_totals_kind_check;
ALTER TABLE heat_totals ADD CONSTRAINT heat_totals_kind_check CHECK (kind IN (1, 2, 3));

-- A round's objective heat cells, as store::totals and rollup_heat both read them.
CREATE FUNCTION objective_cells(ids bigint[])
RETURNS TABLE (round_id bigint, x integer, y integer, team smallint, n integer)
LANGUAGE sql STABLE AS $$
    SELECT h.round_id, h.x, h.y, h.team, count(*)::int4
    FROM (SELECT o.round_id, floor(u.x::float8 / 64)::int AS x, floor(u.y::float8 / 64)::int AS y,
                 u.team
          FROM round_objective_events o, unnest(o.x, o.y, o.team) AS u(x, y, team)
          WHERE o.round_id = ANY (ids)
          UNION ALL
          SELECT o.round_id, floor(u.x::float8 / 64)::int, floor(u.y::float8 / 64)::int,
                 o.team[u.run + 1]
          FROM round_objective_runs o, unnest(o.clear_run, o.clear_x, o.clear_y) AS u(run, x, y)
          WHERE o.round_id = ANY (ids)) h
    GROUP BY 1, 2, 3, 4
$$;

CREATE OR REPLACE FUNCTION rollup_heat(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
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
          WHERE c.round_id = ANY (ids)
          UNION ALL
          SELECT c.round_id, 3::smallint, c.x, c.y, c.team, 0::smallint, c.n
          FROM objective_cells(ids) c) h
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

-- Rounds stored before: their objective cells join the totals they are already counted in.
WITH months AS (
    SELECT r.map COLLATE "C" AS map, date_trunc('month', r.played_at, 'UTC') AS bucket,
           c.x, c.y, c.team, sum(c.n)::int4 AS n
    FROM objective_cells(ARRAY(SELECT id FROM rounds
                               WHERE id NOT IN (SELECT round_id FROM totals_pending))) c
    JOIN rounds r ON r.id = c.round_id
    GROUP BY 1, 2, 3, 4, 5),
periods AS (
    SELECT 1::smallint AS months, * FROM months
    UNION ALL
    SELECT 12::smallint, map, date_trunc('year', bucket, 'UTC'), x, y, team, sum(n)::int4
    FROM months GROUP BY 2, 3, 4, 5, 6)
INSERT INTO heat_totals
SELECT months, bucket, map, 3, array_agg(x), array_agg(y), array_agg(team),
       array_agg(0::smallint), array_agg(n)
FROM periods
GROUP BY 1, 2, 3;

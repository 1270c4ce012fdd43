-- Monthly and yearly totals, so that a question over ten years reads a few thousand rows instead
-- of millions.
--
-- Every total row covers one calendar period (UTC): `months` = 1 for a month, 12 for a year,
-- starting at `bucket`. A round is added to the totals of its month and of its year in the
-- transaction that imports it (`rollup_figures` and store::heat), and subtracted by the
-- rounds trigger of 0004_cheaper_imports.sql in the transaction that deletes it (with
-- `rollup_rounds(ids, -1)`), so the totals always equal the sum of the
-- per-round rows they come from: nothing is counted twice and a deleted round leaves no trace.
-- A period query reads whole years, then whole months, then the per-round rows of the part of
-- a month its start falls in (see `Scope` in src/store/queries.rs).

-- ---------------------------------------------------------------------------------------------
-- Every player figure of one round, one row per source row (summed by the readers). A view
-- rather than a grouped query so that filters on round_id reach each table's index.
CREATE VIEW player_round_figures AS
SELECT round_id, guid,
       1 AS life_rounds, 0 AS lives, 0::float8 AS distance, 0::int8 AS alive_ms,
       0::float8 AS sprint_weighted, 0::int8 AS samples, 0::int8 AS first_move_sum_ms,
       0 AS first_move_count,
       0 AS tp_rounds, 0 AS kills, 0 AS deaths, 0 AS damage_dealt, 0 AS crossfire_participations,
       0 AS crossfire_kills, 0 AS solo_kills, 0 AS times_targeted, 0 AS times_focused,
       0 AS focus_escapes, 0 AS escapes, 0 AS damage_taken, 0::int8 AS engagement_duration_sum_ms,
       0 AS tr_rounds, 0 AS trades_made, 0 AS deaths_traded, 0 AS isolation_deaths,
       0 AS su_rounds, 0 AS su_samples, 0 AS su_supported,
       0::int8 AS return_fire_sum_ms, 0 AS return_fire_count, 0::int8 AS dodge_sum_ms,
       0 AS dodge_count
FROM round_players
UNION ALL
SELECT round_id, guid, 0, 1, distance, alive_ms, sprint_pct * samples, samples,
       coalesce(time_to_first_move_ms, 0), (time_to_first_move_ms IS NOT NULL)::int,
       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM lives
UNION ALL
SELECT round_id, guid, 0, 0, 0, 0, 0, 0, 0, 0,
       1, kills, deaths, damage_dealt, crossfire_participations, crossfire_kills, solo_kills,
       times_targeted, times_focused, focus_escapes, escapes, damage_taken,
       engagement_duration_sum_ms,
       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
FROM player_teamplay
UNION ALL
SELECT round_id, guid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
       1, trades_made, deaths_traded, isolation_deaths,
       0, 0, 0, 0, 0, 0, 0
FROM player_trades
UNION ALL
SELECT round_id, guid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
       1, samples, supported_samples,
       0, 0, 0, 0
FROM player_support
UNION ALL
SELECT round_id, target_guid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
       0, 0, 0, 0, 0, 0,
       coalesce(return_fire_ms, 0), (return_fire_ms IS NOT NULL)::int,
       coalesce(dodge_reaction_ms, 0), (dodge_reaction_ms IS NOT NULL)::int
FROM reactions;

-- The same figures summed per round and player (written at import from the view): the totals
-- are summed from it, and a period's partial month reads it, one row per player per round.
CREATE TABLE player_round_totals (
    round_id  bigint NOT NULL,
    guid      text   NOT NULL,
    life_rounds integer NOT NULL,
    lives integer NOT NULL,
    distance float8 NOT NULL,
    alive_ms bigint NOT NULL,
    sprint_weighted float8 NOT NULL,
    samples bigint NOT NULL,
    first_move_sum_ms bigint NOT NULL,
    first_move_count integer NOT NULL,
    tp_rounds integer NOT NULL,
    kills integer NOT NULL,
    deaths integer NOT NULL,
    damage_dealt bigint NOT NULL,
    crossfire_participations integer NOT NULL,
    crossfire_kills integer NOT NULL,
    solo_kills integer NOT NULL,
    times_targeted integer NOT NULL,
    times_focused integer NOT NULL,
    focus_escapes integer NOT NULL,
    escapes integer NOT NULL,
    damage_taken bigint NOT NULL,
    engagement_duration_sum_ms bigint NOT NULL,
    tr_rounds integer NOT NULL,
    trades_made integer NOT NULL,
    deaths_traded integer NOT NULL,
    isolation_deaths integer NOT NULL,
    su_rounds integer NOT NULL,
    su_samples bigint NOT NULL,
    su_supported bigint NOT NULL,
    return_fire_sum_ms bigint NOT NULL,
    return_fire_count integer NOT NULL,
    dodge_sum_ms bigint NOT NULL,
    dodge_count integer NOT NULL,
    PRIMARY KEY (round_id, guid)
);

CREATE TABLE player_totals (
    months    smallint    NOT NULL CHECK (months IN (1, 12)),
    bucket    timestamptz NOT NULL,
    map       text        NOT NULL,
    guid      text        NOT NULL,
    life_rounds integer NOT NULL, lives integer NOT NULL, distance float8 NOT NULL,
    alive_ms bigint NOT NULL, sprint_weighted float8 NOT NULL, samples bigint NOT NULL,
    first_move_sum_ms bigint NOT NULL, first_move_count integer NOT NULL,
    tp_rounds integer NOT NULL, kills integer NOT NULL, deaths integer NOT NULL,
    damage_dealt bigint NOT NULL, crossfire_participations integer NOT NULL,
    crossfire_kills integer NOT NULL, solo_kills integer NOT NULL, times_targeted integer NOT NULL,
    times_focused integer NOT NULL, focus_escapes integer NOT NULL, escapes integer NOT NULL,
    damage_taken bigint NOT NULL, engagement_duration_sum_ms bigint NOT NULL,
    tr_rounds integer NOT NULL, trades_made integer NOT NULL, deaths_traded integer NOT NULL,
    isolation_deaths integer NOT NULL,
    su_rounds integer NOT NULL, su_samples bigint NOT NULL, su_supported bigint NOT NULL,
    return_fire_sum_ms bigint NOT NULL, return_fire_count integer NOT NULL,
    dodge_sum_ms bigint NOT NULL, dodge_count integer NOT NULL,
    PRIMARY KEY (months, bucket, map, guid)
);

CREATE TABLE pair_totals (
    months    smallint    NOT NULL CHECK (months IN (1, 12)),
    bucket    timestamptz NOT NULL,
    map       text        NOT NULL,
    guid_a    text        NOT NULL,
    guid_b    text        NOT NULL,
    rounds          integer NOT NULL,
    together        integer NOT NULL,
    crossfires      bigint  NOT NULL,
    crossfire_kills bigint  NOT NULL,
    combined_damage bigint  NOT NULL,
    PRIMARY KEY (months, bucket, map, guid_a, guid_b)
);

-- The all-players presence cells of a round (128-unit grid), as arrays so that SQL can add
-- them to the movement totals and subtract them again.
CREATE TABLE round_presence (
    round_id bigint  NOT NULL PRIMARY KEY REFERENCES rounds ON DELETE CASCADE,
    cell_x   integer[] NOT NULL,
    cell_y   integer[] NOT NULL,
    samples  integer[] NOT NULL
);

-- Heatmap cells of all players, one row per period, map and kind, the cells as parallel arrays
-- (one row updated per import instead of thousands of cell rows): kind 1 = deaths on a 64-unit
-- grid with the killer's and the victim's team (0 = none), kind 2 = presence (movement) on the
-- 128-unit grid with teams 0.
CREATE TABLE heat_totals (
    months      smallint    NOT NULL CHECK (months IN (1, 12)),
    bucket      timestamptz NOT NULL,
    map         text        NOT NULL,
    kind        smallint    NOT NULL CHECK (kind IN (1, 2)),
    cell_x      integer[]   NOT NULL,
    cell_y      integer[]   NOT NULL,
    killer_team smallint[]  NOT NULL,
    target_team smallint[]  NOT NULL,
    n           integer[]   NOT NULL,
    PRIMARY KEY (months, bucket, map, kind)
);

-- Each round counts in its month and in its year.
CREATE VIEW round_periods AS
SELECT r.id AS round_id, r.map, g.months, date_trunc(g.unit, r.played_at, 'UTC') AS bucket
FROM rounds r CROSS JOIN (VALUES (1::smallint, 'month'), (12::smallint, 'year')) AS g(months, unit);

-- Adds (sign 1) or subtracts (sign -1) the rounds `ids` to or from every total. Rows are
-- written in key order so that concurrent imports lock shared rows in the same order; keys are
-- grouped and sorted bytewise (COLLATE "C": GUIDs and map names need no linguistic order, and
-- it is several times faster).
-- PL/pgSQL rather than SQL: PostgreSQL plans an SQL function's statements on every call (~15 ms
-- here), PL/pgSQL keeps their plans for the session.
CREATE FUNCTION rollup_figures(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
-- A round is added once: a second addition fails on the per-round totals' key.
IF sign = 1 THEN
    INSERT INTO player_round_totals
    SELECT round_id, guid COLLATE "C", sum(life_rounds), sum(lives), sum(distance), sum(alive_ms), sum(sprint_weighted), sum(samples), sum(first_move_sum_ms), sum(first_move_count), sum(tp_rounds), sum(kills), sum(deaths), sum(damage_dealt), sum(crossfire_participations), sum(crossfire_kills), sum(solo_kills), sum(times_targeted), sum(times_focused), sum(focus_escapes), sum(escapes), sum(damage_taken), sum(engagement_duration_sum_ms), sum(tr_rounds), sum(trades_made), sum(deaths_traded), sum(isolation_deaths), sum(su_rounds), sum(su_samples), sum(su_supported), sum(return_fire_sum_ms), sum(return_fire_count), sum(dodge_sum_ms), sum(dodge_count)
    FROM player_round_figures WHERE round_id = ANY (ids)
    GROUP BY 1, 2;
END IF;
INSERT INTO player_totals AS t
SELECT p.months, p.bucket, p.map COLLATE "C", f.guid COLLATE "C",
       sign * sum(life_rounds), sign * sum(lives), sign * sum(distance), sign * sum(alive_ms),
       sign * sum(sprint_weighted), sign * sum(samples), sign * sum(first_move_sum_ms),
       sign * sum(first_move_count),
       sign * sum(tp_rounds), sign * sum(kills), sign * sum(deaths), sign * sum(damage_dealt),
       sign * sum(crossfire_participations), sign * sum(crossfire_kills),
       sign * sum(solo_kills), sign * sum(times_targeted), sign * sum(times_focused),
       sign * sum(focus_escapes), sign * sum(escapes), sign * sum(damage_taken),
       sign * sum(engagement_duration_sum_ms),
       sign * sum(tr_rounds), sign * sum(trades_made), sign * sum(deaths_traded),
       sign * sum(isolation_deaths),
       sign * sum(su_rounds), sign * sum(su_samples), sign * sum(su_supported),
       sign * sum(return_fire_sum_ms), sign * sum(return_fire_count), sign * sum(dodge_sum_ms),
       sign * sum(dodge_count)
FROM player_round_totals f JOIN round_periods p ON p.round_id = f.round_id
WHERE f.round_id = ANY (ids) AND p.round_id = ANY (ids)
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
ON CONFLICT (months, bucket, map, guid) DO UPDATE SET
    life_rounds = t.life_rounds + EXCLUDED.life_rounds, lives = t.lives + EXCLUDED.lives,
    distance = t.distance + EXCLUDED.distance, alive_ms = t.alive_ms + EXCLUDED.alive_ms,
    sprint_weighted = t.sprint_weighted + EXCLUDED.sprint_weighted,
    samples = t.samples + EXCLUDED.samples,
    first_move_sum_ms = t.first_move_sum_ms + EXCLUDED.first_move_sum_ms,
    first_move_count = t.first_move_count + EXCLUDED.first_move_count,
    tp_rounds = t.tp_rounds + EXCLUDED.tp_rounds, kills = t.kills + EXCLUDED.kills,
    deaths = t.deaths + EXCLUDED.deaths, damage_dealt = t.damage_dealt + EXCLUDED.damage_dealt,
    crossfire_participations = t.crossfire_participations + EXCLUDED.crossfire_participations,
    crossfire_kills = t.crossfire_kills + EXCLUDED.crossfire_kills,
    solo_kills = t.solo_kills + EXCLUDED.solo_kills,
    times_targeted = t.times_targeted + EXCLUDED.times_targeted,
    times_focused = t.times_focused + EXCLUDED.times_focused,
    focus_escapes = t.focus_escapes + EXCLUDED.focus_escapes,
    escapes = t.escapes + EXCLUDED.escapes, damage_taken = t.damage_taken + EXCLUDED.damage_taken,
    engagement_duration_sum_ms = t.engagement_duration_sum_ms + EXCLUDED.engagement_duration_sum_ms,
    tr_rounds = t.tr_rounds + EXCLUDED.tr_rounds, trades_made = t.trades_made + EXCLUDED.trades_made,
    deaths_traded = t.deaths_traded + EXCLUDED.deaths_traded,
    isolation_deaths = t.isolation_deaths + EXCLUDED.isolation_deaths,
    su_rounds = t.su_rounds + EXCLUDED.su_rounds, su_samples = t.su_samples + EXCLUDED.su_samples,
    su_supported = t.su_supported + EXCLUDED.su_supported,
    return_fire_sum_ms = t.return_fire_sum_ms + EXCLUDED.return_fire_sum_ms,
    return_fire_count = t.return_fire_count + EXCLUDED.return_fire_count,
    dodge_sum_ms = t.dodge_sum_ms + EXCLUDED.dodge_sum_ms,
    dodge_count = t.dodge_count + EXCLUDED.dodge_count;

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

-- The heatmap part of rollup_rounds. (The importer merges a new round's cells in Rust instead,
-- src/store/insert.rs, several times faster than these array merges; deletions come here.)
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

CREATE FUNCTION rollup_rounds(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_figures(ids, sign);
    PERFORM rollup_heat(ids, sign);
END $$;

-- Rounds stored before this migration get their totals from the program on start, once it has
-- moved their all-players presence (a Rust-encoded blob) into round_presence: see
-- store::backfill_totals.

-- Medics, gunfights and spawn timing: the rows of REVIVES, KILL_OUTCOME, WEAPON_ACCURACY,
-- HIT_REGIONS and SPAWN_TIMING, the per-player sums made of them, and per-weapon totals.

-- Which of the five sections the round recorded (format::GameSection::bit): a section not
-- recorded is "not recorded", not zero. Rounds imported before this migration recorded none;
-- importing their file again fills them in (import::identity).
ALTER TABLE rounds ADD COLUMN recorded smallint NOT NULL DEFAULT 0;

-- One row per round, the revives as parallel arrays in file order (like round_reactions).
CREATE TABLE round_revives (
    round_id           bigint     PRIMARY KEY,
    time_ms            integer[]  NOT NULL,
    medic_guid         text[]     COMPRESSION lz4 NOT NULL,
    revived_guid       text[]     COMPRESSION lz4 NOT NULL,
    x                  real[]     NOT NULL,
    y                  real[]     NOT NULL,
    z                  real[]     NOT NULL,
    distance_to_enemy  real[]     NOT NULL,
    nearest_enemy_guid text[]     COMPRESSION lz4 NOT NULL,
    under_fire         boolean[]  NOT NULL
);

-- One row per round: how each player downed by an enemy ended. outcome is the file's word;
-- victim_team is the victim's round team (round_players), 0 when the victim had no life.
CREATE TABLE round_kill_outcomes (
    round_id      bigint     PRIMARY KEY,
    kill_time     integer[]  NOT NULL,
    victim_guid   text[]     COMPRESSION lz4 NOT NULL,
    victim_team   smallint[] NOT NULL,
    killer_guid   text[]     COMPRESSION lz4 NOT NULL,
    kill_mod      smallint[] NOT NULL,
    outcome       text[]     NOT NULL,
    outcome_time  integer[]  NOT NULL,
    denied_ms     integer[]  NOT NULL,
    gibber_guid   text[]     COMPRESSION lz4 NOT NULL,
    reviver_guid  text[]     COMPRESSION lz4 NOT NULL
);

-- One row per round: each enemy kill against the victim team's reinforcement wave.
CREATE TABLE round_spawn_timings (
    round_id      bigint     PRIMARY KEY,
    killer_guid   text[]     COMPRESSION lz4 NOT NULL,
    victim_guid   text[]     COMPRESSION lz4 NOT NULL,
    victim_team   smallint[] NOT NULL,
    kill_time     integer[]  NOT NULL,
    interval_ms   integer[]  NOT NULL,
    to_next_ms    integer[]  NOT NULL,
    score         float8[]   NOT NULL
);

-- One row per player and weapon per round: WEAPON_ACCURACY's counts and the hits of HIT_REGIONS
-- by region (metrics::weapon_uses).
CREATE TABLE round_weapons (
    round_id  bigint   NOT NULL,
    guid      text     NOT NULL,
    weapon    smallint NOT NULL,
    shots     integer  NOT NULL,
    hits      integer  NOT NULL,
    kills     integer  NOT NULL,
    headshots integer  NOT NULL,
    head      integer  NOT NULL,
    arms      integer  NOT NULL,
    body      integer  NOT NULL,
    legs      integer  NOT NULL,
    PRIMARY KEY (round_id, guid, weapon)
);

-- round_weapons summed per period, map, player and weapon, kept like player_totals.
CREATE TABLE weapon_totals (
    months    smallint    NOT NULL CHECK (months IN (1, 12)),
    bucket    timestamptz NOT NULL,
    map       text        NOT NULL,
    guid      text        NOT NULL,
    weapon    smallint    NOT NULL,
    rounds    integer     NOT NULL,
    shots     bigint      NOT NULL,
    hits      bigint      NOT NULL,
    kills     bigint      NOT NULL,
    headshots bigint      NOT NULL,
    head      bigint      NOT NULL,
    arms      bigint      NOT NULL,
    body      bigint      NOT NULL,
    legs      bigint      NOT NULL,
    PRIMARY KEY (months, bucket, map, guid, weapon)
);
CREATE INDEX weapon_totals_guid ON weapon_totals (guid);

-- The new figures (metrics::PlayerSums), in declaration order, in both tables.
ALTER TABLE player_round_totals
    ADD COLUMN wa_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN shots bigint NOT NULL DEFAULT 0,
    ADD COLUMN hits bigint NOT NULL DEFAULT 0,
    ADD COLUMN headshots bigint NOT NULL DEFAULT 0,
    ADD COLUMN rv_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN revives_given integer NOT NULL DEFAULT 0,
    ADD COLUMN revives_received integer NOT NULL DEFAULT 0,
    ADD COLUMN revives_under_fire integer NOT NULL DEFAULT 0,
    ADD COLUMN ko_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN enemy_downs integer NOT NULL DEFAULT 0,
    ADD COLUMN times_revived integer NOT NULL DEFAULT 0,
    ADD COLUMN times_gibbed integer NOT NULL DEFAULT 0,
    ADD COLUMN times_tapped_out integer NOT NULL DEFAULT 0,
    ADD COLUMN gibs integer NOT NULL DEFAULT 0,
    ADD COLUMN time_denied_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN team_downs integer NOT NULL DEFAULT 0,
    ADD COLUMN downs_revived integer NOT NULL DEFAULT 0,
    ADD COLUMN st_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN spawn_score_sum float8 NOT NULL DEFAULT 0,
    ADD COLUMN spawn_score_count integer NOT NULL DEFAULT 0;
ALTER TABLE player_totals
    ADD COLUMN wa_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN shots bigint NOT NULL DEFAULT 0,
    ADD COLUMN hits bigint NOT NULL DEFAULT 0,
    ADD COLUMN headshots bigint NOT NULL DEFAULT 0,
    ADD COLUMN rv_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN revives_given integer NOT NULL DEFAULT 0,
    ADD COLUMN revives_received integer NOT NULL DEFAULT 0,
    ADD COLUMN revives_under_fire integer NOT NULL DEFAULT 0,
    ADD COLUMN ko_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN enemy_downs integer NOT NULL DEFAULT 0,
    ADD COLUMN times_revived integer NOT NULL DEFAULT 0,
    ADD COLUMN times_gibbed integer NOT NULL DEFAULT 0,
    ADD COLUMN times_tapped_out integer NOT NULL DEFAULT 0,
    ADD COLUMN gibs integer NOT NULL DEFAULT 0,
    ADD COLUMN time_denied_ms bigint NOT NULL DEFAULT 0,
    ADD COLUMN team_downs integer NOT NULL DEFAULT 0,
    ADD COLUMN downs_revived integer NOT NULL DEFAULT 0,
    ADD COLUMN st_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN spawn_score_sum float8 NOT NULL DEFAULT 0,
    ADD COLUMN spawn_score_count integer NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION per_round_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['round_players', 'player_round_totals', 'engagements', 'lives', 'kill_cells',
                 'movement_cells', 'presence', 'round_presence', 'pair_stats', 'player_teamplay',
                 'round_trade_events', 'player_trades', 'player_support', 'round_reactions',
                 'objective_focus', 'round_revives', 'round_kill_outcomes',
                 'round_spawn_timings', 'round_weapons']
$$;

-- Adds (sign 1) or subtracts (sign -1) the weapon figures of the rounds `ids`; a subtraction
-- drops the total rows left counting no round.
CREATE FUNCTION rollup_weapons(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
INSERT INTO weapon_totals AS t
SELECT p.months, p.bucket, p.map COLLATE "C", w.guid COLLATE "C", w.weapon,
       sign * count(*), sign * sum(w.shots), sign * sum(w.hits), sign * sum(w.kills),
       sign * sum(w.headshots), sign * sum(w.head), sign * sum(w.arms), sign * sum(w.body),
       sign * sum(w.legs)
FROM round_weapons w JOIN round_periods p ON p.round_id = w.round_id
WHERE w.round_id = ANY (ids) AND p.round_id = ANY (ids)
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (months, bucket, map, guid, weapon) DO UPDATE SET
    rounds = t.rounds + EXCLUDED.rounds, shots = t.shots + EXCLUDED.shots,
    hits = t.hits + EXCLUDED.hits, kills = t.kills + EXCLUDED.kills,
    headshots = t.headshots + EXCLUDED.headshots, head = t.head + EXCLUDED.head,
    arms = t.arms + EXCLUDED.arms, body = t.body + EXCLUDED.body, legs = t.legs + EXCLUDED.legs;
IF sign < 0 THEN
    DELETE FROM weapon_totals t USING round_periods p
    WHERE p.round_id = ANY (ids) AND t.months = p.months AND t.bucket = p.bucket
      AND t.map = p.map AND t.rounds = 0;
END IF;
END $$;

-- rollup_totals (0002) with the weapons: the batches (store::totals) and the rounds trigger
-- (through rollup_rounds) both call it.
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

PERFORM rollup_weapons(ids, sign);
END $$;

-- TRUNCATE rounds empties the weapon totals too.
CREATE OR REPLACE FUNCTION rounds_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'TRUNCATE ' || array_to_string(
        per_round_tables()
            || ARRAY['totals_pending', 'player_totals', 'pair_totals', 'heat_totals',
                     'weapon_totals'], ', ');
    RETURN NULL;
END $$;

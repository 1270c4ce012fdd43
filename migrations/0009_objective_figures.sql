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

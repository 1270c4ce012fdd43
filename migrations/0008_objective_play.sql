-- The objective game (issue 16): each round's OBJECTIVE_EVENTS, CARRIER_EVENTS, CARRIER_RETURNS
-- and ESCORT_CREDIT, kept as one row of parallel arrays per round in file order, like the
-- medic sections of 0007. A round that did not record a section has no row; `rounds.recorded`
-- tells "not recorded" from "none". Teams are 1 Axis, 2 Allies, 0 none.

ALTER TABLE rounds
    ADD COLUMN winner smallint,
    ADD COLUMN defender smallint,
    ADD COLUMN time_set_ms integer;
COMMENT ON COLUMN rounds.winner IS '1 Axis, 2 Allies, 0 nobody; NULL when the file did not say';

CREATE TABLE round_objective_events (
    round_id    bigint     PRIMARY KEY,
    time_ms     integer[]  NOT NULL,
    action      text[]     NOT NULL,
    guid        text[]     COMPRESSION lz4 NOT NULL,
    team        smallint[] NOT NULL,
    track_name  bytea[]    NOT NULL,
    x           real[]     NOT NULL,
    y           real[]     NOT NULL,
    z           real[]     NOT NULL
);

CREATE TABLE round_carries (
    round_id         bigint     PRIMARY KEY,
    carrier_guid     text[]     COMPRESSION lz4 NOT NULL,
    carrier_team     smallint[] NOT NULL,
    flag_team        smallint[] NOT NULL,
    pickup_ms        integer[]  NOT NULL,
    drop_ms          integer[]  NOT NULL,
    outcome          text[]     NOT NULL,
    carry_distance   real[]     NOT NULL,
    beeline_distance real[]     NOT NULL,
    pickup_x         real[]     NOT NULL,
    pickup_y         real[]     NOT NULL,
    drop_x           real[]     NOT NULL,
    drop_y           real[]     NOT NULL,
    killer_guid      text[]     COMPRESSION lz4 NOT NULL
);

CREATE TABLE round_carrier_returns (
    round_id              bigint     PRIMARY KEY,
    return_ms             integer[]  NOT NULL,
    returner_guid         text[]     COMPRESSION lz4 NOT NULL,
    flag_team             smallint[] NOT NULL,
    original_carrier_guid text[]     COMPRESSION lz4 NOT NULL,
    drop_ms               integer[]  NOT NULL,
    drop_x                real[]     NOT NULL,
    drop_y                real[]     NOT NULL
);

CREATE TABLE round_escorts (
    round_id        bigint     PRIMARY KEY,
    guid            text[]     COMPRESSION lz4 NOT NULL,
    team            smallint[] NOT NULL,
    vehicle_name    bytea[]    NOT NULL,
    mounted_ms      integer[]  NOT NULL,
    proximity_ms    integer[]  NOT NULL,
    escort_distance real[]     NOT NULL,
    credit_distance real[]     NOT NULL
);

CREATE OR REPLACE FUNCTION per_round_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['round_players', 'player_round_totals', 'engagements', 'lives', 'kill_cells',
                 'movement_cells', 'presence', 'round_presence', 'pair_stats', 'player_teamplay',
                 'round_trade_events', 'player_trades', 'player_support', 'round_reactions',
                 'objective_focus', 'round_revives', 'round_kill_outcomes',
                 'round_spawn_timings', 'round_weapons', 'round_objective_events',
                 'round_carries', 'round_carrier_returns', 'round_escorts']
$$;

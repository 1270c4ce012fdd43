-- Migrations are append-only: change the schema in a new file, never by editing an applied one.
--
-- The tables, indexes and views of the store; the functions and triggers that keep the totals
-- are in 0002_rollups.sql.
--
-- Large array and blob columns use COMPRESSION lz4: values over ~2 kB are compressed when
-- written, and lz4 compresses these as well as the default pglz, and faster.

-- =============================================================================================
-- Rounds, files and people
-- =============================================================================================

-- One row per imported round file. Every other per-round table holds the round's rows by
-- round_id, and deleting a round (one DELETE FROM rounds) removes them and subtracts the round
-- from the totals (the rounds triggers, 0002_rollups.sql).
CREATE TABLE rounds (
    id              bigserial PRIMARY KEY,
    content_sha256  bytea       NOT NULL UNIQUE,
    file_name       text        NOT NULL,
    map             text        NOT NULL,
    round_number    smallint    NOT NULL,
    start_unix      bigint      NOT NULL,
    end_unix        bigint      NOT NULL,
    -- When the round was played: end_unix, else start_unix, else the file name's timestamp,
    -- else the import time. Periods ("last N days") filter on it.
    played_at       timestamptz NOT NULL,
    duration_ms     bigint      NOT NULL,
    banner          text        NOT NULL,
    tracker_version text,
    capabilities    jsonb       NOT NULL,
    -- The tracker's parameters from the header and the metric parameters used at import.
    params          jsonb       NOT NULL,
    skipped_sections jsonb      NOT NULL,
    has_end_marker  boolean     NOT NULL,
    file_bytes      bigint      NOT NULL,
    -- Headline figures of this round (per-round values, not totals).
    engagement_count integer    NOT NULL,
    crossfire_count integer     NOT NULL,
    escape_count    integer     NOT NULL,
    kill_count      integer     NOT NULL,
    player_count    integer     NOT NULL,
    support_mean_pct double precision,
    imported_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rounds_map_played_at ON rounds (map, played_at);
CREATE INDEX rounds_played_at ON rounds (played_at);

-- Every file the importer has looked at, keyed by its path, with what became of it.
CREATE TABLE import_log (
    path          text PRIMARY KEY,
    file_name     text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('imported', 'duplicate', 'failed', 'quarantined')),
    content_sha256 bytea,
    round_id      bigint REFERENCES rounds ON DELETE SET NULL,
    error         text,
    attempts      integer     NOT NULL DEFAULT 0,
    file_size     bigint,
    file_mtime    timestamptz,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_attempt  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_log_status ON import_log (status);

-- A directory of players for names and autocomplete (latest name seen). Not a total: figures
-- come from the per-round rows and the totals.
CREATE TABLE players (
    guid          text PRIMARY KEY,
    name          bytea       NOT NULL,
    display_name  text        NOT NULL,
    match_key     text        NOT NULL,
    last_seen     timestamptz NOT NULL
);
CREATE INDEX players_match_key ON players (match_key text_pattern_ops);

-- Discord accounts linked to in-game GUIDs (/link).
CREATE TABLE discord_links (
    discord_user_id bigint PRIMARY KEY,
    guid            text NOT NULL,
    linked_at       timestamptz NOT NULL DEFAULT now()
);

-- =============================================================================================
-- Per-round rows
-- =============================================================================================
--
-- Written only by the importer, in the transaction that writes their round, so they carry no
-- foreign key to rounds (PostgreSQL would check it row by row on every import); the rounds
-- trigger removes a deleted round's rows instead (per_round_tables(), 0002_rollups.sql).
--
-- Every per-player figure over a period is read from the totals, and the per-round rows only by
-- round (the partial month of a period, the rollups), so most of them have no index by GUID.
--
-- The raw tables (engagements, lives, kill_cells, movement_cells) keep what the file said and
-- are looked up by round only when a round is deleted: a BRIN index on round_id costs almost
-- nothing to keep, because rows are appended in round order, and still finds a deleted round's
-- rows. They have no key: the importer numbers and sums a round's rows itself.

-- One row per player per round: who played, for whom, and their headline figures.
CREATE TABLE round_players (
    round_id      bigint   NOT NULL,
    guid          text     NOT NULL,
    name          bytea    NOT NULL,
    team          smallint NOT NULL,
    lives         integer  NOT NULL,
    alive_ms      bigint   NOT NULL,
    PRIMARY KEY (round_id, guid)
);
CREATE INDEX round_players_guid ON round_players (guid, round_id);

CREATE TABLE engagements (
    round_id        bigint   NOT NULL,
    ord             integer  NOT NULL, -- row index in the file (ids from other trackers may repeat)
    engagement_id   integer  NOT NULL,
    start_ms        integer  NOT NULL,
    end_ms          integer  NOT NULL,
    duration_ms     integer  NOT NULL,
    target_guid     text     NOT NULL,
    target_name     bytea    NOT NULL,
    target_team     smallint NOT NULL,
    outcome         text     NOT NULL,
    total_damage    integer  NOT NULL,
    killer_guid     text,
    killer_name     bytea,
    -- The killer's team, from the attackers; NULL when unknown.
    killer_team     smallint,
    num_attackers   smallint NOT NULL,
    is_crossfire    boolean  NOT NULL,
    crossfire_delay_ms integer,
    crossfire_participants text[] NOT NULL,
    start_x real NOT NULL, start_y real NOT NULL, start_z real NOT NULL,
    end_x   real NOT NULL, end_y   real NOT NULL, end_z   real NOT NULL,
    -- Where the target died (the last `death` point, else the end position); NULL unless killed.
    death_x real, death_y real,
    distance_traveled real NOT NULL,
    positions       bytea    COMPRESSION lz4 NOT NULL,
    -- The engagement's attackers as one value (the layout of `codec::encode_attackers`,
    -- src/store/codec.rs) rather than rows of their own: no query reads them one by one.
    attackers       bytea    COMPRESSION lz4 NOT NULL
);
CREATE INDEX engagements_round ON engagements USING brin (round_id) WITH (pages_per_range = 32);
-- Kill and death heatmaps read only the deaths of a map's rounds: a narrow partial index of
-- them (with the positions and teams) is read instead of the wide engagement rows.
CREATE INDEX engagements_deaths ON engagements (round_id)
    INCLUDE (death_x, death_y, killer_team, target_team)
    WHERE death_x IS NOT NULL;
-- A player's death heatmap reads the engagements that ended in a death only.
CREATE INDEX engagements_target ON engagements (target_guid) WHERE death_x IS NOT NULL;
CREATE INDEX engagements_killer ON engagements (killer_guid) WHERE killer_guid IS NOT NULL;

-- One row per life with its movement profile and its compact path.
CREATE TABLE lives (
    round_id       bigint   NOT NULL,
    life_ord       integer  NOT NULL,
    guid           text     NOT NULL,
    name           bytea    NOT NULL,
    team           smallint NOT NULL,
    class          text     NOT NULL,
    spawn_ms       integer  NOT NULL,
    death_ms       integer,
    first_move_ms  integer,
    death_type     text     NOT NULL,
    samples        integer  NOT NULL,
    alive_ms       bigint   NOT NULL,
    distance       double precision NOT NULL,
    avg_speed      double precision NOT NULL,
    peak_speed     double precision NOT NULL,
    sprint_pct     double precision NOT NULL,
    standing_pct   double precision NOT NULL,
    crouched_pct   double precision NOT NULL,
    prone_pct      double precision NOT NULL,
    time_to_first_move_ms bigint,
    died           boolean  NOT NULL,
    -- lz4: as compact as pglz on these delta-encoded paths, and faster to write.
    path           bytea    COMPRESSION lz4 NOT NULL
);
CREATE INDEX lives_round ON lives USING brin (round_id) WITH (pages_per_range = 32);

-- The tracker's own heatmaps (512-unit grid), as written in the file.
CREATE TABLE kill_cells (
    round_id     bigint  NOT NULL,
    grid_x       integer NOT NULL,
    grid_y       integer NOT NULL,
    axis_kills   integer NOT NULL,
    allies_kills integer NOT NULL
);
CREATE INDEX kill_cells_round ON kill_cells USING brin (round_id) WITH (pages_per_range = 32);
CREATE TABLE movement_cells (
    round_id   bigint  NOT NULL,
    grid_x     integer NOT NULL,
    grid_y     integer NOT NULL,
    traversal  integer NOT NULL,
    combat     integer NOT NULL,
    escape     integer NOT NULL
);
CREATE INDEX movement_cells_round ON movement_cells USING brin (round_id)
    WITH (pages_per_range = 32);

-- Finer movement density (path samples binned on a 128-unit grid), from which a player's
-- movement heatmaps are smoothed: one compact blob per player per round, so a heatmap over
-- years reads one row per round instead of thousands of cells.
CREATE TABLE presence (
    round_id bigint NOT NULL,
    guid     text   NOT NULL,
    cells    bytea  COMPRESSION lz4 NOT NULL,
    samples  integer NOT NULL,
    PRIMARY KEY (round_id, guid)
);
CREATE INDEX presence_guid ON presence (guid, round_id);

-- The all-players presence cells of a round (128-unit grid), as arrays so that SQL can add
-- them to the movement totals and subtract them again.
CREATE TABLE round_presence (
    round_id bigint  NOT NULL PRIMARY KEY,
    cell_x   integer[] COMPRESSION lz4 NOT NULL,
    cell_y   integer[] COMPRESSION lz4 NOT NULL,
    samples  integer[] COMPRESSION lz4 NOT NULL
);

CREATE TABLE pair_stats (
    round_id        bigint  NOT NULL,
    guid_a          text    NOT NULL,
    guid_b          text    NOT NULL,
    crossfires      integer NOT NULL,
    crossfire_kills integer NOT NULL,
    combined_damage integer NOT NULL,
    delay_sum_ms    bigint  NOT NULL,
    delay_count     integer NOT NULL,
    together        boolean NOT NULL,
    PRIMARY KEY (round_id, guid_a, guid_b)
);

CREATE TABLE player_teamplay (
    round_id   bigint   NOT NULL,
    guid       text     NOT NULL,
    team       smallint NOT NULL,
    kills      integer  NOT NULL,
    deaths     integer  NOT NULL,
    damage_dealt integer NOT NULL,
    crossfire_participations integer NOT NULL,
    crossfire_kills   integer NOT NULL,
    crossfire_damage  integer NOT NULL,
    crossfire_delay_sum_ms bigint NOT NULL,
    crossfire_delay_count  integer NOT NULL,
    solo_kills     integer NOT NULL,
    times_targeted integer NOT NULL,
    times_focused  integer NOT NULL,
    focus_escapes  integer NOT NULL,
    focus_deaths   integer NOT NULL,
    solo_escapes   integer NOT NULL,
    solo_deaths    integer NOT NULL,
    escapes        integer NOT NULL,
    engagement_duration_sum_ms bigint NOT NULL,
    damage_taken   integer NOT NULL,
    PRIMARY KEY (round_id, guid)
);

-- A round's trade events (metrics.md, trades) as one row of parallel arrays in the order the
-- importer derived them, like round_presence: no query reads them one by one (the per-player
-- trade figures are in player_trades).
--
-- Each event's GUID lists are flattened: `opportunity_guids` holds every event's teammates in
-- turn, `opportunities` of them for each event; `attempt_guids` likewise, `attempts` of them.
CREATE TABLE round_trade_events (
    round_id                  bigint     PRIMARY KEY,
    engagement_id             integer[]  NOT NULL,
    victim_guid               text[]     COMPRESSION lz4 NOT NULL,
    killer_guid               text[]     COMPRESSION lz4 NOT NULL,
    death_ms                  integer[]  COMPRESSION lz4 NOT NULL,
    death_x                   real[]     COMPRESSION lz4 NOT NULL,
    death_y                   real[]     COMPRESSION lz4 NOT NULL,
    opportunities             integer[]  NOT NULL,
    opportunity_guids         text[]     COMPRESSION lz4 NOT NULL,
    attempted                 boolean[]  NOT NULL,
    attempts                  integer[]  NOT NULL,
    attempt_guids             text[]     COMPRESSION lz4 NOT NULL,
    succeeded                 boolean[]  NOT NULL,
    trader_guid               text[]     COMPRESSION lz4 NOT NULL,
    trade_delay_ms            integer[]  NOT NULL,
    isolated                  boolean[]  NOT NULL,
    nearest_teammate_guid     text[]     COMPRESSION lz4 NOT NULL,
    nearest_teammate_distance real[]     COMPRESSION lz4 NOT NULL
);

CREATE TABLE player_trades (
    round_id        bigint  NOT NULL,
    guid            text    NOT NULL,
    deaths          integer NOT NULL,
    deaths_traded   integer NOT NULL,
    trades_made     integer NOT NULL,
    trade_attempts  integer NOT NULL,
    isolation_deaths integer NOT NULL,
    trade_opportunities integer NOT NULL,
    missed_trade_chances integer NOT NULL,
    PRIMARY KEY (round_id, guid)
);

CREATE TABLE player_support (
    round_id          bigint  NOT NULL,
    guid              text    NOT NULL,
    samples           integer NOT NULL,
    supported_samples integer NOT NULL,
    PRIMARY KEY (round_id, guid)
);

-- A round's reaction metrics as one row of parallel arrays in file order, like round_presence:
-- no query reads them one by one.
CREATE TABLE round_reactions (
    round_id            bigint     PRIMARY KEY,
    engagement_id       integer[]  NOT NULL,
    target_guid         text[]     COMPRESSION lz4 NOT NULL,
    target_team         smallint[] NOT NULL,
    target_class        text[]     COMPRESSION lz4 NOT NULL,
    outcome             text[]     COMPRESSION lz4 NOT NULL,
    num_attackers       smallint[] NOT NULL,
    return_fire_ms      integer[]  COMPRESSION lz4 NOT NULL,
    dodge_reaction_ms   integer[]  COMPRESSION lz4 NOT NULL,
    support_reaction_ms integer[]  COMPRESSION lz4 NOT NULL
);

CREATE TABLE objective_focus (
    round_id       bigint   NOT NULL,
    ord            integer  NOT NULL,
    guid           text     NOT NULL,
    team           smallint NOT NULL,
    objective      bytea    NOT NULL,
    avg_distance   real     NOT NULL,
    time_within_radius_ms integer NOT NULL,
    samples        integer  NOT NULL,
    PRIMARY KEY (round_id, ord)
);

-- Every player figure of one round, one row per player per round, written by the importer
-- (src/import/rows.rs): the totals are summed from it, and a period's partial month reads it.
-- The columns after the key are the figures; player_totals has the same ones, and the rollup
-- functions read them from the catalogue (0002_rollups.sql).
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

-- =============================================================================================
-- Monthly and yearly totals
-- =============================================================================================
--
-- So that a question over ten years reads a few thousand rows instead of millions.
--
-- Every total row covers one calendar period (UTC): `months` = 1 for a month, 12 for a year,
-- starting at `bucket`. A round is added to the totals of its month and of its year after its
-- import, in batches (store::totals, `rollup_totals`), and subtracted by the rounds trigger in
-- the transaction that deletes it, so the totals always equal the sum of the per-round rows
-- they come from: nothing is counted twice and a deleted round leaves no trace. A period query
-- reads whole years, then whole months, then the per-round rows of the part of a month its
-- start falls in (see `Scope` in src/store/queries/scope.rs).

-- A round stored but not yet added to the totals. Every query that reads the totals also reads
-- the per-round rows of these rounds (store::queries, Scope::push_raw_filters), so a round
-- counts in every figure from the moment its import commits, whether or not it has been added
-- yet; adding a batch removes its rounds from this table in the transaction that adds them to
-- the totals.
--
-- The row carries the round's deaths binned as heat_totals keeps them (kind 1), which the
-- importer has at hand, so that a batch need not read back the engagements just written. The
-- rows live for minutes: kept as they are up to a page (toast_tuple_target) rather than
-- compressed.
CREATE TABLE totals_pending (
    round_id    bigint     PRIMARY KEY,
    cell_x      integer[]  COMPRESSION lz4 NOT NULL,
    cell_y      integer[]  COMPRESSION lz4 NOT NULL,
    killer_team smallint[] COMPRESSION lz4 NOT NULL,
    target_team smallint[] COMPRESSION lz4 NOT NULL,
    n           integer[]  COMPRESSION lz4 NOT NULL
) WITH (toast_tuple_target = 8160);

-- The figures of player_round_totals (same names, types and order) summed per period, map and
-- player.
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

-- Heatmap cells of all players, one row per period, map and kind, the cells as parallel arrays
-- (one row updated per batch instead of thousands of cell rows): kind 1 = deaths on a 64-unit
-- grid with the killer's and the victim's team (0 = none), kind 2 = presence (movement) on the
-- 128-unit grid with teams 0.
CREATE TABLE heat_totals (
    months      smallint    NOT NULL CHECK (months IN (1, 12)),
    bucket      timestamptz NOT NULL,
    map         text        NOT NULL,
    kind        smallint    NOT NULL CHECK (kind IN (1, 2)),
    cell_x      integer[]   COMPRESSION lz4 NOT NULL,
    cell_y      integer[]   COMPRESSION lz4 NOT NULL,
    killer_team smallint[]  COMPRESSION lz4 NOT NULL,
    target_team smallint[]  COMPRESSION lz4 NOT NULL,
    n           integer[]   COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (months, bucket, map, kind)
);

-- Each round counts in its month and in its year.
CREATE VIEW round_periods AS
SELECT r.id AS round_id, r.map, g.months, date_trunc(g.unit, r.played_at, 'UTC') AS bucket
FROM rounds r CROSS JOIN (VALUES (1::smallint, 'month'), (12::smallint, 'year')) AS g(months, unit);

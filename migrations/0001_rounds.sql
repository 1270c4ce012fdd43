-- proximity: one row set per imported round file. Every lifetime figure the bot shows is a query
-- over these per-round rows, so a round can never be counted twice and deleting a round (one
-- DELETE FROM rounds) removes it from every total through ON DELETE CASCADE.

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

-- A directory of players for names and autocomplete (latest name seen). Not a total: figures
-- come from the per-round tables.
CREATE TABLE players (
    guid          text PRIMARY KEY,
    name          bytea       NOT NULL,
    display_name  text        NOT NULL,
    match_key     text        NOT NULL,
    last_seen     timestamptz NOT NULL
);
CREATE INDEX players_match_key ON players (match_key text_pattern_ops);

-- One row per player per round: who played, for whom, and their headline figures.
CREATE TABLE round_players (
    round_id      bigint   NOT NULL REFERENCES rounds ON DELETE CASCADE,
    guid          text     NOT NULL,
    name          bytea    NOT NULL,
    team          smallint NOT NULL,
    lives         integer  NOT NULL,
    alive_ms      bigint   NOT NULL,
    PRIMARY KEY (round_id, guid)
);
CREATE INDEX round_players_guid ON round_players (guid, round_id);

CREATE TABLE engagements (
    round_id        bigint   NOT NULL REFERENCES rounds ON DELETE CASCADE,
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
    PRIMARY KEY (round_id, ord)
);
CREATE INDEX engagements_target ON engagements (target_guid);
CREATE INDEX engagements_killer ON engagements (killer_guid) WHERE killer_guid IS NOT NULL;

CREATE TABLE engagement_attackers (
    round_id    bigint   NOT NULL,
    ord         integer  NOT NULL,
    attacker_ord smallint NOT NULL,
    guid        text     NOT NULL,
    name        bytea    NOT NULL,
    team        smallint NOT NULL,
    damage      integer  NOT NULL,
    hits        integer  NOT NULL,
    first_hit_ms integer NOT NULL,
    last_hit_ms integer  NOT NULL,
    got_kill    boolean  NOT NULL,
    -- Flattened (weapon id, hits) pairs.
    weapons     integer[] NOT NULL,
    PRIMARY KEY (round_id, ord, attacker_ord),
    FOREIGN KEY (round_id, ord) REFERENCES engagements ON DELETE CASCADE
);
CREATE INDEX engagement_attackers_guid ON engagement_attackers (guid);

-- One row per life with its movement profile and its compact path.
CREATE TABLE lives (
    round_id       bigint   NOT NULL REFERENCES rounds ON DELETE CASCADE,
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
    -- lz4: as compact as pglz on these delta-encoded paths, several times faster to write.
    path           bytea    COMPRESSION lz4 NOT NULL,
    PRIMARY KEY (round_id, life_ord)
);
CREATE INDEX lives_guid ON lives (guid, round_id);

-- The tracker's own heatmaps (512-unit grid), as written in the file.
CREATE TABLE kill_cells (
    round_id     bigint  NOT NULL REFERENCES rounds ON DELETE CASCADE,
    grid_x       integer NOT NULL,
    grid_y       integer NOT NULL,
    axis_kills   integer NOT NULL,
    allies_kills integer NOT NULL,
    PRIMARY KEY (round_id, grid_x, grid_y)
);
CREATE TABLE movement_cells (
    round_id   bigint  NOT NULL REFERENCES rounds ON DELETE CASCADE,
    grid_x     integer NOT NULL,
    grid_y     integer NOT NULL,
    traversal  integer NOT NULL,
    combat     integer NOT NULL,
    escape     integer NOT NULL,
    PRIMARY KEY (round_id, grid_x, grid_y)
);

-- Finer movement density (path samples binned on a 128-unit grid), from which movement heatmaps
-- are smoothed: one compact blob per player per round, and one for all players of the round
-- (guid = ''), so a heatmap over years reads a few rows per round instead of thousands.
CREATE TABLE presence (
    round_id bigint NOT NULL REFERENCES rounds ON DELETE CASCADE,
    guid     text   NOT NULL,
    cells    bytea  NOT NULL,
    samples  integer NOT NULL,
    PRIMARY KEY (round_id, guid)
);
CREATE INDEX presence_guid ON presence (guid, round_id);

CREATE TABLE pair_stats (
    round_id        bigint  NOT NULL REFERENCES rounds ON DELETE CASCADE,
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
CREATE INDEX pair_stats_a ON pair_stats (guid_a);
CREATE INDEX pair_stats_b ON pair_stats (guid_b);

CREATE TABLE player_teamplay (
    round_id   bigint   NOT NULL REFERENCES rounds ON DELETE CASCADE,
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
CREATE INDEX player_teamplay_guid ON player_teamplay (guid);

CREATE TABLE trade_events (
    round_id       bigint  NOT NULL REFERENCES rounds ON DELETE CASCADE,
    engagement_id  integer NOT NULL,
    victim_guid    text    NOT NULL,
    killer_guid    text    NOT NULL,
    death_ms       integer NOT NULL,
    death_x        real    NOT NULL,
    death_y        real    NOT NULL,
    opportunities  integer NOT NULL,
    opportunity_guids text[] NOT NULL,
    attempted      boolean NOT NULL,
    attempt_guids  text[]  NOT NULL,
    succeeded      boolean NOT NULL,
    trader_guid    text,
    trade_delay_ms integer,
    isolated       boolean NOT NULL,
    nearest_teammate_guid text,
    nearest_teammate_distance real
);
CREATE INDEX trade_events_round ON trade_events (round_id);

CREATE TABLE player_trades (
    round_id        bigint  NOT NULL REFERENCES rounds ON DELETE CASCADE,
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
CREATE INDEX player_trades_guid ON player_trades (guid);

CREATE TABLE player_support (
    round_id          bigint  NOT NULL REFERENCES rounds ON DELETE CASCADE,
    guid              text    NOT NULL,
    samples           integer NOT NULL,
    supported_samples integer NOT NULL,
    PRIMARY KEY (round_id, guid)
);
CREATE INDEX player_support_guid ON player_support (guid);

CREATE TABLE reactions (
    round_id        bigint   NOT NULL REFERENCES rounds ON DELETE CASCADE,
    ord             integer  NOT NULL,
    engagement_id   integer  NOT NULL,
    target_guid     text     NOT NULL,
    target_team     smallint NOT NULL,
    target_class    text     NOT NULL,
    outcome         text     NOT NULL,
    num_attackers   smallint NOT NULL,
    return_fire_ms  integer,
    dodge_reaction_ms integer,
    support_reaction_ms integer,
    PRIMARY KEY (round_id, ord)
);
CREATE INDEX reactions_target ON reactions (target_guid);

CREATE TABLE objective_focus (
    round_id       bigint   NOT NULL REFERENCES rounds ON DELETE CASCADE,
    ord            integer  NOT NULL,
    guid           text     NOT NULL,
    team           smallint NOT NULL,
    objective      bytea    NOT NULL,
    avg_distance   real     NOT NULL,
    time_within_radius_ms integer NOT NULL,
    samples        integer  NOT NULL,
    PRIMARY KEY (round_id, ord)
);

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

-- Discord accounts linked to in-game GUIDs (/link).
CREATE TABLE discord_links (
    discord_user_id bigint PRIMARY KEY,
    guid            text NOT NULL,
    linked_at       timestamptz NOT NULL DEFAULT now()
);

-- A round's trade events (metrics.md, trades) as one row of parallel arrays in the order the
-- importer derived them, like round_reactions (0009). Written row by row they cost a 24-player
-- round's import ~1.5 ms (~470 rows); no query reads them one by one (the per-player trade
-- figures are in player_trades).
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

-- The stored rows kept no order of their own: by engagement, then as written.
INSERT INTO round_trade_events
SELECT t.round_id,
       array_agg(t.engagement_id ORDER BY t.engagement_id, t.ctid),
       array_agg(t.victim_guid ORDER BY t.engagement_id, t.ctid),
       array_agg(t.killer_guid ORDER BY t.engagement_id, t.ctid),
       array_agg(t.death_ms ORDER BY t.engagement_id, t.ctid),
       array_agg(t.death_x ORDER BY t.engagement_id, t.ctid),
       array_agg(t.death_y ORDER BY t.engagement_id, t.ctid),
       array_agg(t.opportunities ORDER BY t.engagement_id, t.ctid),
       ARRAY(SELECT g FROM trade_events e, unnest(e.opportunity_guids) WITH ORDINALITY u(g, k)
             WHERE e.round_id = t.round_id ORDER BY e.engagement_id, e.ctid, u.k),
       array_agg(t.attempted ORDER BY t.engagement_id, t.ctid),
       array_agg(cardinality(t.attempt_guids) ORDER BY t.engagement_id, t.ctid),
       ARRAY(SELECT g FROM trade_events e, unnest(e.attempt_guids) WITH ORDINALITY u(g, k)
             WHERE e.round_id = t.round_id ORDER BY e.engagement_id, e.ctid, u.k),
       array_agg(t.succeeded ORDER BY t.engagement_id, t.ctid),
       array_agg(t.trader_guid ORDER BY t.engagement_id, t.ctid),
       array_agg(t.trade_delay_ms ORDER BY t.engagement_id, t.ctid),
       array_agg(t.isolated ORDER BY t.engagement_id, t.ctid),
       array_agg(t.nearest_teammate_guid ORDER BY t.engagement_id, t.ctid),
       array_agg(t.nearest_teammate_distance ORDER BY t.engagement_id, t.ctid)
FROM trade_events t
GROUP BY t.round_id;

DROP TABLE trade_events;

-- As in 0009, with round_trade_events for trade_events.
CREATE OR REPLACE FUNCTION per_round_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['round_players', 'player_round_totals', 'engagements', 'lives', 'kill_cells',
                 'movement_cells', 'presence', 'round_presence', 'pair_stats', 'player_teamplay',
                 'round_trade_events', 'player_trades', 'player_support', 'round_reactions',
                 'objective_focus']
$$;

-- A round's reaction metrics as one row of parallel arrays in file order, like round_presence.
-- Written row by row they cost a 24-player round's import ~2.5 ms (838 rows, one per
-- engagement); as arrays ~1 ms. Only the view of per-round figures reads them.
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

INSERT INTO round_reactions
SELECT round_id, array_agg(engagement_id ORDER BY ord), array_agg(target_guid ORDER BY ord),
       array_agg(target_team ORDER BY ord), array_agg(target_class ORDER BY ord),
       array_agg(outcome ORDER BY ord), array_agg(num_attackers ORDER BY ord),
       array_agg(return_fire_ms ORDER BY ord), array_agg(dodge_reaction_ms ORDER BY ord),
       array_agg(support_reaction_ms ORDER BY ord)
FROM reactions
GROUP BY round_id;

-- As in 0003, reading the arrays.
CREATE OR REPLACE VIEW player_round_figures AS
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
SELECT r.round_id, u.target_guid, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
       0, 0, 0, 0, 0, 0, 0,
       coalesce(u.return_fire_ms, 0), (u.return_fire_ms IS NOT NULL)::int,
       coalesce(u.dodge_reaction_ms, 0), (u.dodge_reaction_ms IS NOT NULL)::int
FROM round_reactions r,
     unnest(r.target_guid, r.return_fire_ms, r.dodge_reaction_ms)
         AS u(target_guid, return_fire_ms, dodge_reaction_ms);

DROP TABLE reactions;

-- As in 0005, with round_reactions for reactions.
CREATE OR REPLACE FUNCTION per_round_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['round_players', 'player_round_totals', 'engagements', 'lives', 'kill_cells',
                 'movement_cells', 'presence', 'round_presence', 'pair_stats', 'player_teamplay',
                 'trade_events', 'player_trades', 'player_support', 'round_reactions',
                 'objective_focus']
$$;

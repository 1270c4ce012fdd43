-- Imports write a round's per-round totals themselves (computed in Rust from the figures they
-- have in memory, src/store/rows.rs; ~2.5 ms of the import when summed here from the view), so
-- rollup_figures is split: add_player_round_totals sums the view as before (for rounds stored
-- before 0003, and as the reference the store tests compare the importer's rows with), and
-- rollup_totals adds per-round totals to the monthly and yearly totals.

CREATE FUNCTION add_player_round_totals(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
INSERT INTO player_round_totals
SELECT round_id, guid COLLATE "C", sum(life_rounds), sum(lives), sum(distance), sum(alive_ms),
       sum(sprint_weighted), sum(samples), sum(first_move_sum_ms), sum(first_move_count),
       sum(tp_rounds), sum(kills), sum(deaths), sum(damage_dealt), sum(crossfire_participations),
       sum(crossfire_kills), sum(solo_kills), sum(times_targeted), sum(times_focused),
       sum(focus_escapes), sum(escapes), sum(damage_taken), sum(engagement_duration_sum_ms),
       sum(tr_rounds), sum(trades_made), sum(deaths_traded), sum(isolation_deaths),
       sum(su_rounds), sum(su_samples), sum(su_supported), sum(return_fire_sum_ms),
       sum(return_fire_count), sum(dodge_sum_ms), sum(dodge_count)
FROM player_round_figures WHERE round_id = ANY (ids)
GROUP BY 1, 2;
END $$;

CREATE FUNCTION rollup_totals(ids bigint[], sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
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

-- As in 0003: a round is added once, since a second addition fails on the per-round totals' key.
CREATE OR REPLACE FUNCTION rollup_figures(ids bigint[], sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF sign = 1 THEN
        PERFORM add_player_round_totals(ids);
    END IF;
    PERFORM rollup_totals(ids, sign);
END $$;

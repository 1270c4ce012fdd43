-- Cheaper imports: a round writes about 6,000 rows, and each of them paid for checks and index
-- entries that nothing needs any more.

-- Since 0003 every per-player and per-pair figure over a period is read from the totals, and the
-- per-round rows only by round (the partial month of a period, the rollup itself). These GUID
-- indexes are no longer read by any query but cost every import one entry per row.
DROP INDEX lives_guid;
DROP INDEX player_teamplay_guid;
DROP INDEX player_trades_guid;
DROP INDEX player_support_guid;
DROP INDEX reactions_target;
DROP INDEX pair_stats_a;
DROP INDEX pair_stats_b;
DROP INDEX engagement_attackers_guid;

-- Per-round rows are written only by the importer, in the transaction that writes their round,
-- so their foreign keys could never fail; but PostgreSQL checks a foreign key row by row (about
-- 15 ms of a 24-player round's import). The rounds trigger now removes a deleted round's rows
-- itself, as ON DELETE CASCADE did. (import_log keeps its key: one row per file.)
ALTER TABLE round_players DROP CONSTRAINT round_players_round_id_fkey;
ALTER TABLE engagements DROP CONSTRAINT engagements_round_id_fkey;
ALTER TABLE engagement_attackers DROP CONSTRAINT engagement_attackers_round_id_ord_fkey;
ALTER TABLE lives DROP CONSTRAINT lives_round_id_fkey;
ALTER TABLE kill_cells DROP CONSTRAINT kill_cells_round_id_fkey;
ALTER TABLE movement_cells DROP CONSTRAINT movement_cells_round_id_fkey;
ALTER TABLE presence DROP CONSTRAINT presence_round_id_fkey;
ALTER TABLE round_presence DROP CONSTRAINT round_presence_round_id_fkey;
ALTER TABLE pair_stats DROP CONSTRAINT pair_stats_round_id_fkey;
ALTER TABLE player_teamplay DROP CONSTRAINT player_teamplay_round_id_fkey;
ALTER TABLE trade_events DROP CONSTRAINT trade_events_round_id_fkey;
ALTER TABLE player_trades DROP CONSTRAINT player_trades_round_id_fkey;
ALTER TABLE player_support DROP CONSTRAINT player_support_round_id_fkey;
ALTER TABLE reactions DROP CONSTRAINT reactions_round_id_fkey;
ALTER TABLE objective_focus DROP CONSTRAINT objective_focus_round_id_fkey;

-- Deleting a round (by hand or by the program): subtract it from the totals (0003) while its rows
-- exist, remove its rows, then drop the total rows of its periods that no longer count anything.
CREATE FUNCTION rounds_before_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rollup_rounds(ARRAY[OLD.id], -1);
    DELETE FROM round_players WHERE round_id = OLD.id;
    DELETE FROM player_round_totals WHERE round_id = OLD.id;
    DELETE FROM engagements WHERE round_id = OLD.id;
    DELETE FROM engagement_attackers WHERE round_id = OLD.id;
    DELETE FROM lives WHERE round_id = OLD.id;
    DELETE FROM kill_cells WHERE round_id = OLD.id;
    DELETE FROM movement_cells WHERE round_id = OLD.id;
    DELETE FROM presence WHERE round_id = OLD.id;
    DELETE FROM round_presence WHERE round_id = OLD.id;
    DELETE FROM pair_stats WHERE round_id = OLD.id;
    DELETE FROM player_teamplay WHERE round_id = OLD.id;
    DELETE FROM trade_events WHERE round_id = OLD.id;
    DELETE FROM player_trades WHERE round_id = OLD.id;
    DELETE FROM player_support WHERE round_id = OLD.id;
    DELETE FROM reactions WHERE round_id = OLD.id;
    DELETE FROM objective_focus WHERE round_id = OLD.id;
    DELETE FROM player_totals t USING round_periods p
    WHERE p.round_id = OLD.id AND t.months = p.months AND t.bucket = p.bucket AND t.map = p.map
      AND t.life_rounds = 0 AND t.lives = 0 AND t.tp_rounds = 0 AND t.tr_rounds = 0
      AND t.su_rounds = 0 AND t.return_fire_count = 0 AND t.dodge_count = 0;
    DELETE FROM pair_totals t USING round_periods p
    WHERE p.round_id = OLD.id AND t.months = p.months AND t.bucket = p.bucket AND t.map = p.map
      AND t.rounds = 0;
    DELETE FROM heat_totals t USING round_periods p
    WHERE p.round_id = OLD.id AND t.months = p.months AND t.bucket = p.bucket AND t.map = p.map
      AND cardinality(t.n) = 0;
    RETURN OLD;
END $$;
CREATE TRIGGER rounds_subtract_totals BEFORE DELETE ON rounds
    FOR EACH ROW EXECUTE FUNCTION rounds_before_delete();

-- TRUNCATE bypasses row triggers: TRUNCATE rounds empties every per-round table and the totals
-- with it.
CREATE FUNCTION rounds_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE round_players, engagements, engagement_attackers, lives, kill_cells, movement_cells,
        presence, round_presence, pair_stats, player_teamplay, trade_events, player_trades,
        player_support, reactions, objective_focus, player_round_totals, player_totals,
        pair_totals, heat_totals;
    RETURN NULL;
END $$;
CREATE TRIGGER rounds_truncate_totals AFTER TRUNCATE ON rounds
    FOR EACH STATEMENT EXECUTE FUNCTION rounds_truncated();

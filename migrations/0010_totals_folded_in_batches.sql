-- The monthly and yearly totals (0003) take new rounds in batches instead of one by one.
--
-- Adding one round to the totals upserts ~300 total rows and rewrites four heatmap rows: ~6 ms
-- of a 24-player round's ~33 ms import, on the one connection that writes the round. The same
-- players play every round of a month, so sixteen rounds added at once touch the same rows once,
-- for about a quarter of the cost each (store::totals).
--
-- A round stored but not yet added to the totals is listed here. Every query that reads the
-- totals also reads the per-round rows of these rounds (store::queries, Scope::push_raw_filters),
-- so a round counts in every figure from the moment its import commits, whether or not it has
-- been added yet. Adding a batch removes its rounds from this table in the transaction that adds
-- them to the totals.
--
-- The row carries the round's deaths binned as heat_totals keeps them (kind 1), which the
-- importer has at hand: read back from the engagements just written, they would cost a batch
-- ~10 ms (their pages are not yet all-visible, so the covering index does not suffice).
-- The rows live for minutes: kept as they are up to a page (~4.5 kB for a 24-player round)
-- rather than compressed.
CREATE TABLE totals_pending (
    round_id    bigint     PRIMARY KEY,
    cell_x      integer[]  COMPRESSION lz4 NOT NULL,
    cell_y      integer[]  COMPRESSION lz4 NOT NULL,
    killer_team smallint[] COMPRESSION lz4 NOT NULL,
    target_team smallint[] COMPRESSION lz4 NOT NULL,
    n           integer[]  COMPRESSION lz4 NOT NULL
) WITH (toast_tuple_target = 8160);

-- As in 0005: a round that was never added to the totals is not subtracted from them. A round
-- being added by another transaction has its row here locked; the DELETE waits for that
-- transaction and, once it has committed, finds the row gone and subtracts the round.
CREATE OR REPLACE FUNCTION rounds_before_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tbl text;
BEGIN
    DELETE FROM totals_pending WHERE round_id = OLD.id;
    IF NOT FOUND THEN
        PERFORM rollup_rounds(ARRAY[OLD.id], -1);
    END IF;
    FOREACH tbl IN ARRAY per_round_tables() LOOP
        EXECUTE format('DELETE FROM %I WHERE round_id = $1', tbl) USING OLD.id;
    END LOOP;
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

CREATE OR REPLACE FUNCTION rounds_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE 'TRUNCATE ' || array_to_string(
        per_round_tables()
            || ARRAY['totals_pending', 'player_totals', 'pair_totals', 'heat_totals'], ', ');
    RETURN NULL;
END $$;

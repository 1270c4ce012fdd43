-- An engagement's attackers become one value of the engagement's row instead of rows of their
-- own. They were a third of the rows written per round (~2,200 of ~6,000 in a 24-player round,
-- ~5 ms of its import) and no query reads them one by one; every per-player figure comes from
-- the derived tables. The layout is that of `codec::encode_attackers` (src/store/codec.rs):
-- fixed-width big-endian fields, which SQL can build from the old rows.

ALTER TABLE engagements ADD COLUMN attackers bytea;

UPDATE engagements e SET attackers = a.encoded
FROM (
    SELECT round_id, ord,
           '\x01'::bytea || int4send(count(*)::int4) || string_agg(
               int4send(octet_length(convert_to(guid, 'UTF8'))) || convert_to(guid, 'UTF8')
               || int4send(octet_length(name)) || name
               || int2send(team) || int4send(damage) || int4send(hits)
               || int4send(first_hit_ms) || int4send(last_hit_ms)
               || CASE WHEN got_kill THEN '\x01'::bytea ELSE '\x00'::bytea END
               || int4send(cardinality(weapons) / 2)
               || coalesce((SELECT string_agg(int4send(w), ''::bytea ORDER BY i)
                            FROM unnest(weapons) WITH ORDINALITY AS u(w, i)), ''::bytea),
               ''::bytea ORDER BY attacker_ord) AS encoded
    FROM engagement_attackers
    GROUP BY round_id, ord
) a
WHERE e.round_id = a.round_id AND e.ord = a.ord;

-- No attackers: a count of zero.
UPDATE engagements SET attackers = '\x0100000000'::bytea WHERE attackers IS NULL;
ALTER TABLE engagements ALTER COLUMN attackers SET NOT NULL;
DROP TABLE engagement_attackers;

-- The tables that hold rows of one round, by round_id. The rounds triggers remove a deleted
-- round's rows from each, so that a table added later needs adding here only.
CREATE FUNCTION per_round_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['round_players', 'player_round_totals', 'engagements', 'lives', 'kill_cells',
                 'movement_cells', 'presence', 'round_presence', 'pair_stats', 'player_teamplay',
                 'trade_events', 'player_trades', 'player_support', 'reactions',
                 'objective_focus']
$$;

-- As in 0004, with the table list above.
CREATE OR REPLACE FUNCTION rounds_before_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tbl text;
BEGIN
    PERFORM rollup_rounds(ARRAY[OLD.id], -1);
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
        per_round_tables() || ARRAY['player_totals', 'pair_totals', 'heat_totals'], ', ');
    RETURN NULL;
END $$;

-- Which version of the importer's figures a round's rows come from (import::FIGURES_VERSION).
-- A round whose figures are older is read again from its file (import::rederive), so that a
-- figure added later counts for the rounds stored before it too.
ALTER TABLE rounds ADD COLUMN figures_version smallint NOT NULL DEFAULT 1;
ALTER TABLE rounds ALTER COLUMN figures_version DROP DEFAULT;
CREATE INDEX rounds_figures_version ON rounds (figures_version);

-- Rounds stored between migrations 8 and 9 have their objective rows but none of the objective
-- figures of 0009 (their columns were added as 0) and no objective runs: version 0.
UPDATE rounds r SET figures_version = 0
WHERE (EXISTS (SELECT 1 FROM round_objective_events e WHERE e.round_id = r.id)
       OR EXISTS (SELECT 1 FROM round_carries c WHERE c.round_id = r.id)
       OR EXISTS (SELECT 1 FROM round_escorts s WHERE s.round_id = r.id))
  AND NOT EXISTS (SELECT 1 FROM player_round_totals f
                  WHERE f.round_id = r.id
                    AND (f.objective_actions > 0 OR f.carries > 0 OR f.escort_distance > 0));

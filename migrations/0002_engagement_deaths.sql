-- Kill and death heatmaps read only the deaths of a map's rounds: a narrow partial index of
-- them (with the positions and teams) is read instead of the wide engagement rows, about five
-- times faster on ten years of rounds (1.15 s -> 0.2 s for one map's 1.4 million engagements).
CREATE INDEX engagements_deaths ON engagements (round_id)
    INCLUDE (death_x, death_y, killer_team, target_team)
    WHERE death_x IS NOT NULL;

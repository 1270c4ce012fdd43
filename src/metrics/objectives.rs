//! Objective play derived from the round alone (`metrics.md`, "Objective play"): each
//! objective run with its approach and the kills that cleared the way, and kills of carriers.
//!
//! Decisions on what `metrics.md` leaves open: distances are 3D, like every other radius here;
//! a run's approach starts at the actor's last path sample more than [`RUN_RADIUS`] from the
//! action's position within the window (or at the first sample of the window in the actor's
//! life when they never were that far), and its path ends at the action's position.

use std::collections::BTreeMap;

use crate::format::{Engagement, GameSection, ObjectiveAction, Outcome, Round, Team, Vec3};

use super::{PlayerSums, death_position, killer_team, round_teams};

/// How far back from an objective action its run looks.
pub const RUN_WINDOW_MS: i64 = 30_000;
/// "800 units out": the run's radius around the action's position.
pub const RUN_RADIUS: f64 = 800.0;

/// One objective run: a plant, defuse, destruction, construction or secure with the actor's
/// way in and the enemies killed near the objective in the 30 s before it.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveRun {
    /// Index of the action in the round's OBJECTIVE_EVENTS.
    pub event_index: usize,
    pub guid: String,
    pub team: Team,
    pub time: i64,
    /// From the approach's start to the action; `None` when the actor has no path then.
    pub approach_ms: Option<i64>,
    pub path_length: f64,
    pub beeline: f64,
    /// The kills of enemies within the radius in the window by the actor or a teammate, in
    /// engagement order.
    pub clears: Vec<ClearingKill>,
}

/// A kill that cleared the way for an objective run.
#[derive(Clone, Debug, PartialEq)]
pub struct ClearingKill {
    pub killer_guid: String,
    pub time: i64,
    /// Where the enemy died.
    pub pos: Vec3,
}

impl ObjectiveRun {
    /// beeline / path, `None` for a run without movement.
    pub fn efficiency(&self) -> Option<f64> {
        (self.path_length > 0.0).then(|| (self.beeline / self.path_length).min(1.0))
    }

    /// Clearing kills the actor made themselves ("cleared for self").
    pub fn cleared_self(&self) -> usize {
        self.clears
            .iter()
            .filter(|k| k.killer_guid == self.guid)
            .count()
    }

    /// The teammates' clearing kills ("cleared by team"), one entry per kill.
    pub fn cleared_by(&self) -> impl Iterator<Item = &str> {
        self.clears
            .iter()
            .map(|k| k.killer_guid.as_str())
            .filter(|g| *g != self.guid)
    }
}

/// Every objective run of `round`, in the order of its OBJECTIVE_EVENTS; none when it did not
/// record them.
pub fn objective_runs(round: &Round) -> Vec<ObjectiveRun> {
    let Some(events) = &round.objective_events else {
        return Vec::new();
    };
    let kills: Vec<(&Engagement, Vec3, Team)> = round
        .engagements
        .iter()
        .filter(|e| e.outcome == Outcome::Killed)
        .filter_map(|e| Some((e, death_position(e), killer_team(e)?)))
        .collect();
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.action.starts_run())
        .map(|(i, e)| {
            let from = e.time - RUN_WINDOW_MS;
            let (approach_ms, path_length, beeline) =
                approach(round, &e.player_guid, e.time, e.pos)
                    .map_or((None, 0.0, 0.0), |(ms, path, line)| (Some(ms), path, line));
            let mut run = ObjectiveRun {
                event_index: i,
                guid: e.player_guid.clone(),
                team: e.player_team,
                time: e.time,
                approach_ms,
                path_length,
                beeline,
                clears: Vec::new(),
            };
            for (k, at, team) in &kills {
                let clears = *team == e.player_team
                    && k.target_team != e.player_team
                    && (from..=e.time).contains(&k.end_time)
                    && at.distance(&e.pos) <= RUN_RADIUS;
                if let Some(killer) = k.killer_guid.as_deref().filter(|_| clears) {
                    run.clears.push(ClearingKill {
                        killer_guid: killer.to_string(),
                        time: k.end_time,
                        pos: *at,
                    });
                }
            }
            run
        })
        .collect()
}

/// `(approach ms, path length, beeline)` of `guid` reaching `to` at `t`, from the life they
/// were in then.
fn approach(round: &Round, guid: &str, t: i64, to: Vec3) -> Option<(i64, f64, f64)> {
    let life = round
        .tracks
        .iter()
        .find(|l| l.guid == guid && l.spawn_time <= t && l.death_time.is_none_or(|d| d >= t))?;
    let window: Vec<_> = life
        .path
        .iter()
        .filter(|s| (t - RUN_WINDOW_MS..=t).contains(&s.time))
        .collect();
    let start = window
        .iter()
        .rposition(|s| s.pos.distance(&to) > RUN_RADIUS)
        .unwrap_or(0);
    let way = window.get(start..)?;
    let first = way.first()?;
    let path = way
        .windows(2)
        .map(|w| w[0].pos.distance(&w[1].pos))
        .sum::<f64>()
        + way.last().map_or(0.0, |s| s.pos.distance(&to));
    Some((t - first.time, path, first.pos.distance(&to)))
}

/// Kills of a player who was carrying an objective item at that moment: `(killer, victim,
/// time)`, in engagement order; none when the round did not record CARRIER_EVENTS.
pub fn carrier_kills(round: &Round) -> Vec<(&str, &str, i64)> {
    if !round.records(GameSection::CarrierEvents) {
        return Vec::new();
    }
    let carries = round.carries.as_deref().unwrap_or_default();
    round
        .engagements
        .iter()
        .filter(|e| e.outcome == Outcome::Killed)
        .filter(|e| {
            carries.iter().any(|c| {
                c.carrier_guid == e.target_guid
                    && (c.pickup_time..=c.drop_time).contains(&e.end_time)
            })
        })
        .filter_map(|e| {
            Some((
                e.killer_guid.as_deref()?,
                e.target_guid.as_str(),
                e.end_time,
            ))
        })
        .collect()
}

/// How an objective tally reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TallyUnit {
    /// A count of actions.
    Count,
    /// Milliseconds.
    Duration,
    /// World units.
    Distance,
}

/// A column of the objective board (`/objectives`): a per-player total over the rounds in
/// scope, most first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObjectiveTally {
    /// The command's choice, and the tally's key.
    pub key: &'static str,
    /// The board's title.
    pub title: &'static str,
    /// What one and several of it are called ("1 plant", "3 plants"); for durations and
    /// distances, the word after the value ("carrying", "escorted").
    pub one: &'static str,
    pub many: &'static str,
    /// The column of [`super::PlayerSums`] it totals.
    pub column: &'static str,
    pub unit: TallyUnit,
    /// The column counting the rounds that recorded it: 0 of them is "not recorded".
    pub recorded_by: &'static str,
}

const fn tally(
    key: &'static str,
    title: &'static str,
    (one, many): (&'static str, &'static str),
    column: &'static str,
    unit: TallyUnit,
    recorded_by: &'static str,
) -> ObjectiveTally {
    ObjectiveTally {
        key,
        title,
        one,
        many,
        column,
        unit,
        recorded_by,
    }
}

/// The objective board's columns, in the order the command offers them (a choice's place is
/// its value in Discord: new ones go at the end).
pub const OBJECTIVE_TALLIES: &[ObjectiveTally] = &[
    tally(
        "plants",
        "Dynamite planted",
        ("plant", "plants"),
        "plants",
        TallyUnit::Count,
        "ob_rounds",
    ),
    tally(
        "defuses",
        "Dynamite defused",
        ("defuse", "defuses"),
        "defuses",
        TallyUnit::Count,
        "ob_rounds",
    ),
    tally(
        "destructions",
        "Objectives destroyed",
        ("destroyed", "destroyed"),
        "destructions",
        TallyUnit::Count,
        "ob_rounds",
    ),
    tally(
        "constructions",
        "Constructions built",
        ("built", "built"),
        "constructions",
        TallyUnit::Count,
        "ob_rounds",
    ),
    tally(
        "captures",
        "Flags captured",
        ("capture", "captures"),
        "captures",
        TallyUnit::Count,
        "ob_rounds",
    ),
    tally(
        "secures",
        "Objectives secured",
        ("secure", "secures"),
        "secures",
        TallyUnit::Count,
        "ob_rounds",
    ),
    tally(
        "returns",
        "Objectives returned",
        ("return", "returns"),
        "returns",
        TallyUnit::Count,
        "ca_rounds",
    ),
    tally(
        "carry time",
        "Time carrying objectives",
        ("carrying", "carrying"),
        "carry_time_ms",
        TallyUnit::Duration,
        "ca_rounds",
    ),
    tally(
        "escort distance",
        "Escort distance",
        ("escorted", "escorted"),
        "escort_distance",
        TallyUnit::Distance,
        "es_rounds",
    ),
    tally(
        "clears for others",
        "Clearing kills for teammates",
        ("clear for others", "clears for others"),
        "clears_for_others",
        TallyUnit::Count,
        "ob_rounds",
    ),
    tally(
        "carrier kills",
        "Carriers killed",
        ("carrier kill", "carrier kills"),
        "carrier_kills",
        TallyUnit::Count,
        "ca_rounds",
    ),
];

impl ObjectiveTally {
    /// The tally by its key.
    pub fn by_key(key: &str) -> Option<&'static ObjectiveTally> {
        OBJECTIVE_TALLIES.iter().find(|t| t.key == key)
    }
}

/// Adds the objective sums of `round` (with its `runs`) to `players`. A section the round did
/// not record adds nothing and leaves its `*_rounds` flag 0. Distances and efficiencies are
/// narrowed to the stored `real` before they are added, as SQL's `sum` of the stored rows does.
pub(crate) fn add_objective_sums<'a>(
    round: &'a Round,
    runs: &'a [ObjectiveRun],
    players: &mut BTreeMap<&'a str, PlayerSums>,
) {
    let flags = [
        GameSection::ObjectiveEvents,
        GameSection::CarrierEvents,
        GameSection::EscortCredit,
    ]
    .map(|s| i32::from(round.records(s)));
    for guid in round_teams(round).into_keys() {
        let p = players.entry(guid).or_default();
        [p.ob_rounds, p.ca_rounds, p.es_rounds] = flags;
    }
    for e in round.objective_events.iter().flatten() {
        let p = players.entry(&e.player_guid).or_default();
        let count = match e.action {
            ObjectiveAction::DynamitePlant => &mut p.plants,
            ObjectiveAction::DynamiteDefuse => &mut p.defuses,
            ObjectiveAction::ObjectiveDestroyed => &mut p.destructions,
            ObjectiveAction::Constructed => &mut p.constructions,
            ObjectiveAction::Repaired => &mut p.repairs,
            ObjectiveAction::CheckpointCaptured => &mut p.captures,
            ObjectiveAction::ObjectiveSecured => &mut p.secures,
            ObjectiveAction::Other(_) => continue,
        };
        *count += 1;
        p.objective_actions += 1;
    }
    for run in runs {
        let p = players.entry(&run.guid).or_default();
        p.runs += 1;
        if let Some(ms) = run.approach_ms {
            p.run_approach_sum_ms += i64::from(ms as i32);
            p.run_approach_count += 1;
        }
        if let Some(e) = run.efficiency() {
            p.run_efficiency_sum += f64::from(e as f32);
            p.run_efficiency_count += 1;
        }
        p.cleared_self += run.cleared_self() as i32;
        p.cleared_by_team += run.cleared_by().count() as i32;
        for mate in run.cleared_by() {
            players.entry(mate).or_default().clears_for_others += 1;
        }
    }
    for c in round.carries.iter().flatten() {
        let p = players.entry(&c.carrier_guid).or_default();
        p.carries += 1;
        p.carry_time_ms += i64::from(c.drop_time as i32) - i64::from(c.pickup_time as i32);
        p.carry_distance += f64::from(c.carry_distance as f32);
    }
    for r in round.carrier_returns.iter().flatten() {
        if let Some(returner) = &r.returner {
            players.entry(&returner.guid).or_default().returns += 1;
        }
    }
    for (killer, _, _) in carrier_kills(round) {
        players.entry(killer).or_default().carrier_kills += 1;
    }
    for e in round.escorts.iter().flatten() {
        players.entry(&e.player_guid).or_default().escort_distance +=
            f64::from(e.credit_distance as f32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Carry, CarryOutcome, Name, ObjectiveAction, ObjectiveEvent};
    use crate::metrics::testkit::{attacker, engagement, round, track, with_attackers};

    fn event(
        t: i64,
        action: ObjectiveAction,
        guid: &str,
        team: Team,
        at: (f64, f64),
    ) -> ObjectiveEvent {
        ObjectiveEvent {
            time: t,
            action,
            player_guid: guid.into(),
            player_name: Name::from(guid),
            player_team: team,
            track_name: Name::new("the Gate"),
            pos: Vec3::new(at.0, at.1, 0.0),
        }
    }

    /// An Axis kill of Allied `victim` at `t`, dying at `at`.
    fn kill(id: i64, victim: &str, killer: &str, t: i64, at: (f64, f64)) -> Engagement {
        let mut e = with_attackers(
            engagement(id, victim, Team::Allies, t - 500, t, Outcome::Killed),
            vec![attacker(killer, Team::Axis, 120, t - 500, t, true)],
        );
        e.end = Vec3::new(at.0, at.1, 0.0);
        e
    }

    #[test]
    fn a_run_has_its_way_in_and_the_kills_that_cleared_it() {
        let mut r = round();
        // The planter walks in from 1200 units out along x, 100 units per second.
        r.tracks.push(track(
            "planter",
            Team::Axis,
            0,
            None,
            &[
                (40_000, 1200.0, 0.0),
                (42_000, 1000.0, 0.0),
                (44_000, 800.0, 0.0),
                (46_000, 600.0, 0.0),
                (48_000, 400.0, 0.0),
            ],
        ));
        r.tracks
            .push(track("mate", Team::Axis, 0, None, &[(40_000, 0.0, 900.0)]));
        r.engagements = vec![
            kill(1, "d1", "planter", 45_000, (100.0, 0.0)),
            kill(2, "d2", "mate", 30_000, (0.0, 700.0)),
            // Too far from the objective, too early, and an Allied kill: none clears.
            kill(3, "d3", "mate", 47_000, (0.0, 900.0)),
            kill(4, "d4", "mate", 10_000, (0.0, 100.0)),
        ];
        let mut allied = with_attackers(
            engagement(5, "planter2", Team::Axis, 46_000, 47_000, Outcome::Killed),
            vec![attacker("d9", Team::Allies, 140, 46_000, 47_000, true)],
        );
        allied.end = Vec3::new(10.0, 0.0, 0.0);
        r.engagements.push(allied);
        r.objective_events = Some(vec![
            event(
                49_000,
                ObjectiveAction::DynamitePlant,
                "planter",
                Team::Axis,
                (0.0, 0.0),
            ),
            // Not a run: repairs do not open one.
            event(
                49_500,
                ObjectiveAction::Repaired,
                "planter",
                Team::Axis,
                (0.0, 0.0),
            ),
        ]);
        let runs = objective_runs(&r);
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        // The last sample more than 800 out is at 42 s (1000 units); 800 is not "out".
        assert_eq!(run.approach_ms, Some(7000));
        assert_eq!(run.path_length, 1000.0);
        assert_eq!(run.beeline, 1000.0);
        assert_eq!(run.efficiency(), Some(1.0));
        assert_eq!(run.cleared_self(), 1);
        assert_eq!(run.cleared_by().collect::<Vec<_>>(), ["mate"]);
        assert_eq!(
            run.clears
                .iter()
                .map(|k| (k.time, k.pos))
                .collect::<Vec<_>>(),
            [
                (45_000, Vec3::new(100.0, 0.0, 0.0)),
                (30_000, Vec3::new(0.0, 700.0, 0.0))
            ]
        );
    }

    #[test]
    fn a_run_of_someone_with_no_path_then_has_no_approach() {
        let mut r = round();
        r.objective_events = Some(vec![event(
            5000,
            ObjectiveAction::Constructed,
            "ghost",
            Team::Allies,
            (0.0, 0.0),
        )]);
        let runs = objective_runs(&r);
        assert_eq!((runs[0].approach_ms, runs[0].efficiency()), (None, None));
        assert_eq!(
            objective_runs(&round()),
            Vec::new(),
            "not recorded: no runs"
        );
    }

    #[test]
    fn a_carrier_killed_while_carrying_is_a_carrier_kill() {
        let mut r = round();
        r.engagements = vec![
            kill(1, "runner", "hunter", 12_000, (0.0, 0.0)),
            kill(2, "runner", "hunter", 30_000, (0.0, 0.0)),
        ];
        r.carries = Some(vec![Carry {
            carrier_guid: "runner".into(),
            carrier_name: Name::from("runner"),
            carrier_team: Team::Allies,
            flag_team: Team::Axis,
            pickup_time: 10_000,
            drop_time: 12_000,
            duration_ms: 2000,
            outcome: CarryOutcome::Killed,
            carry_distance: 200.0,
            beeline_distance: 150.0,
            efficiency: 0.75,
            path_samples: 40,
            pickup_pos: Vec3::default(),
            drop_pos: Vec3::default(),
            killer_guid: Some("hunter".into()),
            killer_name: Some(Name::from("hunter")),
        }]);
        assert_eq!(carrier_kills(&r), [("hunter", "runner", 12_000)]);
    }
}

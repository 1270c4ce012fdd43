//! The typed contents of one round file (`reference/round_file_format.md`).
//!
//! The model mirrors the file: a field that the file may leave empty is an `Option`, a value the
//! file writes as `0`/`1` is a `bool`, and names stay raw bytes. `parse(write(r)) == r` holds for
//! every `Round` whose coordinates carry at most one decimal (the precision the file keeps).

use std::fmt;

/// A player name as the game wrote it: raw bytes, possibly with `^` colour codes and not
/// guaranteed UTF-8.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Name(pub Vec<u8>);

impl Name {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Name(bytes.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The name as people should read it: colour codes removed (ET's `Q_CleanStr` rules), bytes
    /// that are not UTF-8 replaced, control characters dropped.
    pub fn display(&self) -> String {
        crate::names::clean_name(&self.0)
    }

    /// The raw bytes as text, invalid UTF-8 replaced (colour codes kept).
    pub fn raw_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(s.as_bytes().to_vec())
    }
}

/// The file banner: `# PROXIMITY_TRACKER_V4` and its successors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Banner {
    V4,
    V5,
    V6,
}

impl Banner {
    pub fn as_str(self) -> &'static str {
        match self {
            Banner::V4 => "PROXIMITY_TRACKER_V4",
            Banner::V5 => "PROXIMITY_TRACKER_V5",
            Banner::V6 => "PROXIMITY_TRACKER_V6",
        }
    }
}

/// Declares a closed vocabulary of words used in the file, with `as_str` / `parse_word`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            pub fn parse_word(word: &[u8]) -> Option<Self> {
                match word { $(w if w == $word.as_bytes() => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// A playing team. Spectators are never recorded.
    Team { Axis = "AXIS", Allies = "ALLIES" }
);

vocabulary!(
    /// Player class (`sess.playerType`).
    PlayerClass {
        Soldier = "SOLDIER",
        Medic = "MEDIC",
        Engineer = "ENGINEER",
        FieldOps = "FIELDOPS",
        CovertOps = "COVERTOPS",
    }
);

vocabulary!(
    /// How an engagement ended. `Selfkill`, `Teamkill` and `Fallen` only occur in older files.
    Outcome {
        Killed = "killed",
        Escaped = "escaped",
        Timeout = "timeout",
        RoundEnd = "round_end",
        Disconnect = "disconnect",
        Shutdown = "shutdown",
        Unknown = "unknown",
        Selfkill = "selfkill",
        Teamkill = "teamkill",
        Fallen = "fallen",
    }
);

vocabulary!(
    /// How a life ended.
    DeathType {
        Killed = "killed",
        Selfkill = "selfkill",
        Fallen = "fallen",
        World = "world",
        Teamkill = "teamkill",
        RoundEnd = "round_end",
        Disconnect = "disconnect",
        Shutdown = "shutdown",
        Unknown = "unknown",
    }
);

vocabulary!(
    /// Why a point was added to an engagement's position path.
    PositionEvent {
        Start = "start",
        Hit = "hit",
        Sample = "sample",
        Death = "death",
        Escape = "escape",
    }
);

impl DeathType {
    /// Whether the life ended by dying (as opposed to the round or the connection ending).
    pub fn is_death(self) -> bool {
        !matches!(
            self,
            DeathType::RoundEnd | DeathType::Disconnect | DeathType::Shutdown
        )
    }
}

/// Why a sample was added to a life's path: `spawn`, `sample`, `revived`, or how the life ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathEvent {
    Spawn,
    Sample,
    Revived,
    End(DeathType),
}

impl PathEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            PathEvent::Spawn => "spawn",
            PathEvent::Sample => "sample",
            PathEvent::Revived => "revived",
            PathEvent::End(d) => d.as_str(),
        }
    }

    pub fn parse_word(word: &[u8]) -> Option<Self> {
        match word {
            b"spawn" => Some(PathEvent::Spawn),
            b"sample" => Some(PathEvent::Sample),
            b"revived" => Some(PathEvent::Revived),
            other => DeathType::parse_word(other).map(PathEvent::End),
        }
    }
}

/// Stance of a path sample: 0 standing, 1 crouched, 2 prone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stance {
    Standing = 0,
    Crouched = 1,
    Prone = 2,
}

impl Stance {
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Stance::Standing),
            1 => Some(Stance::Crouched),
            2 => Some(Stance::Prone),
            _ => None,
        }
    }
}

/// A position in Quake units.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Vec3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Vec3 {
    pub const fn new(x: f64, y: f64, z: f64) -> Self {
        Vec3 { x, y, z }
    }

    pub fn distance(&self, other: &Vec3) -> f64 {
        let (dx, dy, dz) = (self.x - other.x, self.y - other.y, self.z - other.z);
        (dx * dx + dy * dy + dz * dz).sqrt()
    }

    pub fn distance_2d(&self, other: &Vec3) -> f64 {
        let (dx, dy) = (self.x - other.x, self.y - other.y);
        (dx * dx + dy * dy).sqrt()
    }
}

/// The header keys (`# key=value` lines before the first section).
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub banner: Banner,
    pub map: String,
    /// 1 or 2 in stopwatch; other game types write 1.
    pub round: u8,
    pub crossfire_window_ms: i64,
    pub escape_time_ms: i64,
    pub escape_distance: f64,
    pub position_sample_interval_ms: i64,
    /// Unix seconds; 0 if unknown.
    pub round_start_unix: i64,
    pub round_end_unix: i64,
    pub tracker_version_full: Option<String>,
    pub test_mode: Option<bool>,
    pub axis_spawn_interval_ms: Option<i64>,
    pub allies_spawn_interval_ms: Option<i64>,
    /// Who won (`winner=`); `None` when the tracker did not say.
    pub winner: Option<Winner>,
    /// The defending team (`defender=`), when known.
    pub defender: Option<Team>,
    /// The round's played time in ms, live to the end (`time_set=`, what stopwatch sets).
    pub time_set_ms: Option<i64>,
    /// Feature switches as the tracker had them (`capabilities=name:0|1,...`), in file order.
    pub capabilities: Vec<(String, bool)>,
    /// Keys this reader does not know, kept in file order.
    pub extra: Vec<(String, String)>,
}

impl Header {
    /// A header with the default parameters of `metrics.md`.
    pub fn new(banner: Banner, map: impl Into<String>, round: u8) -> Self {
        Header {
            banner,
            map: map.into(),
            round,
            crossfire_window_ms: 1000,
            escape_time_ms: 5000,
            escape_distance: 300.0,
            position_sample_interval_ms: 200,
            round_start_unix: 0,
            round_end_unix: 0,
            tracker_version_full: None,
            test_mode: None,
            axis_spawn_interval_ms: None,
            allies_spawn_interval_ms: None,
            winner: None,
            defender: None,
            time_set_ms: None,
            capabilities: Vec::new(),
            extra: Vec::new(),
        }
    }
}

/// One point of an engagement's position path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EngagementPoint {
    pub time: i64,
    pub pos: Vec3,
    pub event: PositionEvent,
}

/// One attacker of an engagement.
#[derive(Clone, Debug, PartialEq)]
pub struct Attacker {
    pub guid: String,
    pub name: Name,
    pub team: Team,
    pub damage: i64,
    pub hits: i64,
    pub first_hit: i64,
    pub last_hit: i64,
    pub got_kill: bool,
    /// `(weapon id, hits)` in file order.
    pub weapons: Vec<(i64, i64)>,
}

/// One fight against one target (a row of ENGAGEMENTS).
#[derive(Clone, Debug, PartialEq)]
pub struct Engagement {
    pub id: i64,
    pub start_time: i64,
    pub end_time: i64,
    pub duration: i64,
    pub target_guid: String,
    pub target_name: Name,
    pub target_team: Team,
    pub outcome: Outcome,
    pub total_damage: i64,
    pub killer_guid: Option<String>,
    pub killer_name: Option<Name>,
    pub num_attackers: i64,
    pub is_crossfire: bool,
    pub crossfire_delay: Option<i64>,
    pub crossfire_participants: Vec<String>,
    pub start: Vec3,
    pub end: Vec3,
    pub distance_traveled: f64,
    pub positions: Vec<EngagementPoint>,
    pub attackers: Vec<Attacker>,
}

/// One sample of a life's path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackSample {
    pub time: i64,
    pub pos: Vec3,
    pub health: i64,
    pub speed: f64,
    pub weapon: i64,
    pub stance: Stance,
    pub sprint: bool,
    pub event: PathEvent,
}

/// One life, spawn to death or round end (a row of PLAYER_TRACKS).
#[derive(Clone, Debug, PartialEq)]
pub struct PlayerTrack {
    pub guid: String,
    pub name: Name,
    pub team: Team,
    pub class: PlayerClass,
    pub spawn_time: i64,
    /// `None` when alive at the end (the file writes `0`).
    pub death_time: Option<i64>,
    pub first_move_time: Option<i64>,
    pub death_type: DeathType,
    /// The `samples` column as written (normally `path.len()`).
    pub samples: i64,
    pub path: Vec<TrackSample>,
}

/// A row of KILL_HEATMAP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KillCell {
    pub grid_x: i64,
    pub grid_y: i64,
    pub axis_kills: i64,
    pub allies_kills: i64,
}

/// A row of MOVEMENT_HEATMAP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovementCell {
    pub grid_x: i64,
    pub grid_y: i64,
    pub traversal: i64,
    pub combat: i64,
    pub escape: i64,
}

/// A row of OBJECTIVE_FOCUS.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveFocus {
    pub guid: String,
    pub name: Name,
    pub team: Team,
    pub objective: Name,
    pub avg_distance: f64,
    pub time_within_radius_ms: i64,
    pub samples: i64,
}

/// A row of REACTION_METRICS. A `None` reaction means none within the window.
#[derive(Clone, Debug, PartialEq)]
pub struct ReactionMetric {
    pub engagement_id: i64,
    pub target_guid: String,
    pub target_name: Name,
    pub target_team: Team,
    pub target_class: PlayerClass,
    pub outcome: Outcome,
    pub num_attackers: i64,
    pub return_fire_ms: Option<i64>,
    pub dodge_reaction_ms: Option<i64>,
    pub support_reaction_ms: Option<i64>,
    pub start_time: i64,
    pub end_time: i64,
    pub duration: i64,
}

vocabulary!(
    /// How a player downed by an enemy ended (KILL_OUTCOME `outcome`). `Expired` only occurs in
    /// older files.
    KillFate {
        Gibbed = "gibbed",
        Revived = "revived",
        TappedOut = "tapped_out",
        RoundEnd = "round_end",
        Expired = "expired",
    }
);

/// Where a bullet hit landed: the engine's hit-region counters (`HR_HEAD` 0 .. `HR_LEGS` 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HitRegion {
    Head = 0,
    Arms = 1,
    Body = 2,
    Legs = 3,
}

impl HitRegion {
    pub const ALL: [HitRegion; 4] = [
        HitRegion::Head,
        HitRegion::Arms,
        HitRegion::Body,
        HitRegion::Legs,
    ];

    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(HitRegion::Head),
            1 => Some(HitRegion::Arms),
            2 => Some(HitRegion::Body),
            3 => Some(HitRegion::Legs),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HitRegion::Head => "head",
            HitRegion::Arms => "arms",
            HitRegion::Body => "body",
            HitRegion::Legs => "legs",
        }
    }
}

/// A row of REVIVES: a medic brought a downed teammate back.
#[derive(Clone, Debug, PartialEq)]
pub struct Revive {
    pub time: i64,
    /// The engine's record of who revived, never a guess.
    pub medic_guid: String,
    pub medic_name: Name,
    pub revived_guid: String,
    pub revived_name: Name,
    /// The revived player's position.
    pub pos: Vec3,
    /// 2D distance to the nearest living enemy; `None` when there was none.
    pub distance_to_enemy: Option<f64>,
    pub nearest_enemy_guid: Option<String>,
    /// The revived player had taken enemy damage in the 3000 ms before the revive.
    pub under_fire: bool,
}

/// A row of KILL_OUTCOME: how a player downed by an enemy ended.
#[derive(Clone, Debug, PartialEq)]
pub struct KillOutcome {
    pub kill_time: i64,
    pub victim_guid: String,
    pub victim_name: Name,
    pub killer_guid: String,
    pub killer_name: Name,
    /// MOD_* means of death.
    pub kill_mod: i64,
    pub outcome: KillFate,
    pub outcome_time: i64,
    pub delta_ms: i64,
    /// How long the kill kept the victim out of the game; `None` when the file leaves it empty.
    pub effective_denied_ms: Option<i64>,
    pub gibber_guid: Option<String>,
    pub gibber_name: Option<Name>,
    pub reviver_guid: Option<String>,
    pub reviver_name: Option<Name>,
}

/// A row of WEAPON_ACCURACY: one player's use of one weapon in the round.
#[derive(Clone, Debug, PartialEq)]
pub struct WeaponAccuracy {
    pub player_guid: String,
    pub player_name: Name,
    pub team: Team,
    /// WP_* number.
    pub weapon: i64,
    pub shots_fired: i64,
    pub hits: i64,
    pub kills: i64,
    pub headshots: i64,
}

/// A row of HIT_REGIONS: one bullet hit on a living enemy and where it landed.
#[derive(Clone, Debug, PartialEq)]
pub struct HitRegionHit {
    pub time: i64,
    pub attacker_guid: String,
    pub attacker_name: Name,
    pub victim_guid: String,
    pub victim_name: Name,
    /// WP_* number.
    pub weapon: i64,
    pub region: HitRegion,
    pub damage: i64,
}

/// A row of SPAWN_TIMING: how an enemy kill fell against the victim team's reinforcement wave.
#[derive(Clone, Debug, PartialEq)]
pub struct SpawnTiming {
    pub killer_guid: String,
    pub killer_name: Name,
    pub killer_team: Team,
    pub victim_guid: String,
    pub victim_name: Name,
    pub victim_team: Team,
    pub kill_time: i64,
    /// The victim team's reinforcement interval; the three wave fields are `None` when unknown.
    pub enemy_spawn_interval: Option<i64>,
    pub time_to_next_spawn: Option<i64>,
    /// `time_to_next_spawn / enemy_spawn_interval`, as written (three decimals).
    pub spawn_timing_score: Option<f64>,
    /// Seconds to each team's next wave, one decimal.
    pub killer_reinf: Option<f64>,
    pub victim_reinf: Option<f64>,
}

/// What a player did to an objective (OBJECTIVE_EVENTS `event_type`). Other trackers' files may
/// hold other words; they are kept as text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectiveAction {
    DynamitePlant,
    DynamiteDefuse,
    ObjectiveDestroyed,
    Constructed,
    Repaired,
    CheckpointCaptured,
    ObjectiveSecured,
    Other(String),
}

impl ObjectiveAction {
    /// The actions this reader knows, in the order players see them.
    pub const KNOWN: [ObjectiveAction; 7] = [
        ObjectiveAction::DynamitePlant,
        ObjectiveAction::DynamiteDefuse,
        ObjectiveAction::ObjectiveDestroyed,
        ObjectiveAction::Constructed,
        ObjectiveAction::Repaired,
        ObjectiveAction::CheckpointCaptured,
        ObjectiveAction::ObjectiveSecured,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            ObjectiveAction::DynamitePlant => "dynamite_plant",
            ObjectiveAction::DynamiteDefuse => "dynamite_defuse",
            ObjectiveAction::ObjectiveDestroyed => "objective_destroyed",
            ObjectiveAction::Constructed => "constructed",
            ObjectiveAction::Repaired => "repaired",
            ObjectiveAction::CheckpointCaptured => "checkpoint_captured",
            ObjectiveAction::ObjectiveSecured => "objective_secured",
            ObjectiveAction::Other(word) => word,
        }
    }

    /// The action a word names; a word this reader does not know is kept as [`Self::Other`].
    pub fn from_word(word: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|a| a.as_str() == word)
            .cloned()
            .unwrap_or_else(|| ObjectiveAction::Other(word.to_string()))
    }

    /// An action that completes an objective run (metrics.md "Objective play"): plants,
    /// defuses, destructions, constructions and secures.
    pub fn starts_run(&self) -> bool {
        matches!(
            self,
            ObjectiveAction::DynamitePlant
                | ObjectiveAction::DynamiteDefuse
                | ObjectiveAction::ObjectiveDestroyed
                | ObjectiveAction::Constructed
                | ObjectiveAction::ObjectiveSecured
        )
    }
}

impl fmt::Display for ObjectiveAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row of OBJECTIVE_EVENTS (CONSTRUCTION_EVENTS in deployed-tracker files).
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveEvent {
    pub time: i64,
    pub action: ObjectiveAction,
    pub player_guid: String,
    pub player_name: Name,
    pub player_team: Team,
    /// The objective's name as the game announces it; may be empty.
    pub track_name: Name,
    pub pos: Vec3,
}

vocabulary!(
    /// How a carry of an objective item ended (CARRIER_EVENTS `outcome`).
    CarryOutcome {
        Secured = "secured",
        Dropped = "dropped",
        Killed = "killed",
        RoundEnd = "round_end",
        Disconnected = "disconnected",
    }
);

/// A row of CARRIER_EVENTS: one carry of documents, a flag, gold...
#[derive(Clone, Debug, PartialEq)]
pub struct Carry {
    pub carrier_guid: String,
    pub carrier_name: Name,
    pub carrier_team: Team,
    /// The team that owns the item.
    pub flag_team: Team,
    pub pickup_time: i64,
    pub drop_time: i64,
    pub duration_ms: i64,
    pub outcome: CarryOutcome,
    pub carry_distance: f64,
    pub beeline_distance: f64,
    /// beeline / carry, as written (three decimals).
    pub efficiency: f64,
    pub path_samples: i64,
    pub pickup_pos: Vec3,
    pub drop_pos: Vec3,
    /// Set when the outcome is `killed`.
    pub killer_guid: Option<String>,
    pub killer_name: Option<Name>,
}

/// The player who returned a dropped item; `None` in a [`CarrierReturn`] means it went back on
/// the game's 30 s timeout.
#[derive(Clone, Debug, PartialEq)]
pub struct Returner {
    pub guid: String,
    pub name: Name,
    pub team: Team,
}

/// A row of CARRIER_RETURNS: a dropped item went back home.
#[derive(Clone, Debug, PartialEq)]
pub struct CarrierReturn {
    pub return_time: i64,
    pub returner: Option<Returner>,
    pub flag_team: Team,
    /// The drop fields are `None` when the tracker did not see the drop (before it loaded, say).
    pub original_carrier_guid: Option<String>,
    pub drop_time: Option<i64>,
    pub return_delay_ms: Option<i64>,
    pub drop_pos: Option<Vec3>,
}

/// A row of ESCORT_CREDIT: one player's escort of one vehicle.
#[derive(Clone, Debug, PartialEq)]
pub struct EscortCredit {
    pub player_guid: String,
    pub player_name: Name,
    pub player_team: Team,
    pub vehicle_name: Name,
    pub mounted_time_ms: i64,
    pub proximity_time_ms: i64,
    pub total_escort_distance: f64,
    pub credit_distance: f64,
    pub samples: i64,
}

/// Who won the round (`winner=` in the header; empty = nobody, a draw).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Winner {
    Team(Team),
    Nobody,
}

/// The sections of "the rest of the game": medics, gunfights, spawn timing and objectives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GameSection {
    Revives,
    KillOutcome,
    WeaponAccuracy,
    HitRegions,
    SpawnTiming,
    ObjectiveEvents,
    CarrierEvents,
    CarrierReturns,
    EscortCredit,
}

impl GameSection {
    pub const ALL: [GameSection; 9] = [
        GameSection::Revives,
        GameSection::KillOutcome,
        GameSection::WeaponAccuracy,
        GameSection::HitRegions,
        GameSection::SpawnTiming,
        GameSection::ObjectiveEvents,
        GameSection::CarrierEvents,
        GameSection::CarrierReturns,
        GameSection::EscortCredit,
    ];

    /// The sections of objective play.
    pub const OBJECTIVES: [GameSection; 4] = [
        GameSection::ObjectiveEvents,
        GameSection::CarrierEvents,
        GameSection::CarrierReturns,
        GameSection::EscortCredit,
    ];

    /// The section's name in the file.
    pub fn name(self) -> &'static str {
        match self {
            GameSection::Revives => "REVIVES",
            GameSection::KillOutcome => "KILL_OUTCOME",
            GameSection::WeaponAccuracy => "WEAPON_ACCURACY",
            GameSection::HitRegions => "HIT_REGIONS",
            GameSection::SpawnTiming => "SPAWN_TIMING",
            GameSection::ObjectiveEvents => "OBJECTIVE_EVENTS",
            GameSection::CarrierEvents => "CARRIER_EVENTS",
            GameSection::CarrierReturns => "CARRIER_RETURNS",
            GameSection::EscortCredit => "ESCORT_CREDIT",
        }
    }

    /// Its name in the header's `capabilities`.
    pub fn capability(self) -> &'static str {
        match self {
            GameSection::Revives => "revives",
            GameSection::KillOutcome => "kill_outcome",
            GameSection::WeaponAccuracy => "weapon_accuracy",
            GameSection::HitRegions => "hit_regions",
            GameSection::SpawnTiming => "spawn_timing",
            GameSection::ObjectiveEvents => "objective_events",
            GameSection::CarrierEvents => "carrier_events",
            GameSection::CarrierReturns => "carrier_returns",
            GameSection::EscortCredit => "escort_credit",
        }
    }

    /// Bit in a stored round's `recorded` mask.
    pub fn bit(self) -> i16 {
        1 << (self as i16)
    }
}

/// A section this reader does not use: its name and how many rows it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedSection {
    pub name: String,
    pub rows: usize,
}

/// Everything one round file holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Round {
    pub header: Header,
    pub engagements: Vec<Engagement>,
    pub tracks: Vec<PlayerTrack>,
    pub kill_heatmap: Vec<KillCell>,
    pub movement_heatmap: Vec<MovementCell>,
    /// `None` when the file has no OBJECTIVE_FOCUS section (it is optional).
    pub objective_focus: Option<Vec<ObjectiveFocus>>,
    /// `None` when the file has no REACTION_METRICS section (it is optional).
    pub reactions: Option<Vec<ReactionMetric>>,
    /// The sections below are `None` when the file does not hold them: not recorded, which
    /// is not the same as none happened (see [`Round::records`]).
    pub revives: Option<Vec<Revive>>,
    pub kill_outcomes: Option<Vec<KillOutcome>>,
    pub weapon_accuracy: Option<Vec<WeaponAccuracy>>,
    pub hit_regions: Option<Vec<HitRegionHit>>,
    pub spawn_timing: Option<Vec<SpawnTiming>>,
    pub objective_events: Option<Vec<ObjectiveEvent>>,
    pub carries: Option<Vec<Carry>>,
    pub carrier_returns: Option<Vec<CarrierReturn>>,
    pub escorts: Option<Vec<EscortCredit>>,
    /// Sections present in the file that this reader skipped, in file order.
    pub skipped: Vec<SkippedSection>,
    /// Whether the file ended with `# END`.
    pub has_end_marker: bool,
}

impl Round {
    /// An empty round with the given header.
    pub fn new(header: Header) -> Self {
        Round {
            header,
            engagements: Vec::new(),
            tracks: Vec::new(),
            kill_heatmap: Vec::new(),
            movement_heatmap: Vec::new(),
            objective_focus: None,
            reactions: None,
            revives: None,
            kill_outcomes: None,
            weapon_accuracy: None,
            hit_regions: None,
            spawn_timing: None,
            objective_events: None,
            carries: None,
            carrier_returns: None,
            escorts: None,
            skipped: Vec::new(),
            has_end_marker: true,
        }
    }

    /// Whether the round recorded `section`: the file holds it, or the header's `capabilities`
    /// says the tracker had it switched on (an absent section is then "on but empty").
    pub fn records(&self, section: GameSection) -> bool {
        let present = match section {
            GameSection::Revives => self.revives.is_some(),
            GameSection::KillOutcome => self.kill_outcomes.is_some(),
            GameSection::WeaponAccuracy => self.weapon_accuracy.is_some(),
            GameSection::HitRegions => self.hit_regions.is_some(),
            GameSection::SpawnTiming => self.spawn_timing.is_some(),
            GameSection::ObjectiveEvents => self.objective_events.is_some(),
            GameSection::CarrierEvents => self.carries.is_some(),
            GameSection::CarrierReturns => self.carrier_returns.is_some(),
            GameSection::EscortCredit => self.escorts.is_some(),
        };
        present
            || self
                .header
                .capabilities
                .iter()
                .any(|(name, on)| *on && name == section.capability())
    }

    /// The `recorded` mask of [`GameSection::bit`]s.
    pub fn recorded_mask(&self) -> i16 {
        GameSection::ALL
            .iter()
            .filter(|s| self.records(**s))
            .map(|s| s.bit())
            .sum()
    }

    /// The round's end on the round clock: the latest time any row mentions.
    pub fn end_time(&self) -> i64 {
        let eng = self.engagements.iter().map(|e| e.end_time);
        let tracks = self.tracks.iter().flat_map(|t| {
            t.death_time
                .into_iter()
                .chain(t.path.last().map(|s| s.time))
        });
        eng.chain(tracks).max().unwrap_or(0)
    }
}

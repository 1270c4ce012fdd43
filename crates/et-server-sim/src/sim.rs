//! A simulated ET:Legacy game server that runs the proximity tracker unchanged.
//!
//! It implements section 6 of `reference/etlegacy_lua_api.md`: a fresh PUC Lua 5.4 VM per map
//! and per `map_restart`, callbacks dispatched with the engine's return rules, 1024 entity slots
//! with the engine's field shapes, spectators and limbo players mirroring someone else's
//! playerstate, the server clock, the gamestate sequences and `trap_FS_*` on real files under a
//! temporary home folder. On top of the engine layer sit game-level actions (spawn, damage,
//! revive, disconnect, ...) that also record the ground truth of what happened.

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

/// Engine constants used by the simulator and the tests.
pub mod c {
    pub const MAX_CLIENTS: usize = 64;
    pub const MAX_GENTITIES: i64 = 1024;
    pub const ENTITYNUM_WORLD: i64 = 1022;
    pub const TEAM_AXIS: i64 = 1;
    pub const TEAM_ALLIES: i64 = 2;
    pub const TEAM_SPECTATOR: i64 = 3;
    pub const PMF_DUCKED: i64 = 1;
    pub const PMF_RESPAWNED: i64 = 512;
    pub const PMF_FOLLOW: i64 = 4096;
    pub const PMF_LIMBO: i64 = 16384;
    pub const PM_NORMAL: i64 = 0;
    pub const PM_DEAD: i64 = 3;
    pub const EF_DEAD: i64 = 0x1;
    pub const EF_CROUCHING: i64 = 0x10;
    pub const EF_PRONE: i64 = 0x80000;
    pub const STAT_HEALTH: usize = 0;
    pub const STAT_MAX_HEALTH: usize = 3;
    pub const STAT_PLAYER_CLASS: usize = 4;
    pub const STAT_SPRINTTIME: usize = 8;
    pub const SPRINT_MAX: i64 = 20000;
    pub const GIB_HEALTH: i64 = -175;
    pub const FORCE_LIMBO_HEALTH: i64 = -113;
    pub const SVF_BOT: i64 = 8;
    pub const CS_LEVEL_START_TIME: usize = 11;
    pub const CS_SERVERINFO: usize = 0;
    pub const CS_WOLFINFO: usize = 21;
    pub const CS_PLAYERS: usize = 689;
    pub const CS_REINFSEEDS: usize = 31;
    pub const CS_MULTI_INFO: usize = 13;
    pub const CS_MULTI_MAPWINNER: usize = 14;
    pub const ENTITYNUM_NONE: i64 = 1023;
    pub const PW_REDFLAG: usize = 5;
    pub const PW_BLUEFLAG: usize = 6;
    pub const EF_MOUNTEDTANK: i64 = 0x8000;
    pub const ET_ITEM: i64 = 2;
    pub const ET_MOVER: i64 = 4;
    pub const ET_CONSTRUCTIBLE: i64 = 33;
    pub const MOD_DYNAMITE: i64 = 22;
    pub const MOD_SATCHEL: i64 = 42;
    // Hit regions (`pers.playerStats.hitRegions` indexes).
    pub const HR_HEAD: usize = 0;
    pub const HR_ARMS: usize = 1;
    pub const HR_BODY: usize = 2;
    pub const HR_LEGS: usize = 3;
    // Means of death.
    pub const MOD_MP40: i64 = 8;
    pub const MOD_THOMPSON: i64 = 9;
    pub const MOD_STEN: i64 = 10;
    pub const MOD_GARAND: i64 = 11;
    pub const MOD_GRENADE_PINEAPPLE: i64 = 18;
    pub const MOD_GRENADE_LAUNCHER: i64 = 16;
    pub const MOD_PANZERFAUST: i64 = 15;
    pub const MOD_TRIGGER_HURT: i64 = 35;
    pub const MOD_FALLING: i64 = 32;
    pub const MOD_SUICIDE: i64 = 33;
    pub const MOD_CARBINE: i64 = 37;
    pub const MOD_KAR98: i64 = 38;
    pub const MOD_SWITCHTEAM: i64 = 59;
    // Weapons.
    pub const WP_MP40: i64 = 3;
    pub const WP_GRENADE_LAUNCHER: i64 = 4;
    pub const WP_PANZERFAUST: i64 = 5;
    pub const WP_MEDIC_SYRINGE: i64 = 11;
    pub const WP_THOMPSON: i64 = 8;
    pub const WP_GRENADE_PINEAPPLE: i64 = 9;
    pub const WP_STEN: i64 = 10;
    pub const WP_KAR98: i64 = 23;
    pub const WP_CARBINE: i64 = 24;
    pub const WP_GARAND: i64 = 25;
}

/// Means of death of the weapons that give hit regions (`IsHeadShotWeapon`): pistols, SMGs,
/// rifles (scoped too), FG42, MG42/Browning and MP34. Explosives, knives and fire give none.
pub fn is_bullet_mod(mod_: i64) -> bool {
    matches!(
        mod_,
        1 | 2 | 3 | 6..=14 | 37 | 38 | 44 | 45 | 46 | 50 | 51 | 53..=56 | 62 | 66
    )
}

/// The weapon (`WP_*`) behind a means of death, from the engine's weapon table (its `mod` and
/// `splashMod` columns); `None` for deaths without a weapon.
pub fn weapon_of_mod(mod_: i64) -> Option<i64> {
    Some(match mod_ {
        5 | 65 => 1,
        6 => 2,
        7 => 7,
        8 => 3,
        9 => 8,
        10 => 10,
        11 => 25,
        12 => 14,
        13 => 32,
        14 => 42,
        15 => 5,
        16 => 4,
        17 => 6,
        18 => 9,
        22 => 15,
        24 => 11,
        37 => 24,
        38 => 23,
        39 => 37,
        40 => 38,
        41 => 26,
        42 => 27,
        44 => 30,
        45 => 39,
        46 => 40,
        50 => 31,
        51 => 41,
        52 => 34,
        53 => 35,
        54 => 36,
        55 => 45,
        56 => 46,
        61 => 48,
        62 => 49,
        63 => 51,
        64 => 53,
        66 => 54,
        _ => return None,
    })
}

/// A weapon as the engine's weapon table defines it, with the damage the simulated players deal.
#[derive(Clone, Debug)]
pub struct WeaponSpec {
    pub wp: i64,
    pub mod_: i64,
    /// `nextShotTime`: ms between two shots (automatic fire) or throws.
    pub fire_ms: i64,
    /// Damage of one body hit.
    pub damage: std::ops::RangeInclusive<i64>,
}

/// The main weapon of a class on a team (soldier/medic/field ops SMG, engineer rifle, covert
/// ops Sten), with the weapon table's fire rates.
pub fn loadout(class: i64, team: i64) -> WeaponSpec {
    let (wp, mod_, fire_ms, damage) = match (class, team) {
        (4, _) => (c::WP_STEN, c::MOD_STEN, 150, 12..=16),
        (2, 1) => (c::WP_KAR98, c::MOD_KAR98, 400, 30..=45),
        (2, _) => (c::WP_CARBINE, c::MOD_CARBINE, 400, 30..=45),
        (_, 1) => (c::WP_MP40, c::MOD_MP40, 150, 14..=20),
        _ => (c::WP_THOMPSON, c::MOD_THOMPSON, 150, 14..=20),
    };
    WeaponSpec {
        wp,
        mod_,
        fire_ms,
        damage,
    }
}

/// The team's hand grenade (thrown every 1600 ms at most).
pub fn grenade(team: i64) -> WeaponSpec {
    if team == c::TEAM_AXIS {
        WeaponSpec {
            wp: c::WP_GRENADE_LAUNCHER,
            mod_: c::MOD_GRENADE_LAUNCHER,
            fire_ms: 1600,
            damage: 20..=90,
        }
    } else {
        WeaponSpec {
            wp: c::WP_GRENADE_PINEAPPLE,
            mod_: c::MOD_GRENADE_PINEAPPLE,
            fire_ms: 1600,
            damage: 20..=90,
        }
    }
}

/// `aReinfSeeds` (bg_misc.c) and the reinforcement constants of bg_public.h.
const REINF_SEEDS: [i64; 8] = [11, 3, 13, 7, 2, 5, 1, 17];
const REINF_RANGE: i64 = 16;
const REINF_BLUEDELT: i64 = 3;
const REINF_REDDELT: i64 = 2;

/// Which engine release to imitate: 2.83.1 has no `et_Revive` and no `et.EF_*` constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineVersion {
    V2_83_1,
    V2_85,
}

/// How a simulated player moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Still,
    Run,
    Sprint,
    Crouch,
    Prone,
}

impl Mode {
    /// Ground speed in units per second (g_speed 320: run ×0.8, sprint ×1.1, crouch, prone).
    pub fn speed(self) -> f64 {
        match self {
            Mode::Still => 0.0,
            Mode::Run => 256.0,
            Mode::Sprint => 352.0,
            Mode::Crouch => 80.0,
            Mode::Prone => 67.0,
        }
    }
}

/// The part of `gclient_t.ps` the tracker can read.
#[derive(Clone, Debug)]
pub struct PlayerState {
    pub origin: [f64; 3],
    pub velocity: [f64; 3],
    pub viewangles: [f64; 3],
    pub viewheight: i64,
    pub pm_flags: i64,
    pub pm_type: i64,
    pub eflags: i64,
    pub weapon: i64,
    pub weaponstate: i64,
    pub stats: [i64; 16],
    pub persistant: [i64; 16],
    pub powerups: [i64; 16],
    pub ammo: [i64; 64],
    pub ammoclip: [i64; 64],
}

impl Default for PlayerState {
    fn default() -> Self {
        PlayerState {
            origin: [0.0; 3],
            velocity: [0.0; 3],
            viewangles: [0.0; 3],
            viewheight: 0,
            pm_flags: 0,
            pm_type: 0,
            eflags: 0,
            weapon: 0,
            weaponstate: 0,
            stats: [0; 16],
            persistant: [0; 16],
            powerups: [0; 16],
            ammo: [0; 64],
            ammoclip: [0; 64],
        }
    }
}

/// One client slot (`gentity_t` + `gclient_t`).
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub inuse: bool,
    pub connected: i64,
    pub health: i64,
    pub netname: String,
    /// The name in the client's userinfo.
    pub name: String,
    /// `cl_guid` in the userinfo (bots: `OMNIBOTnn` + 23 spaces).
    pub guid: String,
    pub is_bot: bool,
    pub lastrevive_client: i64,
    pub hit_regions: [i64; 4],
    pub ps: PlayerState,
    pub team: i64,
    pub player_type: i64,
    pub spectator_state: i64,
    pub spectator_client: i64,
    pub classname: String,
    /// Spectators and limbo players: whose playerstate they mirror.
    pub follow: Option<usize>,
    /// Begun in the current VM (et_ClientBegin fires only on the first begin per VM).
    pub begun_in_vm: bool,
    pub sv_flags: i64,
    pub kills: i64,
    pub deaths: i64,
    pub lasthurt_client: i64,
    pub lasthurt_mod: i64,
    /// Simulation-only: movement mode and heading (unit vector in the xy plane).
    pub mode: Mode,
    pub heading: [f64; 2],
    /// Simulation-only: the index of the player's current ground-truth life.
    pub life: Option<usize>,
    /// `pers.lastReinforceTime`: the wave clock the last time this limbo player was checked.
    pub last_reinforce_time: i64,
    /// Simulation-only: the ground-truth kill (index in `Truth::kills`) this player is down from.
    pub down: Option<usize>,
    /// Simulation-only: ground-truth kills of this player that wait for the next spawn.
    pub awaiting_spawn: Vec<usize>,
    /// Simulation-only: round time of the last enemy damage this player took (alive or down).
    pub last_enemy_hit: Option<i64>,
    /// `tankLink`: the mover whose MG this player operates.
    pub tank_link: Option<i64>,
    /// `s.groundEntityNum`: what the player stands on (1022 the world).
    pub ground_entity: i64,
    /// Simulation-only: the ground-truth carry (index in `Truth::carries`) in progress.
    pub carry: Option<usize>,
}

impl Client {
    /// Alive on a team and in the world.
    pub fn is_alive(&self) -> bool {
        self.connected == 2
            && (self.team == c::TEAM_AXIS || self.team == c::TEAM_ALLIES)
            && self.health > 0
            && self.ps.pm_flags & c::PMF_LIMBO == 0
    }

    /// Downed: dead but revivable (not yet in limbo).
    pub fn is_downed(&self) -> bool {
        self.connected == 2
            && self.health <= 0
            && self.ps.pm_type == c::PM_DEAD
            && self.ps.pm_flags & c::PMF_LIMBO == 0
    }

    pub fn is_limbo(&self) -> bool {
        self.ps.pm_flags & c::PMF_LIMBO != 0
    }
}

/// A non-client entity slot.
#[derive(Clone, Debug, Default)]
pub struct Entity {
    pub inuse: bool,
    pub classname: Option<String>,
    pub health: i64,
    pub origin: [f64; 3],
    pub count: i64,
    pub script_name: Option<String>,
    pub targetname: Option<String>,
    pub track: Option<String>,
    pub message: Option<String>,
    /// func_constructible: `[progress 0..255, 1 when built, 0]`.
    pub angles2: [f64; 3],
    pub linked: bool,
    pub team_num: i64,
    pub etype: i64,
    pub takedamage: i64,
    /// script_mover: the client on its MG (`tankLink`).
    pub tank_link: Option<i64>,
    /// Simulation-only: a mover's velocity (units/s).
    pub velocity: [f64; 3],
}

impl Entity {
    /// The name a tracker can give the entity: track, scriptName, targetname or message.
    pub fn display_name(&self) -> String {
        [
            &self.track,
            &self.script_name,
            &self.targetname,
            &self.message,
        ]
        .into_iter()
        .flatten()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_default()
    }
}

/// An open file handle of `trap_FS_FOpenFile`.
struct OpenFile {
    file: Option<File>,
    data: Vec<u8>,
    mode: i64,
}

/// How a ground-truth life ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeEnd {
    /// Killed by another player (enemy or team mate).
    Killed,
    Teamkill,
    Selfkill,
    Fallen,
    World,
    Disconnect,
    RoundEnd,
    Shutdown,
}

/// One life as it really happened (spawn to final death, disconnect or round end).
#[derive(Clone, Debug)]
pub struct TruthLife {
    pub guid: String,
    pub spawn_time: i64,
    pub death_time: Option<i64>,
    pub end: Option<LifeEnd>,
    pub revives: u32,
}

/// One damaging hit by a player on a living player, during the live round.
#[derive(Clone, Debug)]
pub struct TruthHit {
    pub damage: i64,
}

/// One obituary during the live round.
#[derive(Clone, Debug)]
pub struct TruthDeath {
    pub time: i64,
    pub victim_guid: String,
    /// The killer's guid when the killer is another client.
    pub killer_guid: Option<String>,
}

/// How a player downed by an enemy ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Gibbed,
    Revived,
    TappedOut,
    RoundEnd,
}

impl Fate {
    pub fn word(self) -> &'static str {
        match self {
            Fate::Gibbed => "gibbed",
            Fate::Revived => "revived",
            Fate::TappedOut => "tapped_out",
            Fate::RoundEnd => "round_end",
        }
    }
}

/// One kill by an enemy during the live round, and how the victim ended.
#[derive(Clone, Debug)]
pub struct TruthKill {
    pub time: i64,
    pub victim_guid: String,
    pub victim_team: i64,
    pub killer_guid: String,
    pub killer_team: i64,
    pub mod_: i64,
    /// `None` while the victim is still down.
    pub fate: Option<Fate>,
    pub fate_time: Option<i64>,
    /// Who dealt the damage that destroyed the body (a client), for `Gibbed`.
    pub gibber_guid: Option<String>,
    pub reviver_guid: Option<String>,
    /// When the kill stopped keeping the victim out: the revive, the next spawn, the
    /// disconnect or the round end.
    pub back_time: Option<i64>,
    /// The victim team's reinforcement interval at the kill (ms).
    pub victim_interval: i64,
    /// Ms from the kill to the first server frame at which the victim team's wave came.
    pub victim_next_wave: i64,
    pub killer_interval: i64,
    pub killer_next_wave: i64,
}

/// One revive during the live round.
#[derive(Clone, Debug)]
pub struct TruthRevive {
    pub time: i64,
    pub medic_guid: String,
    pub revived_guid: String,
    pub pos: [f64; 3],
    /// The nearest living enemy (2D) and its distance.
    pub nearest_enemy: Option<(String, f64)>,
    pub under_fire: bool,
}

/// One player's use of one weapon in the live round.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TruthWeapon {
    /// The player's team at their first shot, hit or kill with this weapon.
    pub team: i64,
    pub shots: i64,
    pub hits: i64,
    pub kills: i64,
    pub headshots: i64,
}

/// One bullet hit on a living enemy and the region the engine counted it in.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthRegionHit {
    pub time: i64,
    pub attacker_guid: String,
    pub victim_guid: String,
    pub weapon: i64,
    pub region: usize,
    pub damage: i64,
}

/// One objective action during the live round (OBJECTIVE_EVENTS).
#[derive(Clone, Debug, PartialEq)]
pub struct TruthObjective {
    pub time: i64,
    pub kind: &'static str,
    pub guid: String,
    pub team: i64,
    pub track: String,
    pub pos: [f64; 3],
}

/// One carry of a flag or documents: pickup to drop, secure, death, disconnect or round end.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthCarry {
    pub carrier_guid: String,
    pub carrier_team: i64,
    /// The team that owns the item.
    pub flag_team: i64,
    pub pickup_time: i64,
    pub pickup_pos: [f64; 3],
    pub drop_time: Option<i64>,
    pub drop_pos: [f64; 3],
    /// `secured`, `dropped`, `killed`, `round_end`, `disconnected`.
    pub outcome: Option<&'static str>,
    pub killer_guid: Option<String>,
    /// Path length through the carrier's position at every server frame of the carry.
    pub distance: f64,
    /// Pickup, every server frame, drop.
    pub samples: i64,
    pub last_pos: [f64; 3],
}

/// One return of a dropped item.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthReturn {
    pub time: i64,
    /// The player who touched it; `None` for the 30 s timeout.
    pub returner_guid: Option<String>,
    pub returner_team: Option<i64>,
    pub flag_team: i64,
    /// The carry whose drop this return ends (carrier, drop time and place).
    pub drop: Option<(String, i64, [f64; 3])>,
}

/// One player's escort of one vehicle over the live round.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TruthEscort {
    pub team: i64,
    pub mounted_ms: i64,
    pub proximity_ms: i64,
    pub escort: f64,
    pub credit: f64,
    pub samples: i64,
}

/// The round's end as the game recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthExit {
    /// Round time of the `Exit:` line.
    pub time: i64,
    /// CS_MULTI_MAPWINNER `w` and CS_MULTI_INFO `d` at that moment.
    pub winner: String,
    pub defender: String,
}

/// What really happened in the live rounds played so far.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    pub objectives: Vec<TruthObjective>,
    pub carries: Vec<TruthCarry>,
    pub returns: Vec<TruthReturn>,
    /// Per (guid, vehicle name).
    pub escorts: std::collections::BTreeMap<(String, String), TruthEscort>,
    pub exit: Option<TruthExit>,
    pub hits: Vec<TruthHit>,
    pub deaths: Vec<TruthDeath>,
    pub lives: Vec<TruthLife>,
    pub kills: Vec<TruthKill>,
    pub revives: Vec<TruthRevive>,
    /// Per (guid, WP_*).
    pub weapons: std::collections::BTreeMap<(String, i64), TruthWeapon>,
    pub region_hits: Vec<TruthRegionHit>,
    /// Round times of the frames at which each team's wave came (axis, allies).
    pub waves: [Vec<i64>; 2],
    /// Round time at which the round's end became visible (gamestate 3) or the game shut down.
    pub round_end: Option<i64>,
}

/// Where an objective item (flag, documents) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagAt {
    Home,
    Carried(usize),
    /// A dropped copy (ET_ITEM) in entity slot `ent`, dropped at level time `since`.
    Dropped {
        ent: usize,
        since: i64,
    },
}

/// An objective item of the map: `team_CTF_redflag` (owned by the Axis, carried by the Allies,
/// PW_REDFLAG) or `team_CTF_blueflag`.
#[derive(Clone, Debug)]
pub struct Flag {
    pub home: usize,
    pub pw: usize,
    pub owner: i64,
    pub class: &'static str,
    pub message: String,
    pub at: FlagAt,
    /// The last live drop (carrier guid, round time, place) for the return that ends it.
    pub last_drop: Option<(String, i64, [f64; 3])>,
}

/// Things the engine does inside a server frame (after the players moved, before `et_RunFrame`).
#[derive(Clone, Copy, Debug)]
enum InFrame {
    Secure(usize),
    Capture(usize, usize),
}

fn team_word(team: i64) -> &'static str {
    if team == c::TEAM_AXIS {
        "axis"
    } else {
        "allies"
    }
}

/// CS_MULTI_* team digits: 0 Axis, 1 Allies, -1 none.
fn team_digit(team: Option<i64>) -> String {
    match team {
        Some(t) if t == c::TEAM_AXIS || t == c::TEAM_ALLIES => (t - 1).to_string(),
        _ => "-1".into(),
    }
}

fn dist3(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    (x * x + y * y + z * z).sqrt()
}

/// Engine-side state shared with the Lua functions of the `et` table.
pub struct World {
    pub version: EngineVersion,
    pub maxclients: usize,
    pub sv_fps: i64,
    pub level_time: i64,
    /// `CS_LEVEL_START_TIME` (shifted by pauses).
    pub level_start: i64,
    /// Monotonic wall clock of `trap_Milliseconds`.
    pub milliseconds: i64,
    pub unix_base: i64,
    pub cvars: HashMap<String, String>,
    /// Cvars as of the start of the frame (what CS_SERVERINFO / CS_WOLFINFO show).
    cvar_snapshot: HashMap<String, String>,
    pub configstrings: HashMap<usize, String>,
    pub clients: Vec<Client>,
    pub ents: HashMap<usize, Entity>,
    /// The map's entities as G_InitGame spawns them (every map load and map_restart).
    pub map_ents: HashMap<usize, Entity>,
    pub home: PathBuf,
    files: HashMap<i64, OpenFile>,
    next_fd: i64,
    pub prints: Vec<String>,
    /// `open <path> <mode>` / `rename <from> <to>` / `close <fd>` in call order.
    pub fs_log: Vec<String>,
    pub server_commands: Vec<(i64, String)>,
    pub console_commands: Vec<String>,
    pub fatal: Vec<String>,
    pub argv: Vec<String>,
    pub modname: Option<String>,
    /// False while the top-level chunk runs (RegisterModname is a no-op, FindSelf nil).
    pub vm_registered: bool,
    /// Strict mode: undefined behaviour of the real engine is fatal.
    pub strict: bool,
    /// `level.dwRedReinfOffset` / `dwBlueReinfOffset` (axis, allies), ms.
    pub reinf_offsets: [i64; 2],
    /// State of the game module's `rand()` (drives CS_REINFSEEDS).
    pub rand_state: u64,
}

impl World {
    fn new(version: EngineVersion, maxclients: usize, home: PathBuf) -> Self {
        let mut cvars = HashMap::new();
        for (k, v) in [
            ("gamestate", "-1"),
            ("g_gametype", "4"),
            ("g_currentRound", "0"),
            ("mapname", "supply"),
            ("sv_hostname", "proximity test server"),
            ("g_friendlyFire", "1"),
            ("match_warmupDamage", "1"),
            ("g_redlimbotime", "30000"),
            ("g_bluelimbotime", "20000"),
            ("timelimit", "15"),
            ("dedicated", "2"),
            ("fs_game", "legacy"),
        ] {
            cvars.insert(k.to_string(), v.to_string());
        }
        cvars.insert("sv_maxclients".into(), maxclients.to_string());
        cvars.insert("sv_fps".into(), "20".into());
        cvars.insert("fs_homepath".into(), home.to_string_lossy().into_owned());
        let mut clients = vec![Client::default(); c::MAX_CLIENTS];
        for (i, cl) in clients.iter_mut().enumerate() {
            cl.classname = "clientslot".into();
            cl.lastrevive_client = -1;
            cl.spectator_client = i as i64;
        }
        let mut ents = HashMap::new();
        ents.insert(
            c::ENTITYNUM_WORLD as usize,
            Entity {
                inuse: true,
                classname: Some("worldspawn".into()),
                ..Entity::default()
            },
        );
        World {
            version,
            maxclients,
            sv_fps: 20,
            level_time: 3_600_000,
            level_start: 3_600_000,
            milliseconds: 12_345,
            unix_base: 1_768_070_000,
            cvar_snapshot: cvars.clone(),
            cvars,
            configstrings: HashMap::new(),
            clients,
            map_ents: ents.clone(),
            ents,
            home,
            files: HashMap::new(),
            next_fd: 1,
            prints: Vec::new(),
            fs_log: Vec::new(),
            server_commands: Vec::new(),
            console_commands: Vec::new(),
            fatal: Vec::new(),
            argv: Vec::new(),
            modname: None,
            vm_registered: false,
            strict: true,
            reinf_offsets: [0, 0],
            rand_state: 0x5eed,
        }
    }

    /// The game module's `rand()`: 15-bit values, as glibc's `rand() % n` users see them.
    fn rand(&mut self) -> i64 {
        self.rand_state = self
            .rand_state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.rand_state >> 33) & 0x7fff) as i64
    }

    /// `G_loadMatchGame`: new reinforcement seeds and offsets (every map and map_restart).
    pub fn new_reinf_seeds(&mut self) {
        let blue = self.rand() % 8;
        let red = self.rand() % 8;
        let b = (blue << REINF_BLUEDELT) + self.rand() % (1 << REINF_BLUEDELT);
        let r = (red << REINF_REDDELT) + self.rand() % (1 << REINF_REDDELT);
        let mut cs = format!("{b} {r}");
        let mut values = [0i64; 8];
        for (i, v) in values.iter_mut().enumerate() {
            *v = (self.rand() % REINF_RANGE) * REINF_SEEDS[i];
            cs.push_str(&format!(" {v}"));
        }
        self.reinf_offsets = [
            1000 * values[red as usize] / REINF_SEEDS[red as usize],
            1000 * values[blue as usize] / REINF_SEEDS[blue as usize],
        ];
        self.configstrings.insert(c::CS_REINFSEEDS, cs);
    }

    /// `g_redlimbotime` (axis) or `g_bluelimbotime` (allies), ms; 0 if unset.
    pub fn limbotime(&self, team: i64) -> i64 {
        let name = if team == c::TEAM_AXIS {
            "g_redlimbotime"
        } else {
            "g_bluelimbotime"
        };
        self.cvar(name).parse().unwrap_or(0)
    }

    /// The wave clock of a team: `(offset + level.timeCurrent - level.startTime) % limbotime`.
    pub fn wave_clock(&self, team: i64, level_time: i64) -> Option<i64> {
        let l = self.limbotime(team);
        if l <= 0 {
            return None;
        }
        let off = self.reinf_offsets[(team - 1) as usize];
        Some((off + level_time - self.level_start).rem_euclid(l))
    }

    /// Seconds since the epoch, simulated (advances with the server clock).
    pub fn unix_now(&self) -> i64 {
        self.unix_base + self.milliseconds / 1000
    }

    pub fn cvar(&self, name: &str) -> String {
        self.cvars.get(name).cloned().unwrap_or_default()
    }

    pub fn gamestate(&self) -> i64 {
        self.cvar("gamestate").parse().unwrap_or(-1)
    }

    /// Milliseconds since the round went live (as the tracker should compute it).
    pub fn round_time(&self) -> i64 {
        self.level_time - self.level_start
    }

    fn info_string(&self, keys: &[&str]) -> String {
        let mut s = String::new();
        for k in keys {
            if let Some(v) = self.cvar_snapshot.get(*k) {
                s.push('\\');
                s.push_str(k);
                s.push('\\');
                s.push_str(v);
            }
        }
        s
    }

    fn configstring(&self, idx: usize) -> String {
        match idx {
            c::CS_SERVERINFO => self.info_string(&[
                "mapname",
                "g_gametype",
                "sv_hostname",
                "timelimit",
                "sv_maxclients",
                "g_redlimbotime",
                "g_bluelimbotime",
                "g_friendlyFire",
            ]),
            c::CS_WOLFINFO => self.info_string(&["gamestate", "g_currentRound"]),
            c::CS_LEVEL_START_TIME => self.level_start.to_string(),
            i if (c::CS_PLAYERS..c::CS_PLAYERS + c::MAX_CLIENTS).contains(&i) => {
                self.player_cs(i - c::CS_PLAYERS)
            }
            i => self.configstrings.get(&i).cloned().unwrap_or_default(),
        }
    }

    /// `CS_PLAYERS + cn`: empty for a free slot.
    pub fn player_cs(&self, cn: usize) -> String {
        let cl = &self.clients[cn];
        if cl.connected == 0 {
            return String::new();
        }
        format!(
            "n\\{}\\t\\{}\\c\\{}\\lc\\{}\\r\\0\\m\\0\\s\\0",
            cl.netname, cl.team, cl.player_type, cl.player_type
        )
    }

    pub fn userinfo(&self, cn: usize) -> String {
        let cl = &self.clients[cn];
        if cl.connected == 0 {
            return String::new();
        }
        format!(
            "\\name\\{}\\cl_guid\\{}\\ip\\10.0.0.{}:27960\\rate\\25000\\snaps\\20",
            cl.name, cl.guid, cn
        )
    }

    /// The playerstate a client's `ps.*` fields show: a follower's shows the followed player's.
    fn visible_ps(&self, cn: usize) -> (&PlayerState, i64) {
        let cl = &self.clients[cn];
        match cl.follow {
            Some(f) if f != cn => {
                let extra = if cl.is_limbo() {
                    c::PMF_LIMBO | c::PMF_FOLLOW
                } else {
                    c::PMF_FOLLOW
                };
                (&self.clients[f].ps, extra)
            }
            _ => (&cl.ps, 0),
        }
    }

    fn fatal(&mut self, msg: String) -> mlua::Error {
        self.fatal.push(msg.clone());
        mlua::Error::RuntimeError(format!("EngineFatal: {msg}"))
    }

    fn fs_path(&self, rel: &str) -> Option<PathBuf> {
        if rel.contains("..") || rel.contains("::") || rel.is_empty() {
            return None;
        }
        let game = self.cvar("fs_game");
        Some(self.home.join(game).join(rel))
    }
}

/// Lowercases a field name into a stack buffer (field lookup is case-insensitive).
fn lower<'a>(name: &[u8], buf: &'a mut [u8; 64]) -> &'a [u8] {
    let n = name.len().min(64);
    for (d, s) in buf.iter_mut().zip(&name[..n]) {
        *d = s.to_ascii_lowercase();
    }
    &buf[..n]
}

/// `luaL_checkinteger`: integers, integral floats and numeric strings.
fn check_int(v: &Value, arg: usize, func: &str) -> mlua::Result<i64> {
    match v {
        Value::Integer(i) => Ok(*i),
        Value::Number(n) if n.fract() == 0.0 && n.is_finite() => Ok(*n as i64),
        Value::Number(_) => Err(mlua::Error::RuntimeError(format!(
            "bad argument #{arg} to '{func}' (number has no integer representation)"
        ))),
        Value::String(s) => {
            let s = s.to_string_lossy();
            let t = s.trim();
            t.parse::<i64>()
                .ok()
                .or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| {
                    mlua::Error::RuntimeError(format!(
                        "bad argument #{arg} to '{func}' (number expected, got string)"
                    ))
                })
        }
        other => Err(mlua::Error::RuntimeError(format!(
            "bad argument #{arg} to '{func}' (number expected, got {})",
            other.type_name()
        ))),
    }
}

/// `luaL_checkstring`: strings and numbers.
fn check_str(v: &Value, arg: usize, func: &str) -> mlua::Result<Vec<u8>> {
    match v {
        Value::String(s) => Ok(s.as_bytes().to_vec()),
        Value::Integer(i) => Ok(i.to_string().into_bytes()),
        Value::Number(n) => Ok(format!("{n}").into_bytes()),
        other => Err(mlua::Error::RuntimeError(format!(
            "bad argument #{arg} to '{func}' (string expected, got {})",
            other.type_name()
        ))),
    }
}

fn arg(args: &[Value], i: usize) -> &Value {
    args.get(i).unwrap_or(&Value::Nil)
}

/// `et.Q_CleanStr`: drops `^X` colour codes and bytes outside 0x20..0x7E.
pub fn q_clean_str(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let ch = s[i];
        let next = s.get(i + 1).copied().unwrap_or(0);
        if ch == b'^' && next != 0 && next != b'^' && (next.is_ascii_graphic() || next >= 0x80) {
            i += 2;
            continue;
        }
        if (0x20..=0x7e).contains(&ch) {
            out.push(ch);
        }
        i += 1;
    }
    out
}

/// `Info_ValueForKey`: case-insensitive key lookup in a `\k\v\k\v` string.
pub fn info_value_for_key(info: &[u8], key: &[u8]) -> Vec<u8> {
    let s = info.strip_prefix(b"\\").unwrap_or(info);
    let parts: Vec<&[u8]> = s.split(|b| *b == b'\\').collect();
    let mut i = 0;
    while i + 1 < parts.len() {
        if parts[i].eq_ignore_ascii_case(key) {
            return parts[i + 1].to_vec();
        }
        i += 2;
    }
    Vec::new()
}

type Shared = Rc<RefCell<World>>;

fn vec3(lua: &Lua, v: [f64; 3]) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(3, 0)?;
    t.raw_seti(1, v[0])?;
    t.raw_seti(2, v[1])?;
    t.raw_seti(3, v[2])?;
    Ok(Value::Table(t))
}

fn invalid_field(name: &[u8]) -> mlua::Error {
    mlua::Error::RuntimeError(format!(
        "tried to get invalid gentity field \"{}\"",
        String::from_utf8_lossy(name)
    ))
}

/// `et.gentity_get(entnum, fieldname [, arrayindex])`.
fn gentity_get(lua: &Lua, w: &mut World, args: &[Value]) -> mlua::Result<Value> {
    let ent = check_int(arg(args, 0), 1, "gentity_get")?;
    let raw = check_str(arg(args, 1), 2, "gentity_get")?;
    let idx = match arg(args, 2) {
        Value::Nil => 0,
        v => check_int(v, 3, "gentity_get")?,
    };
    if !(0..c::MAX_GENTITIES).contains(&ent) {
        return Err(w.fatal(format!("gentity_get on entity {ent}")));
    }
    let ent = ent as usize;
    let mut buf = [0u8; 64];
    let f = lower(&raw, &mut buf);
    let is_client = ent < w.maxclients;
    let array = |w: &mut World, arr: &[i64]| -> mlua::Result<Value> {
        if idx < 0 || idx as usize >= arr.len() {
            return Err(w.fatal(format!(
                "array index {idx} out of range for {}",
                String::from_utf8_lossy(&raw)
            )));
        }
        Ok(Value::Integer(arr[idx as usize]))
    };
    // Fields of every entity.
    let string = |s: &Option<String>| -> mlua::Result<Value> {
        Ok(match s {
            Some(s) => Value::String(lua.create_string(s)?),
            None => Value::Nil,
        })
    };
    if !is_client {
        let Some(e) = w.ents.get(&ent) else {
            // A slot never used: zeroes, NULL strings.
            return match f {
                b"classname" | b"scriptname" | b"targetname" | b"track" | b"message" => {
                    Ok(Value::Nil)
                }
                b"origin" | b"r.currentorigin" | b"s.origin" | b"s.angles2" => vec3(lua, [0.0; 3]),
                b"tanklink" => Ok(Value::Nil),
                b"inuse" | b"health" | b"count" | b"count2" | b"r.svflags" | b"s.eflags"
                | b"s.etype" | b"s.weapon" | b"s.teamnum" | b"r.linked" | b"spawnflags"
                | b"takedamage" | b"s.groundentitynum" => Ok(Value::Integer(0)),
                b"s.clientnum" => Ok(Value::Integer(ent as i64)),
                _ => Err(invalid_field(&raw)),
            };
        };
        return match f {
            b"inuse" => Ok(Value::Integer(e.inuse as i64)),
            b"health" => Ok(Value::Integer(e.health)),
            b"count" => Ok(Value::Integer(e.count)),
            b"count2" | b"spawnflags" => Ok(Value::Integer(0)),
            b"classname" => string(&e.classname),
            b"scriptname" => string(&e.script_name),
            b"targetname" => string(&e.targetname),
            b"track" => string(&e.track),
            b"message" => string(&e.message),
            b"origin" | b"r.currentorigin" | b"s.origin" => vec3(lua, e.origin),
            b"s.angles2" => vec3(lua, e.angles2),
            b"r.linked" => Ok(Value::Integer(e.linked as i64)),
            b"s.teamnum" => Ok(Value::Integer(e.team_num)),
            b"s.etype" => Ok(Value::Integer(e.etype)),
            b"takedamage" => Ok(Value::Integer(e.takedamage)),
            b"tanklink" => Ok(e.tank_link.map_or(Value::Nil, Value::Integer)),
            b"s.groundentitynum" => Ok(Value::Integer(c::ENTITYNUM_NONE)),
            b"r.svflags" | b"s.eflags" | b"s.weapon" => Ok(Value::Integer(0)),
            b"s.clientnum" => Ok(Value::Integer(ent as i64)),
            _ => Err(invalid_field(&raw)),
        };
    }
    let (ps, extra) = w.visible_ps(ent);
    let ps = ps.clone();
    let cl = &w.clients[ent];
    let v = match f {
        b"inuse" => Value::Integer(cl.inuse as i64),
        b"health" => Value::Integer(cl.health),
        b"classname" => Value::String(lua.create_string(&cl.classname)?),
        b"scriptname" | b"targetname" | b"track" | b"message" => Value::Nil,
        b"count" | b"count2" | b"spawnflags" | b"takedamage" => Value::Integer(0),
        b"s.teamnum" => Value::Integer(cl.team),
        b"r.linked" => Value::Integer((cl.connected == 2) as i64),
        b"s.angles2" => vec3(lua, [0.0; 3])?,
        b"tanklink" => cl.tank_link.map_or(Value::Nil, Value::Integer),
        b"s.groundentitynum" => Value::Integer(cl.ground_entity),
        b"origin" | b"ps.origin" => vec3(lua, ps.origin)?,
        b"r.currentorigin" | b"s.origin" => vec3(lua, cl.ps.origin)?,
        b"r.svflags" => Value::Integer(cl.sv_flags),
        b"s.eflags" => Value::Integer(cl.ps.eflags),
        b"s.etype" => Value::Integer(1),
        b"s.clientnum" => Value::Integer(ent as i64),
        b"s.weapon" => Value::Integer(cl.ps.weapon),
        b"pers.connected" => Value::Integer(cl.connected),
        b"pers.netname" => Value::String(lua.create_string(&cl.netname)?),
        b"pers.lastrevive_client" => Value::Integer(cl.lastrevive_client),
        b"pers.lastkiller_client" | b"pers.lastkilled_client" => Value::Integer(-1),
        b"pers.lastspawntime" | b"pers.entertime" | b"pers.connecttime" => Value::Integer(0),
        b"pers.playerstats.hitregions" => {
            let hr = cl.hit_regions;
            return array(w, &hr);
        }
        b"ps.velocity" => vec3(lua, ps.velocity)?,
        b"ps.viewangles" => vec3(lua, ps.viewangles)?,
        b"ps.viewheight" => Value::Integer(ps.viewheight),
        b"ps.pm_flags" => Value::Integer(ps.pm_flags | extra),
        b"ps.pm_type" => Value::Integer(ps.pm_type),
        b"ps.eflags" => Value::Integer(ps.eflags),
        b"ps.weapon" => Value::Integer(ps.weapon),
        b"ps.weaponstate" => Value::Integer(ps.weaponstate),
        b"ps.stats" => return array(w, &ps.stats),
        b"ps.persistant" => return array(w, &ps.persistant),
        b"ps.powerups" => return array(w, &ps.powerups),
        b"ps.ammo" => return array(w, &ps.ammo),
        b"ps.ammoclip" => return array(w, &ps.ammoclip),
        b"sess.sessionteam" => Value::Integer(cl.team),
        b"sess.playertype" | b"sess.latchplayertype" => Value::Integer(cl.player_type),
        b"sess.spectatorstate" => Value::Integer(cl.spectator_state),
        b"sess.spectatorclient" => Value::Integer(cl.spectator_client),
        b"sess.userspawnpointvalue" => Value::Integer(0),
        b"sess.kills" => Value::Integer(cl.kills),
        b"sess.deaths" => Value::Integer(cl.deaths),
        b"sess.gibs"
        | b"sess.self_kills"
        | b"sess.team_kills"
        | b"sess.damage_given"
        | b"sess.damage_received"
        | b"sess.team_damage_given"
        | b"sess.time_played" => Value::Integer(0),
        b"lasthurt_client" => Value::Integer(cl.lasthurt_client),
        b"lasthurt_mod" => Value::Integer(cl.lasthurt_mod),
        b"lasthurt_time" | b"deathtime" | b"respawntime" => Value::Integer(0),
        _ => return Err(invalid_field(&raw)),
    };
    Ok(v)
}

/// Returns that would make the engine change its behaviour (see §2 of the API reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ret {
    Ignored,
    /// `lua_isstring` (numbers too) ⇒ reject / chain stop.
    IsString,
    /// `lua_tointeger(ret) == 1` ⇒ cancel / chain stop.
    ToIntegerOne,
}

/// The simulated server: the engine layer, the current Lua VM and the game-level actions.
pub struct Server {
    pub world: Shared,
    lua: Option<Lua>,
    tracker: PathBuf,
    _home: tempfile::TempDir,
    baseline_globals: BTreeSet<String>,
    /// `Lua 5.4 API: <func> error running lua script: '<msg>'` lines.
    pub lua_errors: Vec<String>,
    /// Callbacks whose return value would have changed the game.
    pub interceptions: Vec<String>,
    /// Callbacks that returned anything at all (observer callbacks must return nothing).
    pub returned_values: Vec<String>,
    /// Tracker CPU time of each server frame (et_RunFrame plus the events before it), ns.
    pub frame_ns: Vec<u64>,
    /// Indexes into `frame_ns` of the frames in which the tracker renamed a finished file.
    pub rename_frames: Vec<usize>,
    /// Index into `frame_ns` of the frame in which gamestate 3 (intermission) was first seen.
    pub round_end_frame: Option<usize>,
    fs_seen: usize,
    pending_ns: u64,
    pub measure: bool,
    /// Whether the round in progress is live (gamestate 0 seen at VM start or later).
    pub truth: Truth,
    pub intermission_queued: bool,
    pub spawn_points: [[f64; 3]; 2],
    pub vm_count: usize,
    /// Whether limbo players respawn with their team's reinforcement wave (the engine's rule).
    pub reinforcements: bool,
    /// Each team's wave clock at the last client think (to see it wrap).
    team_wave_clock: [Option<i64>; 2],
    /// The map's objective items.
    pub flags: Vec<Flag>,
    /// The map script's defending team (CS_MULTI_INFO `d`, and the winner until an objective).
    pub defender: Option<i64>,
    in_frame: Vec<InFrame>,
    /// Round time of the last frame the objective truth was sampled at (-1: none yet), and of
    /// the last escort sample.
    obj_sample_t: i64,
    escort_t: i64,
    /// Each mover's position at the last sample.
    mover_prev: HashMap<usize, [f64; 3]>,
}

impl Server {
    /// A server with `maxclients` slots running the tracker at `tracker` (not yet on a map).
    pub fn new(version: EngineVersion, maxclients: usize, tracker: &Path) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let world = World::new(version, maxclients, home.path().join("etlegacy"));
        Server {
            world: Rc::new(RefCell::new(world)),
            lua: None,
            tracker: tracker.to_path_buf(),
            _home: home,
            baseline_globals: BTreeSet::new(),
            lua_errors: Vec::new(),
            interceptions: Vec::new(),
            returned_values: Vec::new(),
            frame_ns: Vec::new(),
            rename_frames: Vec::new(),
            round_end_frame: None,
            fs_seen: 0,
            pending_ns: 0,
            measure: false,
            truth: Truth::default(),
            intermission_queued: false,
            spawn_points: [[-2000.0, -2000.0, 64.0], [2000.0, 2000.0, 64.0]],
            vm_count: 0,
            reinforcements: true,
            team_wave_clock: [None, None],
            flags: Vec::new(),
            defender: None,
            in_frame: Vec::new(),
            obj_sample_t: -1,
            escort_t: 0,
            mover_prev: HashMap::new(),
        }
    }

    /// The proximity tracker of this repository (`lua/proximity_tracker.lua` at the root of the
    /// workspace).
    pub fn tracker_path() -> PathBuf {
        // PROXIMITY_TRACKER runs another tracker file instead (the bench compares two versions).
        match std::env::var_os("PROXIMITY_TRACKER") {
            Some(p) => PathBuf::from(p),
            None => {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lua/proximity_tracker.lua")
            }
        }
    }

    pub fn w(&self) -> std::cell::RefMut<'_, World> {
        self.world.borrow_mut()
    }

    pub fn lua(&self) -> Option<&Lua> {
        self.lua.as_ref()
    }

    pub fn level_time(&self) -> i64 {
        self.world.borrow().level_time
    }

    pub fn round_time(&self) -> i64 {
        self.world.borrow().round_time()
    }

    pub fn gamestate(&self) -> i64 {
        self.world.borrow().gamestate()
    }

    pub fn is_live(&self) -> bool {
        self.gamestate() == 0 && !self.intermission_queued
    }

    /// The folder the tracker's files end up in.
    pub fn game_dir(&self) -> PathBuf {
        let w = self.world.borrow();
        w.home.join(w.cvar("fs_game"))
    }

    // ---------------------------------------------------------------------------------------
    // VM lifecycle

    /// Creates a fresh VM, registers `et`, runs the tracker's top-level chunk.
    pub fn load_vm(&mut self) {
        self.w().vm_registered = false;
        self.w().modname = None;
        // SAFETY: the engine opens all standard libraries (incl. debug); we do the same.
        let lua = unsafe { Lua::unsafe_new_with(StdLib::ALL, LuaOptions::new()) };
        self.install_et(&lua).expect("install et");
        self.baseline_globals = global_names(&lua);
        let code = std::fs::read(&self.tracker).expect("read tracker");
        let name = self
            .tracker
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match lua.load(&code[..]).set_name(format!("@{name}")).exec() {
            Ok(()) => {
                self.lua = Some(lua);
                self.w().vm_registered = true;
                self.vm_count += 1;
                for cl in self.w().clients.iter_mut() {
                    cl.begun_in_vm = false;
                }
            }
            Err(e) => {
                self.lua_errors.push(format!("module not loaded: {e}"));
                self.lua = None;
            }
        }
    }

    /// Globals the tracker added beyond what the engine registers.
    pub fn new_globals(&self) -> Vec<String> {
        match &self.lua {
            Some(lua) => global_names(lua)
                .difference(&self.baseline_globals)
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// Stops the VM (`et_Quit`) and drops all its state.
    pub fn stop_vm(&mut self) {
        self.call("et_Quit", &[], Ret::Ignored);
        self.lua = None;
    }

    /// Console `lua_restart`: stop and reload mid-round without et_InitGame.
    pub fn lua_restart(&mut self) {
        self.stop_vm();
        self.load_vm();
    }

    fn install_et(&self, lua: &Lua) -> mlua::Result<()> {
        let et = lua.create_table()?;
        let version = self.world.borrow().version;
        register_constants(lua, &et, version)?;
        macro_rules! func {
            ($name:expr, |$lua:ident, $w:ident, $args:ident| $body:block) => {{
                let shared = self.world.clone();
                let f = lua.create_function(move |$lua: &Lua, mv: MultiValue| {
                    let $args: Vec<Value> = mv.into_vec();
                    let mut guard = shared.borrow_mut();
                    let $w: &mut World = &mut guard;
                    let _ = (&$lua, &$w, &$args);
                    $body
                })?;
                et.set($name, f)?;
            }};
        }
        func!("RegisterModname", |lua, w, args| {
            let name = check_str(arg(&args, 0), 1, "RegisterModname")?;
            if w.vm_registered {
                w.modname = Some(String::from_utf8_lossy(&name).into_owned());
            }
            Ok(Value::Nil)
        });
        func!("FindSelf", |lua, w, args| {
            Ok(if w.vm_registered {
                Value::Integer(0)
            } else {
                Value::Nil
            })
        });
        func!("G_Print", |lua, w, args| {
            let s = check_str(arg(&args, 0), 1, "G_Print")?;
            w.prints.push(String::from_utf8_lossy(&s).into_owned());
            Ok(Value::Nil)
        });
        func!("G_LogPrint", |lua, w, args| {
            let s = check_str(arg(&args, 0), 1, "G_LogPrint")?;
            w.prints.push(String::from_utf8_lossy(&s).into_owned());
            Ok(Value::Nil)
        });
        func!("trap_Cvar_Get", |lua, w, args| {
            let name = check_str(arg(&args, 0), 1, "trap_Cvar_Get")?;
            let name = String::from_utf8_lossy(&name).into_owned();
            let mut v = w
                .cvars
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            v.truncate(255);
            Ok(Value::String(lua.create_string(v)?))
        });
        func!("trap_Cvar_Set", |lua, w, args| {
            let name = check_str(arg(&args, 0), 1, "trap_Cvar_Set")?;
            let val = check_str(arg(&args, 1), 2, "trap_Cvar_Set")?;
            w.cvars.insert(
                String::from_utf8_lossy(&name).into_owned(),
                String::from_utf8_lossy(&val).into_owned(),
            );
            Ok(Value::Nil)
        });
        func!("trap_GetConfigstring", |lua, w, args| {
            let idx = check_int(arg(&args, 0), 1, "trap_GetConfigstring")?;
            if !(0..1024).contains(&idx) {
                return Err(w.fatal(format!("trap_GetConfigstring({idx})")));
            }
            let mut s = w.configstring(idx as usize);
            s.truncate(1023);
            Ok(Value::String(lua.create_string(s)?))
        });
        func!("trap_SetConfigstring", |lua, w, args| {
            let idx = check_int(arg(&args, 0), 1, "trap_SetConfigstring")?;
            let s = check_str(arg(&args, 1), 2, "trap_SetConfigstring")?;
            if !(0..1024).contains(&idx) {
                return Err(w.fatal(format!("trap_SetConfigstring({idx})")));
            }
            w.configstrings
                .insert(idx as usize, String::from_utf8_lossy(&s).into_owned());
            Ok(Value::Nil)
        });
        func!("Info_ValueForKey", |lua, w, args| {
            let info = check_str(arg(&args, 0), 1, "Info_ValueForKey")?;
            let key = check_str(arg(&args, 1), 2, "Info_ValueForKey")?;
            if info.len() >= 8192 {
                return Err(w.fatal("Info_ValueForKey: oversize infostring".into()));
            }
            Ok(Value::String(
                lua.create_string(info_value_for_key(&info, &key))?,
            ))
        });
        func!("trap_GetUserinfo", |lua, w, args| {
            let cn = check_int(arg(&args, 0), 1, "trap_GetUserinfo")?;
            if cn < 0 || cn as usize >= w.maxclients {
                return Err(w.fatal(format!("trap_GetUserinfo: bad index {cn}")));
            }
            Ok(Value::String(lua.create_string(w.userinfo(cn as usize))?))
        });
        func!("trap_FS_FOpenFile", |lua, w, args| {
            let path = check_str(arg(&args, 0), 1, "trap_FS_FOpenFile")?;
            let mode = check_int(arg(&args, 1), 2, "trap_FS_FOpenFile")?;
            let path = String::from_utf8_lossy(&path).into_owned();
            w.fs_log.push(format!("open {path} {mode}"));
            if !(0..=3).contains(&mode) {
                return Err(w.fatal(format!("FS_FOpenFile mode {mode}")));
            }
            let lower = path.to_ascii_lowercase();
            if mode != 0
                && (lower.ends_with(".so")
                    || lower.contains(".so.")
                    || lower.ends_with(".dll")
                    || lower.ends_with(".pk3"))
            {
                return Err(w.fatal(format!("FS_FOpenFile: refusing to write {path}")));
            }
            if w.files.len() >= 63 {
                return Err(w.fatal("FS_FOpenFile: none free".into()));
            }
            let Some(full) = w.fs_path(&path) else {
                return Ok(Value::Integer(-1));
            };
            let (file, data, len) = if mode == 0 {
                match std::fs::read(&full) {
                    Ok(d) => {
                        let n = d.len() as i64;
                        (None, d, n)
                    }
                    Err(_) => return Ok(Value::Integer(-1)),
                }
            } else {
                if let Some(dir) = full.parent() {
                    std::fs::create_dir_all(dir).ok();
                }
                let f = if mode == 1 {
                    File::create(&full)
                } else {
                    std::fs::OpenOptions::new()
                        .append(true)
                        .create(true)
                        .open(&full)
                };
                match f {
                    Ok(f) => (Some(f), Vec::new(), 0),
                    Err(_) => return Ok(Value::Integer(-1)),
                }
            };
            let fd = w.next_fd;
            w.next_fd += 1;
            w.files.insert(fd, OpenFile { file, data, mode });
            Ok(Value::Integer(fd * 1_000_000 + len))
        });
        // The raw open above packs (fd, len) into one value; expose the two-result API.
        {
            let raw: Function = et.get("trap_FS_FOpenFile")?;
            let wrap = lua
                .load(
                    "local raw = ... return function(p, m)
                       local v = raw(p, m)
                       if v == nil or v < 0 then return 0, -1 end
                       return v // 1000000, v % 1000000
                     end",
                )
                .set_name("=[C]")
                .call::<Function>(raw)?;
            et.set("trap_FS_FOpenFile", wrap)?;
        }
        func!("trap_FS_Write", |lua, w, args| {
            let data = match arg(&args, 0) {
                Value::String(s) => s.as_bytes().to_vec(),
                v => check_str(v, 1, "trap_FS_Write")?,
            };
            let count = check_int(arg(&args, 1), 2, "trap_FS_Write")?;
            let fd = check_int(arg(&args, 2), 3, "trap_FS_Write")?;
            if fd == 0 {
                return Ok(Value::Integer(0));
            }
            if count < 0 || count as usize > data.len() {
                return Err(w.fatal(format!(
                    "trap_FS_Write count {count} > string length {}",
                    data.len()
                )));
            }
            let Some(of) = w.files.get_mut(&fd) else {
                return Err(w.fatal(format!("trap_FS_Write on closed handle {fd}")));
            };
            if of.mode == 0 {
                return Err(w.fatal("trap_FS_Write on a read handle".into()));
            }
            let file = of.file.as_mut().expect("write handle");
            file.write_all(&data[..count as usize])
                .map_err(mlua::Error::external)?;
            Ok(Value::Integer(count))
        });
        func!("trap_FS_Read", |lua, w, args| {
            let fd = check_int(arg(&args, 0), 1, "trap_FS_Read")?;
            let count = check_int(arg(&args, 1), 2, "trap_FS_Read")?;
            let Some(of) = w.files.get_mut(&fd) else {
                return Err(w.fatal(format!("trap_FS_Read on closed handle {fd}")));
            };
            let n = (count.max(0) as usize).min(of.data.len());
            let chunk: Vec<u8> = of.data.drain(..n).collect();
            Ok(Value::String(lua.create_string(chunk)?))
        });
        func!("trap_FS_FCloseFile", |lua, w, args| {
            let fd = check_int(arg(&args, 0), 1, "trap_FS_FCloseFile")?;
            if w.files.remove(&fd).is_none() && w.strict {
                return Err(w.fatal(format!("trap_FS_FCloseFile on closed handle {fd}")));
            }
            Ok(Value::Nil)
        });
        func!("trap_FS_Rename", |lua, w, args| {
            let from = check_str(arg(&args, 0), 1, "trap_FS_Rename")?;
            let to = check_str(arg(&args, 1), 2, "trap_FS_Rename")?;
            let (from, to) = (
                String::from_utf8_lossy(&from).into_owned(),
                String::from_utf8_lossy(&to).into_owned(),
            );
            w.fs_log.push(format!("rename {from} {to}"));
            let from = w.fs_path(&from);
            let to = w.fs_path(&to);
            if let (Some(from), Some(to)) = (from, to) {
                if let Some(dir) = to.parent() {
                    std::fs::create_dir_all(dir).ok();
                }
                std::fs::rename(from, to).ok();
            }
            Ok(Value::Nil)
        });
        func!("trap_FS_GetFileList", |lua, w, args| {
            let dir = check_str(arg(&args, 0), 1, "trap_FS_GetFileList")?;
            let ext = check_str(arg(&args, 1), 2, "trap_FS_GetFileList")?;
            let ext = String::from_utf8_lossy(&ext).into_owned();
            let t = lua.create_table()?;
            if let Some(p) = w.fs_path(&String::from_utf8_lossy(&dir)) {
                let mut names: Vec<String> = std::fs::read_dir(p)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(&ext))
                    .collect();
                names.sort();
                for (i, n) in names.into_iter().enumerate() {
                    t.raw_seti(i + 1, n)?;
                }
            }
            Ok(Value::Table(t))
        });
        func!("trap_Milliseconds", |lua, w, args| {
            Ok(Value::Integer(w.milliseconds))
        });
        func!("trap_SendServerCommand", |lua, w, args| {
            let cn = check_int(arg(&args, 0), 1, "trap_SendServerCommand")?;
            let s = check_str(arg(&args, 1), 2, "trap_SendServerCommand")?;
            w.server_commands
                .push((cn, String::from_utf8_lossy(&s).into_owned()));
            Ok(Value::Nil)
        });
        func!("trap_SendConsoleCommand", |lua, w, args| {
            let _when = check_int(arg(&args, 0), 1, "trap_SendConsoleCommand")?;
            let s = check_str(arg(&args, 1), 2, "trap_SendConsoleCommand")?;
            w.console_commands
                .push(String::from_utf8_lossy(&s).into_owned());
            Ok(Value::Nil)
        });
        func!("ClientNumberFromString", |lua, w, args| {
            let s = check_str(arg(&args, 0), 1, "ClientNumberFromString")?;
            let s = String::from_utf8_lossy(&s).into_owned();
            if let Ok(n) = s.parse::<usize>() {
                if n < w.maxclients && w.clients[n].connected > 0 {
                    return Ok(Value::Integer(n as i64));
                }
                return Ok(Value::Nil);
            }
            let needle = String::from_utf8_lossy(&q_clean_str(s.as_bytes())).to_lowercase();
            let hits: Vec<usize> = (0..w.maxclients)
                .filter(|&i| w.clients[i].connected > 0)
                .filter(|&i| {
                    String::from_utf8_lossy(&q_clean_str(w.clients[i].netname.as_bytes()))
                        .to_lowercase()
                        .contains(&needle)
                })
                .collect();
            Ok(if hits.len() == 1 {
                Value::Integer(hits[0] as i64)
            } else {
                Value::Nil
            })
        });
        func!("Q_CleanStr", |lua, w, args| {
            let s = check_str(arg(&args, 0), 1, "Q_CleanStr")?;
            Ok(Value::String(lua.create_string(q_clean_str(&s))?))
        });
        func!("gentity_get", |lua, w, args| { gentity_get(lua, w, &args) });
        func!("gentity_set", |lua, w, args| {
            let ent = check_int(arg(&args, 0), 1, "gentity_set")?;
            let f = check_str(arg(&args, 1), 2, "gentity_set")?;
            let f = String::from_utf8_lossy(&f).to_ascii_lowercase();
            if !(0..c::MAX_GENTITIES).contains(&ent) {
                return Err(w.fatal(format!("gentity_set on entity {ent}")));
            }
            if f.starts_with("ps.") || f == "pers.connected" || f.starts_with("pers.last") {
                return Err(mlua::Error::RuntimeError(format!(
                    "tried to set read-only gentity field \"{f}\""
                )));
            }
            Err::<Value, _>(mlua::Error::RuntimeError(format!(
                "gentity_set(\"{f}\") not simulated"
            )))
        });
        func!("trap_Argc", |lua, w, args| {
            Ok(Value::Integer(w.argv.len() as i64))
        });
        func!("trap_Argv", |lua, w, args| {
            let i = check_int(arg(&args, 0), 1, "trap_Argv")?;
            let s = w.argv.get(i as usize).cloned().unwrap_or_default();
            Ok(Value::String(lua.create_string(s)?))
        });
        func!("ConcatArgs", |lua, w, args| {
            let i = check_int(arg(&args, 0), 1, "ConcatArgs")?.max(0) as usize;
            let s = w.argv.get(i..).map(|a| a.join(" ")).unwrap_or_default();
            Ok(Value::String(lua.create_string(s)?))
        });
        func!("isBitSet", |lua, w, args| {
            let bit = check_int(arg(&args, 0), 1, "isBitSet")?;
            let value = check_int(arg(&args, 1), 2, "isBitSet")?;
            Ok(Value::Boolean(value & bit != 0))
        });
        func!("GetCurrentWeapon", |lua, w, args| {
            let cn = check_int(arg(&args, 0), 1, "GetCurrentWeapon")?;
            if cn < 0 || cn as usize >= w.maxclients {
                return Err(w.fatal(format!("GetCurrentWeapon({cn})")));
            }
            Ok(Value::Integer(w.clients[cn as usize].ps.weapon))
        });
        func!("trap_Trace", |lua, w, args| {
            let pass = check_int(arg(&args, 4), 5, "trap_Trace")?;
            if !(0..c::MAX_GENTITIES).contains(&pass) && w.strict {
                return Err(w.fatal(format!("trap_Trace passEnt {pass}")));
            }
            let end = match arg(&args, 3) {
                Value::Table(t) => [t.get::<f64>(1)?, t.get::<f64>(2)?, t.get::<f64>(3)?],
                _ => return Err(mlua::Error::RuntimeError("trap_Trace: end expected".into())),
            };
            let t = lua.create_table()?;
            t.set("allsolid", false)?;
            t.set("startsolid", false)?;
            t.set("fraction", 1.0)?;
            t.set("endpos", vec3(lua, end)?)?;
            t.set("surfaceFlags", 0)?;
            t.set("contents", 0)?;
            t.set("entityNum", c::MAX_GENTITIES - 1)?;
            Ok(Value::Table(t))
        });
        for name in [
            "FindMod",
            "IPCSend",
            "G_Damage",
            "G_AddEvent",
            "G_Sound",
            "G_SoundIndex",
            "G_ModelIndex",
            "G_globalSound",
            "G_ClientSound",
            "G_CreateEntity",
            "G_DeleteEntity",
            "G_TempEntity",
            "G_FreeEntity",
            "G_EntitiesFree",
            "G_SetGlobalFog",
            "G_ResetXP",
            "G_AddSkillPoints",
            "G_LoseSkillPoints",
            "G_XP_Set",
            "G_ShaderRemap",
            "G_ResetRemappedShaders",
            "G_ShaderRemapFlush",
            "G_HistoricalTrace",
            "G_SetEntState",
            "G_Spawn",
            "G_SpawnGEntityFromSpawnVars",
            "trap_DropClient",
            "trap_SetUserinfo",
            "trap_LinkEntity",
            "trap_UnlinkEntity",
            "trap_PointContents",
            "trap_Cvar_LatchedVariableStringBuffer",
            "trap_FS_GetFileList_Ext",
            "Info_RemoveKey",
            "Info_SetValueForKey",
            "AddWeaponToPlayer",
            "RemoveWeaponFromPlayer",
            "MutePlayer",
            "UnmutePlayer",
            "BanPlayer",
            "GetPlayerTeam",
            "TeleportPlayer",
            "SetPlayerSpawn",
            "G_SetPlayerSkill",
            "trap_GetConfigstringIndex",
        ] {
            let n = name.to_string();
            let f = lua.create_function(move |_, _: MultiValue| -> mlua::Result<()> {
                Err(mlua::Error::RuntimeError(format!("et.{n}: not simulated")))
            })?;
            et.set(name, f)?;
        }
        let g = lua.globals();
        g.set("et", et)?;
        g.set("LUA_PATH", "/home/et/.etlegacy/legacy/?.lua")?;
        g.set("LUA_CPATH", "/home/et/.etlegacy/legacy/lualibs/?.so")?;
        g.set("LUA_DIRSEP", "/")?;
        // os.time() / os.date() follow the simulated wall clock so that file names are
        // deterministic and advance with the simulated match.
        let shared = self.world.clone();
        let now = lua.create_function(move |_, ()| Ok(shared.borrow().unix_now()))?;
        lua.load(
            "local now = ...
             local time, date = os.time, os.date
             os.time = function(t) if t == nil then return now() end return time(t) end
             os.date = function(f, t) return date(f, t or now()) end",
        )
        .set_name("=[sim]")
        .call::<()>(now)?;
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Dispatch

    fn call(&mut self, name: &'static str, args: &[i64], ret: Ret) {
        let Some(lua) = self.lua.as_ref() else {
            return;
        };
        let f: Function = match lua.globals().raw_get::<Value>(name) {
            Ok(Value::Function(f)) => f,
            _ => return,
        };
        let mv: MultiValue = args.iter().map(|&a| Value::Integer(a)).collect();
        let start = if self.measure {
            Some(Instant::now())
        } else {
            None
        };
        let result = f.call::<MultiValue>(mv);
        if let Some(s) = start {
            self.pending_ns += s.elapsed().as_nanos() as u64;
        }
        match result {
            Err(e) => self.lua_errors.push(format!(
                "Lua 5.4 API: {name} error running lua script: '{e}'"
            )),
            Ok(values) => {
                let first = values.iter().next().cloned().unwrap_or(Value::Nil);
                if !values.is_empty() && values.iter().any(|v| !v.is_nil()) {
                    self.returned_values
                        .push(format!("{name}{args:?} -> {values:?}"));
                }
                let intercepted = match ret {
                    Ret::Ignored => false,
                    Ret::IsString => matches!(
                        first,
                        Value::String(_) | Value::Integer(_) | Value::Number(_)
                    ),
                    Ret::ToIntegerOne => match first {
                        Value::Integer(1) => true,
                        Value::Number(n) => n == 1.0,
                        Value::String(ref s) => s.to_string_lossy().trim() == "1",
                        _ => false,
                    },
                };
                if intercepted {
                    self.interceptions
                        .push(format!("{name}{args:?} -> {first:?}"));
                }
            }
        }
    }

    /// Closes the current frame's CPU-time account.
    fn end_frame_account(&mut self) {
        if self.measure {
            self.frame_ns.push(self.pending_ns);
            let idx = self.frame_ns.len() - 1;
            let renamed = {
                let w = self.world.borrow();
                w.fs_log[self.fs_seen.min(w.fs_log.len())..]
                    .iter()
                    .any(|l| l.starts_with("rename "))
            };
            if renamed {
                self.rename_frames.push(idx);
            }
            if self.round_end_frame.is_none() && self.gamestate() == 3 {
                self.round_end_frame = Some(idx);
            }
        }
        self.fs_seen = self.world.borrow().fs_log.len();
        self.pending_ns = 0;
    }

    // ---------------------------------------------------------------------------------------
    // Clock

    /// Regenerates the info configstrings (they lag the cvars by one frame).
    fn start_frame(&mut self) {
        let mut w = self.w();
        w.cvar_snapshot = w.cvars.clone();
    }

    fn run_frame_at(&mut self, level_time: i64) {
        self.start_frame();
        {
            let mut w = self.w();
            let dt = level_time - w.level_time;
            w.milliseconds += dt.max(0);
            w.level_time = level_time;
        }
        self.run_in_frame();
        self.sample_objective_truth();
        self.call("et_RunFrame", &[level_time], Ret::Ignored);
        self.end_frame_account();
    }

    pub fn frame_msec(&self) -> i64 {
        1000 / self.world.borrow().sv_fps
    }

    /// One ordinary server frame: limbo players check the wave, players move, then `et_RunFrame`.
    pub fn frame(&mut self) {
        let dt = self.frame_msec();
        self.flag_timeouts();
        self.client_think();
        self.move_players(dt);
        self.move_movers(dt);
        let t = self.level_time() + dt;
        self.run_frame_at(t);
    }

    /// One frame `ms` after the previous one (an irregular frame, e.g. after a hitch).
    pub fn advance(&mut self, ms: i64) {
        self.flag_timeouts();
        self.client_think();
        self.move_players(ms);
        self.move_movers(ms);
        let t = self.level_time() + ms;
        self.run_frame_at(t);
    }

    /// The limbo part of `ClientThink` (g_active.c:1839-1850), run between frames with the last
    /// frame's time: a limbo player respawns when its team's wave clock wrapped since it last
    /// looked. Also records the frames at which each team's clock wrapped (the waves).
    fn client_think(&mut self) {
        if !self.reinforcements || self.intermission_queued || self.gamestate() == 3 {
            return;
        }
        let lt = self.level_time();
        let live = self.is_live();
        for (i, team) in [c::TEAM_AXIS, c::TEAM_ALLIES].into_iter().enumerate() {
            let clock = self.world.borrow().wave_clock(team, lt);
            if let (Some(now), Some(prev)) = (clock, self.team_wave_clock[i])
                && now < prev
                && live
            {
                self.truth.waves[i].push(self.round_time());
            }
            self.team_wave_clock[i] = clock;
        }
        for cn in 0..c::MAX_CLIENTS {
            let (limbo, team, last) = {
                let w = self.world.borrow();
                let cl = &w.clients[cn];
                (
                    cl.connected == 2 && cl.is_limbo(),
                    cl.team,
                    cl.last_reinforce_time,
                )
            };
            if !limbo || (team != c::TEAM_AXIS && team != c::TEAM_ALLIES) {
                continue;
            }
            let Some(test) = self.world.borrow().wave_clock(team, lt) else {
                continue;
            };
            self.w().clients[cn].last_reinforce_time = test;
            if test < last {
                self.spawn(cn, false);
            }
        }
    }

    /// Ms from `level_time` to the first server frame at which `team`'s wave clock wraps
    /// (frames every `frame_msec`, no pause), and the interval; `None` without an interval.
    pub fn next_wave_ms(&self, team: i64) -> Option<(i64, i64)> {
        let w = self.world.borrow();
        let l = w.limbotime(team);
        let lt = w.level_time;
        let mut prev = w.wave_clock(team, lt)?;
        let dt = (1000 / w.sv_fps.max(1)).max(1);
        let mut t = lt;
        loop {
            t += dt;
            let now = w.wave_clock(team, t)?;
            if now < prev {
                return Some((t - lt, l));
            }
            prev = now;
        }
    }

    /// Runs ordinary frames for `ms` milliseconds of game time.
    pub fn run_for(&mut self, ms: i64) {
        let end = self.level_time() + ms;
        while self.level_time() < end {
            self.frame();
        }
    }

    /// A match pause of `ms`: levelTime runs on, CS_LEVEL_START_TIME shifts, nothing moves.
    pub fn pause(&mut self, ms: i64) {
        let end = self.level_time() + ms;
        while self.level_time() < end {
            let dt = self.frame_msec();
            self.client_think();
            self.w().level_start += dt;
            let t = self.level_time() + dt;
            self.run_frame_at(t);
        }
    }

    fn move_players(&mut self, dt: i64) {
        let secs = dt as f64 / 1000.0;
        let mut w = self.w();
        for cl in w.clients.iter_mut() {
            if !cl.is_alive() || cl.tank_link.is_some() || cl.ground_entity != c::ENTITYNUM_WORLD {
                continue;
            }
            let mut mode = cl.mode;
            let stamina = cl.ps.stats[c::STAT_SPRINTTIME];
            if mode == Mode::Sprint && stamina <= 0 {
                mode = Mode::Run;
            }
            let speed = mode.speed();
            cl.ps.velocity = [cl.heading[0] * speed, cl.heading[1] * speed, 0.0];
            cl.ps.origin[0] += cl.ps.velocity[0] * secs;
            cl.ps.origin[1] += cl.ps.velocity[1] * secs;
            let st = &mut cl.ps.stats[c::STAT_SPRINTTIME];
            if mode == Mode::Sprint {
                *st = (*st - (5000.0 * secs) as i64).max(0);
            } else {
                *st = (*st + (2000.0 * secs) as i64).min(c::SPRINT_MAX);
            }
            cl.ps.pm_flags &= !(c::PMF_DUCKED | c::PMF_RESPAWNED);
            cl.ps.eflags &= !(c::EF_CROUCHING | c::EF_PRONE);
            cl.ps.viewheight = 40;
            match mode {
                Mode::Crouch => {
                    cl.ps.pm_flags |= c::PMF_DUCKED;
                    cl.ps.eflags |= c::EF_CROUCHING;
                    cl.ps.viewheight = 16;
                }
                Mode::Prone => {
                    cl.ps.eflags |= c::EF_PRONE;
                    cl.ps.viewheight = -8;
                }
                _ => {}
            }
            cl.ps.viewangles[1] = cl.heading[1].atan2(cl.heading[0]).to_degrees();
        }
    }

    // ---------------------------------------------------------------------------------------
    // Gamestate sequences (§4.1)

    fn init_game(&mut self, restart: bool) {
        let t = self.level_time() + self.frame_msec();
        {
            let mut w = self.w();
            w.level_time = t;
            w.level_start = t;
            w.cvar_snapshot = w.cvars.clone();
            w.new_reinf_seeds();
            w.ents = w.map_ents.clone();
        }
        let d = team_digit(self.defender);
        self.w()
            .configstrings
            .insert(c::CS_MULTI_MAPWINNER, format!("\\w\\{d}"));
        let info = if self.defender.is_some() {
            format!("\\d\\{d}")
        } else {
            String::new()
        };
        self.w().configstrings.insert(c::CS_MULTI_INFO, info);
        for f in self.flags.iter_mut() {
            f.at = FlagAt::Home;
            f.last_drop = None;
        }
        self.in_frame.clear();
        self.obj_sample_t = -1;
        self.escort_t = 0;
        self.mover_prev.clear();
        self.team_wave_clock = [None, None];
        self.intermission_queued = false;
        self.load_vm();
        self.call("et_InitGame", &[t, 4242, restart as i64], Ret::Ignored);
        // The 6 init frames.
        for i in 0..6 {
            self.run_frame_at(t + 100 * i);
        }
    }

    fn after_reconnect(&mut self) {
        let t = self.world.borrow().level_start + 600;
        self.run_frame_at(t);
    }

    /// `map <name>`: a new map in warmup; connected clients reconnect and begin.
    pub fn load_map(&mut self, map: &str) {
        if self.lua.is_some() {
            self.shutdown_game(false);
        }
        self.w().cvars.insert("mapname".into(), map.into());
        self.w().cvars.insert("gamestate".into(), "2".into());
        self.init_game(false);
        self.reconnect_all();
        self.after_reconnect();
    }

    /// The warmup → live `map_restart`: new VM, gamestate 0, everybody reconnects alive.
    pub fn go_live(&mut self) {
        self.shutdown_game(true);
        self.w().cvars.insert("gamestate".into(), "0".into());
        self.init_game(true);
        self.reconnect_all();
        self.after_reconnect();
    }

    /// An admin `map_restart` in the middle of a live round (back to warmup).
    pub fn map_restart_to_warmup(&mut self) {
        self.shutdown_game(true);
        self.w().cvars.insert("gamestate".into(), "2".into());
        self.init_game(true);
        self.reconnect_all();
        self.after_reconnect();
    }

    fn shutdown_game(&mut self, restart: bool) {
        if self.is_live() {
            self.end_truth_lives(LifeEnd::Shutdown);
            let t = self.round_time();
            self.truth.round_end = Some(t);
            self.finish_truth_kills(t);
            self.finish_truth_carries(t);
        }
        self.call("et_ShutdownGame", &[restart as i64], Ret::Ignored);
        self.end_frame_account();
        self.stop_vm();
    }

    /// The round ends (time limit): `Exit:` this frame, gamestate 3 the next.
    pub fn end_round(&mut self) {
        let dedicated = self.world.borrow().cvar("dedicated") != "0";
        self.intermission_queued = true;
        if self.world.borrow().cvar("g_gametype") == "3" {
            let r = self.world.borrow().cvar("g_currentRound");
            let next = if r == "0" { "1" } else { "0" };
            self.w().cvars.insert("g_currentRound".into(), next.into());
        }
        if self.gamestate() == 0 && self.truth.exit.is_none() {
            let w = self.world.borrow();
            let winner = info_value_for_key(w.configstring(c::CS_MULTI_MAPWINNER).as_bytes(), b"w");
            let defender = info_value_for_key(w.configstring(c::CS_MULTI_INFO).as_bytes(), b"d");
            let exit = TruthExit {
                time: w.round_time(),
                winner: String::from_utf8_lossy(&winner).into_owned(),
                defender: String::from_utf8_lossy(&defender).into_owned(),
            };
            drop(w);
            self.truth.exit = Some(exit);
        }
        self.w().prints.push("Exit: Timelimit hit.\n".into());
        if dedicated {
            self.call_print("Exit: Timelimit hit.\n");
        }
        self.frame();
        self.end_truth_lives(LifeEnd::RoundEnd);
        self.w().cvars.insert("gamestate".into(), "3".into());
        for cl in self.w().clients.iter_mut() {
            cl.mode = Mode::Still;
        }
        self.frame();
        let t = self.round_time();
        self.truth.round_end = Some(t);
        self.finish_truth_kills(t);
        self.finish_truth_carries(t);
    }

    /// The round is over at `t`: players still down stay down (`RoundEnd`), and kills waiting
    /// for their victim's next spawn end here.
    fn finish_truth_kills(&mut self, t: i64) {
        for cn in 0..c::MAX_CLIENTS {
            let (down, awaiting) = {
                let mut w = self.w();
                let cl = &mut w.clients[cn];
                (cl.down.take(), std::mem::take(&mut cl.awaiting_spawn))
            };
            if let Some(k) = down {
                let kill = &mut self.truth.kills[k];
                kill.fate = Some(Fate::RoundEnd);
                kill.fate_time = Some(t);
                kill.back_time = Some(t);
            }
            for k in awaiting {
                self.truth.kills[k].back_time = Some(t);
            }
        }
    }

    /// The victim of an open ground-truth down leaves the world without a revive: it waits for
    /// its next spawn from now on.
    fn truth_down_ends(&mut self, cn: usize, fate: Fate, gibber: Option<String>) {
        let Some(k) = self.w().clients[cn].down.take() else {
            return;
        };
        let t = self.round_time();
        let kill = &mut self.truth.kills[k];
        kill.fate = Some(fate);
        kill.fate_time = Some(t);
        kill.gibber_guid = gibber;
        self.w().clients[cn].awaiting_spawn.push(k);
    }

    fn call_print(&mut self, text: &str) {
        let Some(lua) = self.lua.as_ref() else {
            return;
        };
        if let Ok(Value::Function(f)) = lua.globals().raw_get::<Value>("et_Print")
            && let Err(e) = f.call::<()>(text)
        {
            self.lua_errors.push(format!(
                "Lua 5.4 API: et_Print error running lua script: '{e}'"
            ));
        }
    }

    fn end_truth_lives(&mut self, end: LifeEnd) {
        for cn in 0..c::MAX_CLIENTS {
            let life = self.world.borrow().clients[cn].life;
            if let Some(l) = life {
                let lv = &mut self.truth.lives[l];
                if lv.end.is_none() {
                    lv.end = Some(end);
                }
            }
            self.w().clients[cn].life = None;
        }
    }

    /// After a map change or restart every connected client connects again (not first time),
    /// with an empty engine name during `et_ClientConnect`, then spawns and begins.
    fn reconnect_all(&mut self) {
        let connected: Vec<usize> = (0..c::MAX_CLIENTS)
            .filter(|&i| self.world.borrow().clients[i].connected > 0)
            .collect();
        for cn in connected {
            {
                let mut w = self.w();
                let cl = &mut w.clients[cn];
                cl.netname.clear();
                cl.connected = 1;
                cl.life = None;
                // ClientConnect clears gclient_t (pers.playerStats too).
                cl.hit_regions = [0; 4];
                cl.last_reinforce_time = 0;
                cl.lastrevive_client = -1;
                cl.down = None;
                cl.awaiting_spawn.clear();
                cl.last_enemy_hit = None;
            }
            let bot = self.world.borrow().clients[cn].is_bot;
            self.call(
                "et_ClientConnect",
                &[cn as i64, 0, bot as i64],
                Ret::IsString,
            );
            // ClientUserinfoChanged runs after the hook; CS_PLAYERS is unchanged → no callback.
            {
                let mut w = self.w();
                let cl = &mut w.clients[cn];
                cl.netname = cl.name.clone();
            }
            self.begin(cn);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Game-level actions

    /// A new client connects (first time) and is given a name, guid, team and class.
    pub fn connect(&mut self, cn: usize, name: &str, team: i64, class: i64, bot: bool) {
        let guid = if bot {
            format!("OMNIBOT{cn:02}{}", " ".repeat(23))
        } else {
            format!(
                "{:032X}",
                0xA5A5_0000_u64 + cn as u64 * 7919 + name.len() as u64
            )
        };
        self.connect_with_guid(cn, name, &guid, team, class, bot);
    }

    pub fn connect_with_guid(
        &mut self,
        cn: usize,
        name: &str,
        guid: &str,
        team: i64,
        class: i64,
        bot: bool,
    ) {
        {
            let mut w = self.w();
            let cl = &mut w.clients[cn];
            *cl = Client {
                classname: "clientslot".into(),
                lastrevive_client: -1,
                spectator_client: cn as i64,
                ..Client::default()
            };
            cl.connected = 1;
            cl.name = name.into();
            cl.guid = guid.into();
            cl.is_bot = bot;
            cl.sv_flags = if bot { c::SVF_BOT } else { 0 };
            cl.team = team;
            cl.player_type = class;
        }
        self.call(
            "et_ClientConnect",
            &[cn as i64, 1, bot as i64],
            Ret::IsString,
        );
        let before = self.world.borrow().player_cs(cn);
        {
            let mut w = self.w();
            let cl = &mut w.clients[cn];
            cl.netname = cl.name.clone();
        }
        if self.world.borrow().player_cs(cn) != before {
            self.call("et_ClientUserinfoChanged", &[cn as i64], Ret::Ignored);
        }
        self.begin(cn);
    }

    /// `ClientBegin`: spawn (team join) and, on the first begin in this VM, `et_ClientBegin`.
    pub fn begin(&mut self, cn: usize) {
        {
            let mut w = self.w();
            let cl = &mut w.clients[cn];
            cl.connected = 2;
            cl.inuse = true;
            cl.classname = "player".into();
        }
        self.spawn(cn, true);
        let first = !self.world.borrow().clients[cn].begun_in_vm;
        if first {
            self.w().clients[cn].begun_in_vm = true;
            self.call("et_ClientBegin", &[cn as i64], Ret::Ignored);
        }
    }

    fn weapon_for(class: i64, team: i64) -> i64 {
        loadout(class, team).wp
    }

    /// `ClientSpawn` (not a revive). Spectators get a following playerstate; a team join
    /// during a live round more than 600 ms after level start goes straight to limbo.
    pub fn spawn(&mut self, cn: usize, team_change: bool) {
        let live = self.is_live();
        if live && self.world.borrow().clients[cn].down.is_some() {
            self.truth_down_ends(cn, Fate::TappedOut, None);
        }
        let (team, class) = {
            let w = self.world.borrow();
            (w.clients[cn].team, w.clients[cn].player_type)
        };
        let on_team = team == c::TEAM_AXIS || team == c::TEAM_ALLIES;
        {
            let sp = if on_team {
                self.spawn_points[(team - 1) as usize]
            } else {
                [0.0, 0.0, 0.0]
            };
            let mut w = self.w();
            let cl = &mut w.clients[cn];
            let mut ps = PlayerState {
                origin: [
                    sp[0] + cn as f64 * 8.0,
                    sp[1] + (cn % 3) as f64 * 8.0,
                    sp[2],
                ],
                viewheight: 40,
                pm_flags: c::PMF_RESPAWNED,
                weapon: Self::weapon_for(class, team),
                ..PlayerState::default()
            };
            ps.stats[c::STAT_SPRINTTIME] = c::SPRINT_MAX;
            ps.stats[c::STAT_MAX_HEALTH] = 100;
            ps.stats[c::STAT_HEALTH] = 100;
            ps.stats[c::STAT_PLAYER_CLASS] = class;
            cl.ps = ps;
            cl.mode = Mode::Still;
            cl.follow = None;
            cl.tank_link = None;
            cl.ground_entity = c::ENTITYNUM_WORLD;
            if on_team {
                cl.health = 100;
            } else {
                cl.health = 0;
                cl.ps.pm_type = 2;
            }
        }
        if !on_team {
            self.follow_someone(cn, None);
        }
        self.call(
            "et_ClientSpawn",
            &[cn as i64, 0, team_change as i64, 1],
            Ret::Ignored,
        );
        let late = self.world.borrow().round_time() > 600;
        if on_team && live && team_change && late {
            self.w().clients[cn].health = 0;
            self.go_limbo(cn);
        } else if on_team && live {
            let (guid, t) = {
                let w = self.world.borrow();
                (w.clients[cn].guid.clone(), w.round_time())
            };
            let idx = self.truth.lives.len();
            self.truth.lives.push(TruthLife {
                guid,
                spawn_time: t,
                death_time: None,
                end: None,
                revives: 0,
            });
            self.w().clients[cn].life = Some(idx);
            let awaiting = std::mem::take(&mut self.w().clients[cn].awaiting_spawn);
            for k in awaiting {
                self.truth.kills[k].back_time = Some(t);
            }
        }
    }

    /// Makes `cn` follow a living player (its ps mirrors theirs).
    fn follow_someone(&mut self, cn: usize, team: Option<i64>) {
        let mut w = self.w();
        let target = (0..c::MAX_CLIENTS).find(|&i| {
            i != cn && w.clients[i].is_alive() && team.is_none_or(|t| w.clients[i].team == t)
        });
        w.clients[cn].follow = target;
        if let Some(t) = target {
            w.clients[cn].spectator_client = t as i64;
        }
    }

    /// Limbo: waiting for the next respawn wave, following a team mate.
    pub fn go_limbo(&mut self, cn: usize) {
        let team = {
            let mut w = self.w();
            let cl = &mut w.clients[cn];
            cl.ps.pm_flags |= c::PMF_LIMBO;
            cl.ps.pm_type = c::PM_DEAD;
            cl.ps.velocity = [0.0; 3];
            cl.mode = Mode::Still;
            cl.team
        };
        self.follow_someone(cn, Some(team));
    }

    /// Respawn wave: everybody of `team` in limbo spawns.
    pub fn respawn_wave(&mut self, team: i64) {
        let who: Vec<usize> = (0..c::MAX_CLIENTS)
            .filter(|&i| {
                let w = self.world.borrow();
                let cl = &w.clients[i];
                cl.connected == 2 && cl.team == team && cl.is_limbo()
            })
            .collect();
        for cn in who {
            self.spawn(cn, false);
        }
    }

    /// Sets how a player moves from now on.
    pub fn set_motion(&mut self, cn: usize, mode: Mode, heading_deg: f64) {
        let mut w = self.w();
        let cl = &mut w.clients[cn];
        cl.mode = mode;
        let r = heading_deg.to_radians();
        cl.heading = [r.cos(), r.sin()];
    }

    /// Creates a `trigger_hurt` entity in slot `ent` (≥ sv_maxclients).
    pub fn ents_trigger(&mut self, ent: usize) {
        self.w().ents.insert(
            ent,
            Entity {
                inuse: true,
                classname: Some("trigger_hurt".into()),
                ..Entity::default()
            },
        );
    }

    /// Puts a player somewhere (teleport, for scenarios).
    pub fn place(&mut self, cn: usize, pos: [f64; 3]) {
        self.w().clients[cn].ps.origin = pos;
    }

    /// `FireWeapon` with the weapon in hand: one `et_WeaponFire` per shot, swing or throw.
    pub fn weapon_fire(&mut self, cn: usize) {
        let wp = self.world.borrow().clients[cn].ps.weapon;
        self.weapon_fire_with(cn, wp);
    }

    /// `FireWeapon` with a given weapon (a grenade throw, a panzerfaust, the syringe).
    pub fn weapon_fire_with(&mut self, cn: usize, wp: i64) {
        self.call("et_WeaponFire", &[cn as i64, wp], Ret::ToIntegerOne);
        if self.is_live() {
            self.truth_weapon(cn, wp).shots += 1;
        }
    }

    /// The ground-truth record of a player's use of a weapon (created with the current team).
    fn truth_weapon(&mut self, cn: usize, wp: i64) -> &mut TruthWeapon {
        let (guid, team) = {
            let w = self.world.borrow();
            (w.clients[cn].guid.trim().to_string(), w.clients[cn].team)
        };
        self.truth
            .weapons
            .entry((guid, wp))
            .or_insert_with(|| TruthWeapon {
                team,
                ..TruthWeapon::default()
            })
    }

    /// `G_Damage` with the engine choosing the body region for a bullet (see [`Self::damage_region`]).
    pub fn damage(&mut self, target: usize, attacker: i64, dmg: i64, mod_: i64) {
        self.damage_region(target, attacker, dmg, mod_, c::HR_BODY);
    }

    /// `G_DamageExt`: the engine filters, the attacker's hit-region counter (bullets on a living
    /// player only, `region` = HR_*), `et_Damage`, then health, death, limbo or gib.
    pub fn damage_region(
        &mut self,
        target: usize,
        attacker: i64,
        dmg: i64,
        mod_: i64,
        region: usize,
    ) {
        let gs = self.gamestate();
        if self.intermission_queued {
            return;
        }
        let (target_team, target_connected, target_limbo) = {
            let w = self.world.borrow();
            let cl = &w.clients[target];
            (cl.team, cl.connected, cl.is_limbo())
        };
        // A player in limbo is no longer in the world (its corpse is another entity).
        if target_connected != 2 || target_limbo {
            return;
        }
        let warmup_damage = self.world.borrow().cvar("match_warmupDamage");
        if gs != 0 && warmup_damage == "0" {
            return;
        }
        let client_attacker =
            (0..c::MAX_CLIENTS as i64).contains(&attacker) && attacker as usize != target;
        let attacker_team = if client_attacker {
            self.world.borrow().clients[attacker as usize].team
        } else {
            0
        };
        if client_attacker {
            let w = self.world.borrow();
            let same = attacker_team == target_team;
            let ff = w.cvar("g_friendlyFire") != "0";
            if same && (!ff || (gs != 0 && warmup_damage == "1")) {
                return;
            }
        }
        let pre = self.world.borrow().clients[target].health;
        // G_LogRegionHit runs before the Lua hook, whatever the team or gamestate.
        let region =
            (client_attacker && pre > 0 && is_bullet_mod(mod_) && region < 4).then_some(region);
        if let Some(r) = region {
            self.w().clients[attacker as usize].hit_regions[r] += 1;
        }
        self.call(
            "et_Damage",
            &[target as i64, attacker, dmg, 0, mod_],
            Ret::ToIntegerOne,
        );
        let live = self.is_live();
        {
            let mut w = self.w();
            let cl = &mut w.clients[target];
            cl.health -= dmg;
            cl.ps.stats[c::STAT_HEALTH] = cl.health;
            cl.lasthurt_client = attacker;
            cl.lasthurt_mod = mod_;
        }
        let enemy = client_attacker
            && (attacker_team == c::TEAM_AXIS || attacker_team == c::TEAM_ALLIES)
            && (target_team == c::TEAM_AXIS || target_team == c::TEAM_ALLIES)
            && attacker_team != target_team;
        if live {
            let t = self.round_time();
            if pre > 0 && client_attacker {
                self.truth.hits.push(TruthHit { damage: dmg });
            }
            if enemy {
                self.w().clients[target].last_enemy_hit = Some(t);
            }
            if enemy && pre > 0 {
                let a = attacker as usize;
                let wp =
                    weapon_of_mod(mod_).unwrap_or_else(|| self.world.borrow().clients[a].ps.weapon);
                let rec = self.truth_weapon(a, wp);
                rec.hits += 1;
                if region == Some(c::HR_HEAD) {
                    rec.headshots += 1;
                }
                if let Some(r) = region {
                    let (ag, vg) = {
                        let w = self.world.borrow();
                        (
                            w.clients[a].guid.trim().to_string(),
                            w.clients[target].guid.trim().to_string(),
                        )
                    };
                    self.truth.region_hits.push(TruthRegionHit {
                        time: t,
                        attacker_guid: ag,
                        victim_guid: vg,
                        weapon: wp,
                        region: r,
                        damage: dmg,
                    });
                }
            }
        }
        let now = self.world.borrow().clients[target].health;
        if pre > 0 && now <= 0 {
            self.die(target, attacker, mod_);
        } else if pre <= 0 && now < c::FORCE_LIMBO_HEALTH {
            // The body is destroyed (limbo below -113, gibbed at -175): no obituary.
            let gibber = (0..c::MAX_CLIENTS as i64).contains(&attacker).then(|| {
                self.world.borrow().clients[attacker as usize]
                    .guid
                    .trim()
                    .to_string()
            });
            if live {
                self.truth_down_ends(target, Fate::Gibbed, gibber);
            }
            self.go_limbo(target);
        }
    }

    /// `player_die`: the body goes down (revivable) and `et_Obituary` fires.
    pub fn die(&mut self, victim: usize, attacker: i64, mod_: i64) {
        let killer = if (0..c::MAX_CLIENTS as i64).contains(&attacker) {
            attacker
        } else {
            c::ENTITYNUM_WORLD
        };
        {
            let mut w = self.w();
            let cl = &mut w.clients[victim];
            if cl.health > 0 {
                cl.health = 0;
            }
            cl.ps.pm_type = c::PM_DEAD;
            cl.ps.eflags |= c::EF_DEAD;
            cl.ps.viewheight = -16;
            cl.ps.velocity = [0.0; 3];
            cl.mode = Mode::Still;
            cl.deaths += 1;
        }
        let live = self.is_live();
        let dedicated = self.world.borrow().cvar("dedicated") != "0";
        if live && dedicated {
            self.call_print(&format!("Kill: {killer} {victim} {mod_}: x killed y\n"));
        }
        self.call("et_Obituary", &[victim as i64, killer, mod_], Ret::IsString);
        // player_die: G_DropItems after the obituary; a dead player leaves the vehicle.
        let killer_guid = (killer != c::ENTITYNUM_WORLD && killer as usize != victim).then(|| {
            self.world.borrow().clients[killer as usize]
                .guid
                .trim()
                .to_string()
        });
        self.drop_flag(victim, "killed", killer_guid);
        self.leave_vehicle(victim);
        let gibbed_at_death = self.world.borrow().clients[victim].health <= c::GIB_HEALTH;
        if live {
            let t = self.round_time();
            let (vteam, vguid, kinfo) = {
                let w = self.world.borrow();
                let kinfo = if killer != c::ENTITYNUM_WORLD && killer as usize != victim {
                    let k = &w.clients[killer as usize];
                    Some((k.guid.clone(), k.team))
                } else {
                    None
                };
                (
                    w.clients[victim].team,
                    w.clients[victim].guid.clone(),
                    kinfo,
                )
            };
            let kind = match &kinfo {
                Some((_, kt)) if *kt == vteam => LifeEnd::Teamkill,
                Some(_) => LifeEnd::Killed,
                None if mod_ == c::MOD_FALLING => LifeEnd::Fallen,
                None if killer as usize == victim => LifeEnd::Selfkill,
                None => LifeEnd::World,
            };
            if let Some((_, _)) = &kinfo {
                self.w().clients[killer as usize].kills += 1;
            }
            if let (LifeEnd::Killed, Some((kguid, kteam))) = (kind, &kinfo) {
                let k = killer as usize;
                let wp =
                    weapon_of_mod(mod_).unwrap_or_else(|| self.world.borrow().clients[k].ps.weapon);
                self.truth_weapon(k, wp).kills += 1;
                let (victim_next_wave, victim_interval) =
                    self.next_wave_ms(vteam).unwrap_or((0, 0));
                let (killer_next_wave, killer_interval) =
                    self.next_wave_ms(*kteam).unwrap_or((0, 0));
                let idx = self.truth.kills.len();
                self.truth.kills.push(TruthKill {
                    time: t,
                    victim_guid: vguid.trim().to_string(),
                    victim_team: vteam,
                    killer_guid: kguid.trim().to_string(),
                    killer_team: *kteam,
                    mod_,
                    fate: None,
                    fate_time: None,
                    gibber_guid: None,
                    reviver_guid: None,
                    back_time: None,
                    victim_interval,
                    victim_next_wave,
                    killer_interval,
                    killer_next_wave,
                });
                self.w().clients[victim].down = Some(idx);
                if gibbed_at_death {
                    self.truth_down_ends(victim, Fate::Gibbed, Some(kguid.trim().to_string()));
                }
            }
            self.truth.deaths.push(TruthDeath {
                time: t,
                victim_guid: vguid,
                killer_guid: kinfo.map(|k| k.0),
            });
            if let Some(l) = self.world.borrow().clients[victim].life {
                self.truth.lives[l].death_time = Some(t);
                self.truth.lives[l].end = Some(kind);
            }
        }
        if gibbed_at_death {
            self.go_limbo(victim);
            self.w().clients[victim].life = None;
        }
    }

    /// `/kill`: an obituary with MOD_SUICIDE and no damage.
    pub fn kill_cmd(&mut self, cn: usize) {
        if !self.world.borrow().clients[cn].is_alive() {
            return;
        }
        self.die(cn, cn as i64, c::MOD_SUICIDE);
    }

    /// A medic revives a downed player with the syringe (`ReviveEntity`, g_weapon.c:320-420):
    /// `et_WeaponFire(medic, WP_MEDIC_SYRINGE)`, `et_ClientSpawn(cn, 1, 0, 1)` while health is
    /// not final, health set, `et_Revive` (2.84+), `pers.lastrevive_client = medic`, then the
    /// caller's `Medic_Revive: medic revivee` log line (reaches `et_Print` on a dedicated server).
    pub fn revive(&mut self, cn: usize, medic: usize) {
        if !self.world.borrow().clients[cn].is_downed() {
            return;
        }
        self.weapon_fire_with(medic, c::WP_MEDIC_SYRINGE);
        {
            let mut w = self.w();
            let cl = &mut w.clients[cn];
            cl.ps.pm_type = c::PM_NORMAL;
            cl.ps.eflags &= !c::EF_DEAD;
            cl.ps.viewheight = 40;
            // Health is not final yet while et_ClientSpawn runs.
        }
        self.call("et_ClientSpawn", &[cn as i64, 1, 0, 1], Ret::Ignored);
        let t = self.level_time();
        {
            let mut w = self.w();
            let cl = &mut w.clients[cn];
            cl.health = 60;
            cl.ps.stats[c::STAT_HEALTH] = 60;
        }
        if self.world.borrow().version == EngineVersion::V2_85 {
            self.call(
                "et_Revive",
                &[cn as i64, medic as i64, t + 3000],
                Ret::ToIntegerOne,
            );
        }
        self.w().clients[cn].lastrevive_client = medic as i64;
        let line = format!("Medic_Revive: {medic} {cn}\n");
        self.w().prints.push(line.clone());
        if self.world.borrow().cvar("dedicated") != "0" {
            self.call_print(&line);
        }
        let life = self.world.borrow().clients[cn].life;
        if self.is_live() {
            let rt = self.round_time();
            if let Some(l) = life {
                let lv = &mut self.truth.lives[l];
                lv.death_time = None;
                lv.end = None;
                lv.revives += 1;
            }
            let (medic_guid, revived_guid, pos, team, last_hit) = {
                let w = self.world.borrow();
                let cl = &w.clients[cn];
                (
                    w.clients[medic].guid.trim().to_string(),
                    cl.guid.trim().to_string(),
                    cl.ps.origin,
                    cl.team,
                    cl.last_enemy_hit,
                )
            };
            let nearest_enemy = {
                let w = self.world.borrow();
                w.clients
                    .iter()
                    .filter(|o| o.is_alive() && o.team != team)
                    .map(|o| {
                        let d = (o.ps.origin[0] - pos[0]).hypot(o.ps.origin[1] - pos[1]);
                        (o.guid.trim().to_string(), d)
                    })
                    .min_by(|a, b| a.1.total_cmp(&b.1))
            };
            self.truth.revives.push(TruthRevive {
                time: rt,
                medic_guid: medic_guid.clone(),
                revived_guid,
                pos,
                nearest_enemy,
                under_fire: last_hit.is_some_and(|h| rt - h <= 3000),
            });
            let down = self.w().clients[cn].down.take();
            if let Some(k) = down {
                let kill = &mut self.truth.kills[k];
                kill.fate = Some(Fate::Revived);
                kill.fate_time = Some(rt);
                kill.reviver_guid = Some(medic_guid);
                kill.back_time = Some(rt);
            }
        }
    }

    /// A downed player taps out (no callback) and waits in limbo.
    pub fn tap_out(&mut self, cn: usize) {
        if self.world.borrow().clients[cn].is_downed() {
            if self.is_live() {
                self.truth_down_ends(cn, Fate::TappedOut, None);
            }
            self.go_limbo(cn);
            self.w().clients[cn].life = None;
        }
    }

    /// `/team`: alive players die with MOD_SWITCHTEAM, then a team-join spawn (limbo if live).
    pub fn switch_team(&mut self, cn: usize, team: i64) {
        if self.world.borrow().clients[cn].is_alive() {
            self.die(cn, cn as i64, c::MOD_SWITCHTEAM);
        }
        // A downed player who changes team goes to limbo without a revive.
        self.tap_out(cn);
        self.w().clients[cn].life = None;
        self.w().clients[cn].team = team;
        self.call("et_ClientUserinfoChanged", &[cn as i64], Ret::Ignored);
        self.spawn(cn, true);
    }

    /// `ClientDisconnect`: the callback first, then the slot is cleared.
    pub fn disconnect(&mut self, cn: usize) {
        self.call("et_ClientDisconnect", &[cn as i64], Ret::Ignored);
        self.drop_flag(cn, "disconnected", None);
        self.leave_vehicle(cn);
        if self.is_live() {
            let t = self.round_time();
            if let Some(l) = self.world.borrow().clients[cn].life {
                let lv = &mut self.truth.lives[l];
                if lv.end.is_none() {
                    lv.end = Some(LifeEnd::Disconnect);
                    lv.death_time = Some(t);
                }
            }
            // Leaving ends the time a kill keeps the player out (there is no next spawn).
            self.truth_down_ends(cn, Fate::TappedOut, None);
            let awaiting = std::mem::take(&mut self.w().clients[cn].awaiting_spawn);
            for k in awaiting {
                self.truth.kills[k].back_time = Some(t);
            }
        }
        let mut w = self.w();
        for other in w.clients.iter_mut() {
            if other.follow == Some(cn) {
                other.follow = None;
            }
        }
        let cl = &mut w.clients[cn];
        cl.inuse = false;
        cl.connected = 0;
        cl.team = 0;
        cl.sv_flags &= !c::SVF_BOT;
        cl.classname = "disconnected".into();
        cl.life = None;
        cl.mode = Mode::Still;
    }

    // ---------------------------------------------------------------------------------------
    // Output

    /// Files under `<home>/legacy/<dir>` (name, contents), sorted by name.
    pub fn files_in(&self, dir: &str) -> Vec<(String, Vec<u8>)> {
        let p = self.game_dir().join(dir);
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Round files written so far (final names only).
    pub fn round_files(&self) -> Vec<(String, Vec<u8>)> {
        self.files_in("proximity")
            .into_iter()
            .filter(|(n, _)| n.ends_with("_engagements.txt"))
            .collect()
    }

    /// Asserts that the tracker behaved: no Lua error, no interception, no returned value, no
    /// engine-fatal call, no leaked global.
    pub fn assert_clean(&self) {
        assert!(
            self.lua_errors.is_empty(),
            "Lua errors: {:#?}",
            self.lua_errors
        );
        assert!(
            self.interceptions.is_empty(),
            "tracker intercepted: {:#?}",
            self.interceptions
        );
        assert!(
            self.returned_values.is_empty(),
            "observer callbacks returned values: {:#?}",
            self.returned_values
        );
        let errors: Vec<String> = self
            .world
            .borrow()
            .prints
            .iter()
            .filter(|p| p.contains("ERROR"))
            .cloned()
            .collect();
        assert!(errors.is_empty(), "tracker logged errors: {errors:#?}");
        let fatal = self.world.borrow().fatal.clone();
        assert!(fatal.is_empty(), "engine-fatal calls: {fatal:#?}");
        let leaked: Vec<String> = self
            .new_globals()
            .into_iter()
            .filter(|g| !g.starts_with("et_"))
            .collect();
        assert!(leaked.is_empty(), "tracker leaked globals: {leaked:?}");
    }
}

// -------------------------------------------------------------------------------------------
// The objective game: the map's objective entities, the engine's log lines in its order, and
// the ground truth of every objective action, carry, return and escort.

impl Server {
    /// A map entity: spawned now and again at every map load and map_restart.
    pub fn add_map_entity(&mut self, ent: usize, e: Entity) {
        let mut w = self.w();
        w.map_ents.insert(ent, e.clone());
        w.ents.insert(ent, e);
    }

    /// A func_constructible (ET_CONSTRUCTIBLE) that `team` builds, unbuilt.
    pub fn add_constructible(&mut self, ent: usize, track: &str, team: i64, origin: [f64; 3]) {
        self.add_map_entity(
            ent,
            Entity {
                inuse: true,
                classname: Some("func_constructible".into()),
                track: Some(track.into()),
                script_name: Some(format!("cons_{ent}")),
                team_num: team,
                etype: c::ET_CONSTRUCTIBLE,
                origin,
                ..Entity::default()
            },
        );
    }

    /// A trigger_objective_info with a track (dynamite target of a func_explosive).
    pub fn add_objective_info(&mut self, ent: usize, track: &str, origin: [f64; 3]) {
        self.add_map_entity(
            ent,
            Entity {
                inuse: true,
                classname: Some("trigger_objective_info".into()),
                track: Some(track.into()),
                origin,
                ..Entity::default()
            },
        );
    }

    /// A team_WOLF_checkpoint (spawn flag) owned by nobody (`count` 0), named by its message.
    pub fn add_checkpoint(&mut self, ent: usize, message: &str, origin: [f64; 3]) {
        self.add_map_entity(
            ent,
            Entity {
                inuse: true,
                classname: Some("team_WOLF_checkpoint".into()),
                message: Some(message.into()),
                origin,
                ..Entity::default()
            },
        );
    }

    /// A script_mover (tank, truck) with a scriptName.
    pub fn add_mover(&mut self, ent: usize, script_name: &str, origin: [f64; 3]) {
        self.add_map_entity(
            ent,
            Entity {
                inuse: true,
                classname: Some("script_mover".into()),
                script_name: Some(script_name.into()),
                etype: c::ET_MOVER,
                health: 1000,
                count: 1000,
                origin,
                ..Entity::default()
            },
        );
    }

    /// An objective item at home: PW_REDFLAG = the Axis-owned `team_CTF_redflag`, PW_BLUEFLAG the
    /// Allied-owned `team_CTF_blueflag`. Returns its index in `flags`.
    pub fn add_flag(&mut self, ent: usize, pw: usize, message: &str, origin: [f64; 3]) -> usize {
        let (owner, class) = if pw == c::PW_REDFLAG {
            (c::TEAM_AXIS, "team_CTF_redflag")
        } else {
            (c::TEAM_ALLIES, "team_CTF_blueflag")
        };
        self.add_map_entity(
            ent,
            Entity {
                inuse: true,
                classname: Some(class.into()),
                message: Some(message.into()),
                etype: c::ET_ITEM,
                origin,
                ..Entity::default()
            },
        );
        self.flags.push(Flag {
            home: ent,
            pw,
            owner,
            class,
            message: message.into(),
            at: FlagAt::Home,
            last_drop: None,
        });
        self.flags.len() - 1
    }

    /// The map script's `wm_setwinner`: CS_MULTI_MAPWINNER `w` (None: -1).
    pub fn set_winner(&mut self, team: Option<i64>) {
        let d = team_digit(team);
        self.w()
            .configstrings
            .insert(c::CS_MULTI_MAPWINNER, format!("\\w\\{d}"));
    }

    /// A `G_LogPrintf` line: in the log, and through `et_Print` on a dedicated server only.
    fn log_line(&mut self, text: &str) {
        self.w().prints.push(text.to_string());
        if self.world.borrow().cvar("dedicated") != "0" {
            self.call_print(text);
        }
    }

    fn guid_team_pos(&self, cn: usize) -> (String, i64, [f64; 3]) {
        let w = self.world.borrow();
        let cl = &w.clients[cn];
        (cl.guid.trim().to_string(), cl.team, cl.ps.origin)
    }

    fn truth_objective(&mut self, cn: usize, kind: &'static str, track: &str) {
        if !self.is_live() {
            return;
        }
        let (guid, team, pos) = self.guid_team_pos(cn);
        self.truth.objectives.push(TruthObjective {
            time: self.round_time(),
            kind,
            guid,
            team,
            track: track.to_string(),
            pos,
        });
    }

    fn ent(&self, ent: usize) -> Entity {
        self.world
            .borrow()
            .ents
            .get(&ent)
            .cloned()
            .unwrap_or_default()
    }

    /// An engineer arms dynamite at an objective (toi) or a constructible: the `planted` popup,
    /// then `Dynamite_Plant:` (g_weapon.c G_ArmDynamite).
    pub fn plant_dynamite(&mut self, cn: usize, ent: usize) {
        let track = self.ent(ent).display_name();
        let team = self.world.borrow().clients[cn].team;
        self.log_line(&format!(
            "legacy popup: ^7{}^7 planted \"{track}\"\n",
            team_word(team)
        ));
        self.log_line(&format!("Dynamite_Plant: {cn} {track}\n"));
        self.truth_objective(cn, "dynamite_plant", &track);
    }

    /// A defender disarms it: `Dynamite_Diffuse:` then the `defused` popup.
    pub fn defuse_dynamite(&mut self, cn: usize, ent: usize) {
        let track = self.ent(ent).display_name();
        let team = self.world.borrow().clients[cn].team;
        self.log_line(&format!("Dynamite_Diffuse: {cn} {track}\n"));
        self.log_line(&format!(
            "legacy popup: ^7{}^7 defused \"{track}\"\n",
            team_word(team)
        ));
        self.truth_objective(cn, "dynamite_defuse", &track);
    }

    /// The dynamite of `cn` explodes: a toi prints `Objective_Destroyed:`; a constructible is
    /// damaged (et_Damage, MOD_DYNAMITE) and, if built, destroyed without any log line.
    pub fn explode_dynamite(&mut self, cn: usize, ent: usize) {
        if self.intermission_queued {
            return;
        }
        let e = self.ent(ent);
        if e.classname.as_deref() == Some("func_constructible") {
            self.damage_entity(ent, cn as i64, 500, c::MOD_DYNAMITE);
        } else {
            let track = e.display_name();
            self.log_line(&format!("Objective_Destroyed: {cn} {track}\n"));
            self.truth_objective(cn, "objective_destroyed", &track);
        }
    }

    /// `G_Damage` on a non-client entity: `et_Damage` then, for a built constructible, its
    /// destruction (`s.angles2` reset, unlinked) once its health is gone.
    pub fn damage_entity(&mut self, ent: usize, attacker: i64, dmg: i64, mod_: i64) {
        if self.intermission_queued || self.ent(ent).takedamage == 0 {
            return;
        }
        self.call(
            "et_Damage",
            &[ent as i64, attacker, dmg, 0, mod_],
            Ret::ToIntegerOne,
        );
        let destroyed = {
            let mut w = self.w();
            let e = w.ents.get_mut(&ent).expect("entity");
            e.health -= dmg;
            if e.health <= 0 {
                e.angles2 = [0.0; 3];
                e.linked = false;
                e.takedamage = 0;
                e.health = 0;
                true
            } else {
                false
            }
        };
        if destroyed && (0..c::MAX_CLIENTS as i64).contains(&attacker) {
            let track = self.ent(ent).display_name();
            self.truth_objective(attacker as usize, "objective_destroyed", &track);
        }
    }

    /// An engineer builds for a while: progress in `s.angles2[0]`; the final stage sets
    /// `s.angles2[1]`, links the entity and prints `Repair: cn` (g_weapon.c TryConstructing).
    pub fn build(&mut self, cn: usize, ent: usize, amount: f64) {
        let done = {
            let mut w = self.w();
            let e = w.ents.get_mut(&ent).expect("constructible");
            if e.angles2[1] >= 1.0 {
                return;
            }
            e.linked = true;
            e.angles2[0] = (e.angles2[0] + amount).min(255.0);
            if e.angles2[0] >= 250.0 {
                e.angles2 = [255.0, 1.0, 0.0];
                e.takedamage = 1;
                e.health = 400;
                true
            } else {
                false
            }
        };
        if done {
            self.log_line(&format!("Repair: {cn}\n"));
            let track = self.ent(ent).display_name();
            self.truth_objective(cn, "constructed", &track);
        }
    }

    /// An engineer repairs an emplaced MG42: `Repair: cn` with no constructible completing.
    pub fn repair_mg42(&mut self, cn: usize) {
        self.log_line(&format!("Repair: {cn}\n"));
        self.truth_objective(cn, "repaired", "");
    }

    /// `cn` touches a checkpoint in the next server frame (its `count` becomes their team).
    pub fn capture_checkpoint(&mut self, cn: usize, ent: usize) {
        self.in_frame.push(InFrame::Capture(cn, ent));
    }

    /// The carrier `cn` reaches the trigger_flagonly in the next server frame (secured).
    pub fn secure_flag(&mut self, cn: usize) {
        self.in_frame.push(InFrame::Secure(cn));
    }

    fn run_in_frame(&mut self) {
        for a in std::mem::take(&mut self.in_frame) {
            match a {
                InFrame::Capture(cn, ent) => {
                    let team = self.world.borrow().clients[cn].team;
                    if !self.world.borrow().clients[cn].is_alive() || self.ent(ent).count == team {
                        continue;
                    }
                    self.w().ents.get_mut(&ent).expect("checkpoint").count = team;
                    let track = self.ent(ent).display_name();
                    self.truth_objective(cn, "checkpoint_captured", &track);
                }
                InFrame::Secure(cn) => {
                    let Some(i) = self.carried_by(cn) else {
                        continue;
                    };
                    self.w().clients[cn].ps.powerups[self.flags[i].pw] = 0;
                    self.flags[i].at = FlagAt::Home;
                    self.close_carry(cn, "secured", None);
                    let track = self.flags[i].message.clone();
                    self.truth_objective(cn, "objective_secured", &track);
                }
            }
        }
    }

    /// The flag `cn` carries, if any.
    pub fn carried_by(&self, cn: usize) -> Option<usize> {
        self.flags.iter().position(|f| f.at == FlagAt::Carried(cn))
    }

    /// `cn` touches flag `i` (at home or a dropped copy): `Item:` (GS_PLAYING only), the powerup,
    /// then the `stole` popup (a dropped copy has no message: "(null)").
    pub fn pickup_flag(&mut self, cn: usize, i: usize) {
        let f = self.flags[i].clone();
        let team = self.world.borrow().clients[cn].team;
        if team != 3 - f.owner || !self.world.borrow().clients[cn].is_alive() {
            return;
        }
        let message = match f.at {
            FlagAt::Home => f.message.clone(),
            FlagAt::Dropped { ent, .. } => {
                self.free_entity(ent);
                "(null)".to_string()
            }
            FlagAt::Carried(_) => return,
        };
        if self.gamestate() == 0 {
            self.log_line(&format!("Item: {cn} {}\n", f.class));
        }
        self.w().clients[cn].ps.powerups[f.pw] = i32::MAX as i64;
        self.flags[i].at = FlagAt::Carried(cn);
        self.log_line(&format!(
            "legacy popup: ^7{}^7 stole \"{message}\"\n",
            team_word(team)
        ));
        if self.is_live() {
            let (guid, team, pos) = self.guid_team_pos(cn);
            self.truth.carries.push(TruthCarry {
                carrier_guid: guid,
                carrier_team: team,
                flag_team: f.owner,
                pickup_time: self.round_time(),
                pickup_pos: pos,
                drop_time: None,
                drop_pos: pos,
                outcome: None,
                killer_guid: None,
                distance: 0.0,
                samples: 1,
                last_pos: pos,
            });
            self.w().clients[cn].carry = Some(self.truth.carries.len() - 1);
        }
    }

    fn free_entity(&mut self, ent: usize) {
        let mut w = self.w();
        let e = w.ents.entry(ent).or_default();
        *e = Entity {
            classname: Some("freed".into()),
            ..Entity::default()
        };
    }

    /// Ends the ground-truth carry of `cn` here and now.
    fn close_carry(&mut self, cn: usize, outcome: &'static str, killer: Option<String>) {
        let Some(k) = self.w().clients[cn].carry.take() else {
            return;
        };
        let pos = self.world.borrow().clients[cn].ps.origin;
        let t = self.round_time();
        let carry = &mut self.truth.carries[k];
        carry.distance += dist3(pos, carry.last_pos);
        carry.last_pos = pos;
        carry.samples += 1;
        carry.drop_time = Some(t);
        carry.drop_pos = pos;
        carry.outcome = Some(outcome);
        carry.killer_guid = killer;
    }

    /// `G_DropItems`: the powerup goes, a dropped copy (ET_ITEM, the flag's classname) appears
    /// where the carrier is, with a 30 s return timer. No log line.
    fn drop_flag(&mut self, cn: usize, outcome: &'static str, killer: Option<String>) {
        let Some(i) = self.carried_by(cn) else {
            return;
        };
        let (pos, guid) = {
            let w = self.world.borrow();
            (
                w.clients[cn].ps.origin,
                w.clients[cn].guid.trim().to_string(),
            )
        };
        let class = self.flags[i].class;
        let ent = {
            let mut w = self.w();
            w.clients[cn].ps.powerups[self.flags[i].pw] = 0;
            let slot = (400..1000)
                .find(|n| {
                    w.ents
                        .get(n)
                        .is_none_or(|e| e.classname.as_deref().is_none_or(|c| c == "freed"))
                })
                .expect("a free entity slot");
            w.ents.insert(
                slot,
                Entity {
                    inuse: true,
                    classname: Some(class.into()),
                    etype: c::ET_ITEM,
                    origin: pos,
                    ..Entity::default()
                },
            );
            slot
        };
        let since = self.level_time();
        self.flags[i].at = FlagAt::Dropped { ent, since };
        if self.is_live() && self.world.borrow().clients[cn].carry.is_some() {
            self.close_carry(cn, outcome, killer);
            self.flags[i].last_drop = Some((guid, self.round_time(), pos));
        }
    }

    /// `/dropobj`: the client command (et_ClientCommand), then the drop.
    pub fn drop_objective(&mut self, cn: usize) {
        self.client_command(cn, &["dropobj"]);
        self.drop_flag(cn, "dropped", None);
    }

    /// A player of the owning team touches the dropped copy of flag `i`: `Item:` then the
    /// `returned` popup.
    pub fn return_flag(&mut self, cn: usize, i: usize) {
        let FlagAt::Dropped { ent, .. } = self.flags[i].at else {
            return;
        };
        let (team, alive) = {
            let w = self.world.borrow();
            (w.clients[cn].team, w.clients[cn].is_alive())
        };
        if team != self.flags[i].owner || !alive {
            return;
        }
        if self.gamestate() == 0 {
            let class = self.flags[i].class;
            self.log_line(&format!("Item: {cn} {class}\n"));
        }
        self.flag_returned(i, ent, Some(cn));
    }

    fn flag_returned(&mut self, i: usize, ent: usize, by: Option<usize>) {
        self.free_entity(ent);
        self.flags[i].at = FlagAt::Home;
        let owner = self.flags[i].owner;
        let message = self.flags[i].message.clone();
        self.log_line(&format!(
            "legacy popup: ^7{}^7 returned \"{message}\"\n",
            team_word(owner)
        ));
        let drop = self.flags[i].last_drop.take();
        if self.is_live() {
            let (guid, team) = match by {
                Some(cn) => {
                    let (g, t, _) = self.guid_team_pos(cn);
                    (Some(g), Some(t))
                }
                None => (None, None),
            };
            self.truth.returns.push(TruthReturn {
                time: self.round_time(),
                returner_guid: guid,
                returner_team: team,
                flag_team: owner,
                drop,
            });
        }
    }

    /// `Team_DroppedFlagThink`: a dropped copy left for 30 s goes home (no cn anywhere).
    fn flag_timeouts(&mut self) {
        if self.intermission_queued {
            return;
        }
        let now = self.level_time();
        for i in 0..self.flags.len() {
            if let FlagAt::Dropped { ent, since } = self.flags[i].at
                && now - since >= 30_000
            {
                self.flag_returned(i, ent, None);
            }
        }
    }

    /// Carries still open when the round ends.
    fn finish_truth_carries(&mut self, _t: i64) {
        for cn in 0..c::MAX_CLIENTS {
            if self.world.borrow().clients[cn].carry.is_some() {
                self.close_carry(cn, "round_end", None);
            }
        }
    }

    /// A client command: `et_ClientCommand(cn, argv0)` with trap_Argv set.
    pub fn client_command(&mut self, cn: usize, args: &[&str]) {
        self.w().argv = args.iter().map(|a| a.to_string()).collect();
        let Some(lua) = self.lua.as_ref() else {
            return;
        };
        let f: Function = match lua.globals().raw_get::<Value>("et_ClientCommand") {
            Ok(Value::Function(f)) => f,
            _ => return,
        };
        let cmd = lua.create_string(args[0]).expect("string");
        let start = self.measure.then(Instant::now);
        let result = f.call::<MultiValue>((cn as i64, cmd));
        if let Some(s) = start {
            self.pending_ns += s.elapsed().as_nanos() as u64;
        }
        match result {
            Err(e) => self.lua_errors.push(format!(
                "Lua 5.4 API: et_ClientCommand error running lua script: '{e}'"
            )),
            Ok(values) => {
                if values.iter().any(|v| !v.is_nil()) {
                    self.returned_values
                        .push(format!("et_ClientCommand({cn}, {args:?}) -> {values:?}"));
                }
                if let Some(Value::Integer(1)) = values.iter().next() {
                    self.interceptions.push(format!("et_ClientCommand({cn})"));
                }
            }
        }
    }

    /// Moves a script_mover from now on (units/s); its riders move with it.
    pub fn set_mover_velocity(&mut self, ent: usize, v: [f64; 3]) {
        self.w().ents.get_mut(&ent).expect("mover").velocity = v;
    }

    /// `cn` takes the tank's MG: `tankLink` both ways, EF_MOUNTEDTANK, on top of the tank.
    pub fn mount_tank(&mut self, cn: usize, ent: usize) {
        let o = self.ent(ent).origin;
        let mut w = self.w();
        if w.ents[&ent].tank_link.is_some() || !w.clients[cn].is_alive() {
            return;
        }
        w.ents.get_mut(&ent).expect("mover").tank_link = Some(cn as i64);
        let cl = &mut w.clients[cn];
        cl.tank_link = Some(ent as i64);
        cl.ps.eflags |= c::EF_MOUNTEDTANK;
        cl.mode = Mode::Still;
        cl.ps.origin = [o[0], o[1], o[2] + 48.0];
    }

    /// `cn` climbs onto the mover (a truck bed): `s.groundEntityNum` = the mover.
    pub fn board(&mut self, cn: usize, ent: usize) {
        let o = self.ent(ent).origin;
        let mut w = self.w();
        if !w.clients[cn].is_alive() || w.clients[cn].tank_link.is_some() {
            return;
        }
        let cl = &mut w.clients[cn];
        cl.ground_entity = ent as i64;
        cl.mode = Mode::Still;
        cl.ps.origin = [o[0] - 60.0, o[1], o[2] + 40.0];
    }

    /// Off the MG or the truck bed.
    pub fn leave_vehicle(&mut self, cn: usize) {
        let mut w = self.w();
        if let Some(m) = w.clients[cn].tank_link.take()
            && let Some(e) = w.ents.get_mut(&(m as usize))
        {
            e.tank_link = None;
        }
        let cl = &mut w.clients[cn];
        cl.ps.eflags &= !c::EF_MOUNTEDTANK;
        cl.ground_entity = c::ENTITYNUM_WORLD;
    }

    fn move_movers(&mut self, dt: i64) {
        let secs = dt as f64 / 1000.0;
        let mut w = self.w();
        let movers: Vec<(usize, [f64; 3])> = w
            .ents
            .iter()
            .filter(|(_, e)| e.velocity != [0.0; 3])
            .map(|(n, e)| (*n, e.velocity))
            .collect();
        for (n, v) in movers {
            let d = [v[0] * secs, v[1] * secs, v[2] * secs];
            let e = w.ents.get_mut(&n).expect("mover");
            for (o, d) in e.origin.iter_mut().zip(d) {
                *o += d;
            }
            for cl in w.clients.iter_mut() {
                if cl.tank_link == Some(n as i64) || cl.ground_entity == n as i64 {
                    for (o, d) in cl.ps.origin.iter_mut().zip(d) {
                        *o += d;
                    }
                }
            }
        }
    }

    /// The truth the tracker can sample at each server frame of the live round: the carriers'
    /// paths and the escorts (mounted every frame; near while the vehicle moved).
    fn sample_objective_truth(&mut self) {
        if self.gamestate() != 0 {
            return;
        }
        let t = self.round_time();
        if t <= self.obj_sample_t {
            return;
        }
        self.obj_sample_t = t;
        let dt = t - self.escort_t;
        self.escort_t = t;
        for cn in 0..c::MAX_CLIENTS {
            let (k, pos) = {
                let w = self.world.borrow();
                (w.clients[cn].carry, w.clients[cn].ps.origin)
            };
            if let Some(k) = k {
                let carry = &mut self.truth.carries[k];
                carry.distance += dist3(pos, carry.last_pos);
                carry.last_pos = pos;
                carry.samples += 1;
            }
        }
        let movers: Vec<(usize, Entity)> = {
            let w = self.world.borrow();
            let mut m: Vec<(usize, Entity)> = w
                .ents
                .iter()
                .filter(|(_, e)| e.classname.as_deref() == Some("script_mover"))
                .map(|(n, e)| (*n, e.clone()))
                .collect();
            m.sort_by_key(|(n, _)| *n);
            m
        };
        for (n, e) in movers {
            let prev = self.mover_prev.insert(n, e.origin).unwrap_or(e.origin);
            let d = dist3(e.origin, prev);
            let name = e.display_name();
            for cn in 0..c::MAX_CLIENTS {
                let (alive, guid, team, pos, link, ground) = {
                    let w = self.world.borrow();
                    let cl = &w.clients[cn];
                    (
                        cl.is_alive(),
                        cl.guid.trim().to_string(),
                        cl.team,
                        cl.ps.origin,
                        cl.tank_link,
                        cl.ground_entity,
                    )
                };
                if !alive {
                    continue;
                }
                let mounted = (link == Some(n as i64) && e.tank_link == Some(cn as i64))
                    || ground == n as i64;
                let near = dist3(pos, e.origin);
                if !mounted && (d <= 0.0 || near > 500.0) {
                    continue;
                }
                let rec = self
                    .truth
                    .escorts
                    .entry((guid, name.clone()))
                    .or_insert_with(|| TruthEscort {
                        team,
                        ..TruthEscort::default()
                    });
                if mounted {
                    rec.mounted_ms += dt;
                    rec.credit += d;
                } else {
                    rec.proximity_ms += dt;
                    rec.credit += d * (1.0 - near / 500.0);
                }
                rec.escort += d;
                rec.samples += 1;
            }
        }
    }
}

/// Names of all globals of a VM.
fn global_names(lua: &Lua) -> BTreeSet<String> {
    let g: Table = lua.globals();
    g.pairs::<Value, Value>()
        .flatten()
        .filter_map(|(k, _)| match k {
            Value::String(s) => Some(s.to_string_lossy()),
            _ => None,
        })
        .collect()
}

/// Registers the constants of g_lua.c:2858-3325 (EF_* only from 2.84 on).
fn register_constants(lua: &Lua, et: &Table, version: EngineVersion) -> mlua::Result<()> {
    let ints: &[(&str, i64)] = &[
        ("EXEC_NOW", 0),
        ("EXEC_INSERT", 1),
        ("EXEC_APPEND", 2),
        ("FS_READ", 0),
        ("FS_WRITE", 1),
        ("FS_APPEND", 2),
        ("FS_APPEND_SYNC", 3),
        ("SAY_ALL", 0),
        ("SAY_TEAM", 1),
        ("SAY_BUDDY", 2),
        ("SAY_TEAMNL", 3),
        ("TEAM_FREE", 0),
        ("TEAM_AXIS", 1),
        ("TEAM_ALLIES", 2),
        ("TEAM_SPECTATOR", 3),
        ("TEAM_NUM_TEAMS", 4),
        ("GS_INITIALIZE", -1),
        ("GS_PLAYING", 0),
        ("GS_WARMUP_COUNTDOWN", 1),
        ("GS_WARMUP", 2),
        ("GS_INTERMISSION", 3),
        ("GS_WAITING_FOR_PLAYERS", 4),
        ("GS_RESET", 5),
        ("MAX_CLIENTS", 64),
        ("SK_BATTLE_SENSE", 0),
        ("SK_EXPLOSIVES_AND_CONSTRUCTION", 1),
        ("SK_FIRST_AID", 2),
        ("SK_SIGNALS", 3),
        ("SK_LIGHT_WEAPONS", 4),
        ("SK_HEAVY_WEAPONS", 5),
        ("SK_MILITARY_INTELLIGENCE", 6),
        ("PM_NORMAL", 0),
        ("PM_NOCLIP", 1),
        ("PM_SPECTATOR", 2),
        ("PM_FREEZE", 4),
        ("PM_INTERMISSION", 5),
        ("STAT_HEALTH", 0),
        ("STAT_KEYS", 1),
        ("STAT_DEAD_YAW", 2),
        ("STAT_MAX_HEALTH", 3),
        ("STAT_PLAYER_CLASS", 4),
        ("STAT_XP", 5),
        ("STAT_PS_FLAGS", 6),
        ("STAT_AIRLEFT", 7),
        ("STAT_SPRINTTIME", 8),
        ("STAT_ANTIWARP_DELAY", 9),
        ("MASK_SOLID", 1),
        ("MASK_PLAYERSOLID", 33619969),
        ("MASK_SHOT", 100663297),
        ("MASK_OPAQUE", 9),
        ("CS_SERVERINFO", 0),
        ("CS_SYSTEMINFO", 1),
        ("CS_MUSIC", 2),
        ("CS_MESSAGE", 3),
        ("CS_MOTD", 4),
        ("CS_WARMUP", 5),
        ("CS_VOTE_TIME", 6),
        ("CS_VOTE_STRING", 7),
        ("CS_VOTE_YES", 8),
        ("CS_VOTE_NO", 9),
        ("CS_GAME_VERSION", 10),
        ("CS_LEVEL_START_TIME", 11),
        ("CS_INTERMISSION", 12),
        ("CS_MULTI_INFO", 13),
        ("CS_MULTI_MAPWINNER", 14),
        ("CS_MULTI_OBJECTIVE", 15),
        ("CS_SCREENFADE", 17),
        ("CS_FOGVARS", 18),
        ("CS_SKYBOXORG", 19),
        ("CS_TARGETEFFECT", 20),
        ("CS_WOLFINFO", 21),
        ("CS_FIRSTBLOOD", 22),
        ("CS_ROUNDSCORES1", 23),
        ("CS_ROUNDSCORES2", 24),
        ("CS_MAIN_AXIS_OBJECTIVE", 25),
        ("CS_MAIN_ALLIES_OBJECTIVE", 26),
        ("CS_MUSIC_QUEUE", 27),
        ("CS_SCRIPT_MOVER_NAMES", 28),
        ("CS_CONSTRUCTION_NAMES", 29),
        ("CS_VERSIONINFO", 30),
        ("CS_REINFSEEDS", 31),
        ("CS_SERVERTOGGLES", 32),
        ("CS_GLOBALFOGVARS", 33),
        ("CS_AXIS_MAPS_XP", 34),
        ("CS_ALLIED_MAPS_XP", 35),
        ("CS_INTERMISSION_START_TIME", 36),
        ("CS_ENDGAME_STATS", 37),
        ("CS_CHARGETIMES", 38),
        ("CS_FILTERCAMS", 39),
        ("CS_MODINFO", 40),
        ("CS_SVCVAR", 41),
        ("CS_CONFIGNAME", 42),
        ("CS_TEAMRESTRICTIONS", 43),
        ("CS_UPGRADERANGE", 44),
        ("CS_MODELS", 64),
        ("CS_SOUNDS", 320),
        ("CS_SHADERS", 576),
        ("CS_SHADERSTATE", 608),
        ("CS_SKINS", 609),
        ("CS_CHARACTERS", 673),
        ("CS_PLAYERS", 689),
        ("CS_MULTI_SPAWNTARGETS", 753),
        ("CS_OID_TRIGGERS", 769),
        ("CS_OID_DATA", 787),
        ("CS_DLIGHTS", 805),
        ("CS_SPLINES", 821),
        ("CS_TAGCONNECTS", 829),
        ("CS_FIRETEAMS", 893),
        ("CS_CUSTMOTD", 905),
        ("CS_STRINGS", 911),
        ("CS_MAX", 943),
    ];
    for (k, v) in ints {
        et.set(*k, *v)?;
    }
    et.set("HOSTARCH", "UNIX")?;
    if version == EngineVersion::V2_85 {
        let efs: &[(&str, i64)] = &[
            ("EF_DEAD", 0x1),
            ("EF_NONSOLID_BMODEL", 0x2),
            ("EF_TELEPORT_BIT", 0x4),
            ("EF_READY", 0x8),
            ("EF_CROUCHING", 0x10),
            ("EF_MG42_ACTIVE", 0x20),
            ("EF_NODRAW", 0x40),
            ("EF_FIRING", 0x80),
            ("EF_SPINNING", 0x100),
            ("EF_BREATH", 0x100),
            ("EF_TALK", 0x200),
            ("EF_CONNECTION", 0x400),
            ("EF_SMOKINGBLACK", 0x800),
            ("EF_HEADSHOT", 0x1000),
            ("EF_SMOKING", 0x2000),
            ("EF_VOTED", 0x4000),
            ("EF_TAGCONNECT", 0x8000),
            ("EF_MOUNTEDTANK", 0x8000),
            ("EF_FAKEBMODEL", 0x10000),
            ("EF_PATH_LINK", 0x20000),
            ("EF_ZOOMING", 0x40000),
            ("EF_PRONE", 0x80000),
            ("EF_PRONE_MOVING", 0x100000),
            ("EF_VIEWING_CAMERA", 0x200000),
            ("EF_AAGUN_ACTIVE", 0x400000),
        ];
        for (k, v) in efs {
            et.set(*k, *v)?;
        }
    }
    let _ = lua;
    Ok(())
}

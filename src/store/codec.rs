//! Compact binary encoding of paths (and an engagement's attackers) for storage.
//!
//! A path is stored column by column (all times, then all x, …), each column coded for what it
//! holds (see [`encode_track_path`]): zig-zag varints of differences, or of differences of
//! differences, with runs of zeros written once. Positions keep the file's precision (0.1 unit);
//! speed is kept to 1 unit/s.
//!
//! Hand-written rather than a serialisation crate: the gain comes from the column layout and
//! the per-column coding, which no general-purpose format does for us.

use thiserror::Error;

use crate::format::{
    Attacker, DeathType, EngagementPoint, Name, PathEvent, PositionEvent, Stance, Team,
    TrackSample, Vec3,
};

const TRACK_VERSION: u8 = 2;
/// More samples than a life can have (39 days at 5 a second): a corrupt count, which runs let
/// be larger than the bytes.
const MAX_PATH_SAMPLES: usize = 1 << 24;
const POSITIONS_VERSION: u8 = 1;
const CELLS_VERSION: u8 = 1;
const ATTACKERS_VERSION: u8 = 1;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("stored path is truncated")]
    Truncated,
    #[error("stored path has unknown version {0}")]
    Version(u8),
    #[error("stored path has an invalid value")]
    Invalid,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_signed(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Checks the version byte and reads the item count that every encoding starts with.
    fn open(bytes: &'a [u8], version: u8) -> Result<(Self, usize), CodecError> {
        let (r, n) = Self::open_unchecked(bytes, version)?;
        // Every item takes at least one byte: a larger count is a corrupt header.
        if n > bytes.len() {
            return Err(CodecError::Truncated);
        }
        Ok((r, n))
    }

    /// [`Reader::open`] that leaves checking the count to the caller.
    fn open_unchecked(bytes: &'a [u8], version: u8) -> Result<(Self, usize), CodecError> {
        let mut r = Reader { bytes, pos: 0 };
        let found = r.byte()?;
        if found != version {
            return Err(CodecError::Version(found));
        }
        let n = usize::try_from(r.varint()?).map_err(|_| CodecError::Invalid)?;
        Ok((r, n))
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        let b = *self.bytes.get(self.pos).ok_or(CodecError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(CodecError::Invalid)
    }

    fn signed(&mut self) -> Result<i64, CodecError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Invalid)?;
        let bytes = self.bytes.get(self.pos..end).ok_or(CodecError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn be_i32(&mut self) -> Result<i32, CodecError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A big-endian count or length, which cannot be more than the bytes left.
    fn be_len(&mut self) -> Result<usize, CodecError> {
        let n = usize::try_from(self.be_i32()?).map_err(|_| CodecError::Invalid)?;
        if n > self.bytes.len() - self.pos {
            return Err(CodecError::Truncated);
        }
        Ok(n)
    }

    /// A column of `n` delta-encoded values.
    fn deltas(&mut self, n: usize) -> Result<Vec<i64>, CodecError> {
        let mut out = Vec::with_capacity(n);
        let mut prev = 0i64;
        for _ in 0..n {
            prev = prev
                .checked_add(self.signed()?)
                .ok_or(CodecError::Invalid)?;
            out.push(prev);
        }
        Ok(out)
    }

    /// The length of a run, written as the length less one.
    fn run_length(&mut self) -> Result<usize, CodecError> {
        let more = usize::try_from(self.varint()?).map_err(|_| CodecError::Invalid)?;
        more.checked_add(1).ok_or(CodecError::Invalid)
    }

    /// A column of `n` values written by [`put_column`] with `coding`.
    fn column(&mut self, n: usize, coding: Coding) -> Result<Vec<i64>, CodecError> {
        // Grown beyond the bytes only by runs that are really there.
        let mut out = Vec::with_capacity(n.min(self.bytes.len()));
        let (mut value, mut step) = (0i64, 0i64);
        while out.len() < n {
            let token = self.varint()?;
            let (code, repeat) = if coding.runs && token == 0 {
                (0, self.run_length()?)
            } else {
                (((token >> 1) as i64) ^ -((token & 1) as i64), 1)
            };
            if repeat > n - out.len() {
                return Err(CodecError::Invalid);
            }
            for _ in 0..repeat {
                if coding.second && !out.is_empty() {
                    step = step.wrapping_add(code);
                    value = value.wrapping_add(step);
                } else {
                    value = value.wrapping_add(code);
                }
                out.push(value);
            }
        }
        Ok(out)
    }
}

/// How a column of a path is coded: the first value as it is, then each value's difference to
/// the one before, or with `second` the change of that difference, as zig-zag varints; with
/// `runs`, a run of zeros is written as the token 0 and the run's length less one.
#[derive(Clone, Copy)]
struct Coding {
    second: bool,
    runs: bool,
}

/// The coding of each column of a version-2 path.
const TRACK_COLUMNS: [Coding; 7] = {
    const fn coding(second: bool, runs: bool) -> Coding {
        Coding { second, runs }
    }
    [
        // Time comes every 200 ms: second differences are zero but where the server stalled.
        coding(true, true),
        // x and y change by similar amounts while a player runs, but seldom by exactly the
        // same: runs would save little and cost a mispredicted branch a sample.
        coding(true, false),
        coding(true, false),
        // Height stays the same for long stretches.
        coding(false, true),
        // Health stays the same, or regenerates steadily.
        coding(true, true),
        // Speed jumps between standing, walking and running.
        coding(false, false),
        // Weapon stays the same for long stretches.
        coding(false, true),
    ]
};

/// Writes a column coded as `coding` says; wrapping arithmetic, so that every `i64` comes back
/// exactly. Inlined so that each call is compiled for its constant coding.
#[inline(always)]
fn put_column(out: &mut Vec<u8>, mut values: impl Iterator<Item = i64>, coding: Coding) {
    let Some(first) = values.next() else { return };
    let mut zeros = 0u64;
    put_code(out, first, coding.runs, &mut zeros);
    let (mut prev, mut prev_step) = (first, 0i64);
    for v in values {
        let step = v.wrapping_sub(prev);
        let code = if coding.second {
            step.wrapping_sub(prev_step)
        } else {
            step
        };
        put_code(out, code, coding.runs, &mut zeros);
        (prev, prev_step) = (v, step);
    }
    put_zero_run(out, &mut zeros);
}

/// One value of [`put_column`]: with `runs`, a zero is counted in `zeros` until the run ends.
#[inline(always)]
fn put_code(out: &mut Vec<u8>, code: i64, runs: bool, zeros: &mut u64) {
    if runs {
        if code == 0 {
            *zeros += 1;
            return;
        }
        put_zero_run(out, zeros);
    }
    put_signed(out, code);
}

/// Ends a run of `zeros` zeros, if any: the token 0 and the run's length less one.
#[inline(always)]
fn put_zero_run(out: &mut Vec<u8>, zeros: &mut u64) {
    if *zeros > 0 {
        put_varint(out, 0);
        put_varint(out, *zeros - 1);
        *zeros = 0;
    }
}

fn put_deltas(out: &mut Vec<u8>, values: impl Iterator<Item = i64>) {
    let mut prev = 0i64;
    for v in values {
        put_signed(out, v - prev);
        prev = v;
    }
}

fn tenths(v: f64) -> i64 {
    rounded(v * 10.0)
}

/// `v.round() as i64` (halves away from zero, saturating), without the call to libm's `round`
/// that the baseline x86-64 target makes for `f64::round`, which would run four times a path
/// sample.
fn rounded(v: f64) -> i64 {
    let whole = v as i64;
    // Exact: `whole` is `v` without its fraction (or saturated, leaving no fraction below 0.5).
    let fraction = v - whole as f64;
    if fraction >= 0.5 {
        whole.saturating_add(1)
    } else if fraction <= -0.5 {
        whole.saturating_sub(1)
    } else {
        whole
    }
}

fn path_event_code(e: PathEvent) -> u8 {
    match e {
        PathEvent::Spawn => 0,
        PathEvent::Sample => 1,
        PathEvent::Revived => 2,
        PathEvent::End(d) => 3 + DeathType::ALL.iter().position(|x| *x == d).unwrap_or(0) as u8,
    }
}

fn path_event_from(code: u8) -> Result<PathEvent, CodecError> {
    match code {
        0 => Ok(PathEvent::Spawn),
        1 => Ok(PathEvent::Sample),
        2 => Ok(PathEvent::Revived),
        c => DeathType::ALL
            .get(usize::from(c - 3))
            .copied()
            .map(PathEvent::End)
            .ok_or(CodecError::Invalid),
    }
}

/// A sample's stance, sprint flag and event in the low 7 bits of a byte.
fn sample_flags(s: &TrackSample) -> u8 {
    (s.stance as u8) | (u8::from(s.sprint) << 2) | (path_event_code(s.event) << 3)
}

/// Set on a flags byte that the next samples repeat: a varint of how many follow it.
const REPEATED: u8 = 0x80;

/// Encodes a life's path: the columns time, x, y, z, health, speed and weapon,
/// each coded as [`TRACK_COLUMNS`] says, then each run of equal stance, sprint and event as one
/// byte (with [`REPEATED`] and the count of further samples when the run is longer than one).
/// Each column coded for what it holds keeps a life's row under the size at which PostgreSQL
/// would compress it (the engine bench prints the bytes a sample).
pub fn encode_track_path(path: &[TrackSample]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_track_path_into(&mut out, path);
    out
}

/// [`encode_track_path`], appended to `out`.
pub fn encode_track_path_into(out: &mut Vec<u8>, path: &[TrackSample]) {
    out.reserve(path.len() * 7 + 8);
    out.push(TRACK_VERSION);
    put_varint(out, path.len() as u64);
    let [time, x, y, z, health, speed, weapon] = TRACK_COLUMNS;
    put_column(out, path.iter().map(|s| s.time), time);
    put_column(out, path.iter().map(|s| tenths(s.pos.x)), x);
    put_column(out, path.iter().map(|s| tenths(s.pos.y)), y);
    put_column(out, path.iter().map(|s| tenths(s.pos.z)), z);
    put_column(out, path.iter().map(|s| s.health), health);
    put_column(out, path.iter().map(|s| rounded(s.speed)), speed);
    put_column(out, path.iter().map(|s| s.weapon), weapon);
    let flags: Vec<u8> = path.iter().map(sample_flags).collect();
    for run in flags.chunk_by(|a, b| a == b) {
        if run.len() == 1 {
            out.push(run[0]);
        } else {
            out.push(run[0] | REPEATED);
            put_varint(out, run.len() as u64 - 1);
        }
    }
}

/// Decodes a life's path (speed comes back rounded to 1 unit/s).
pub fn decode_track_path(bytes: &[u8]) -> Result<Vec<TrackSample>, CodecError> {
    // Runs let the count be larger than the bytes, so it is checked against what a life can be.
    let (mut r, n) = Reader::open_unchecked(bytes, TRACK_VERSION)?;
    if n > MAX_PATH_SAMPLES {
        return Err(CodecError::Truncated);
    }
    let columns = TRACK_COLUMNS.map(|coding| r.column(n, coding));
    let [time, x, y, z, health, speed, weapon] = columns;
    let (time, x, y, z, health, speed, weapon) = (time?, x?, y?, z?, health?, speed?, weapon?);
    let mut out = Vec::with_capacity(time.len());
    while out.len() < n {
        let mut flags = r.byte()?;
        let mut repeat = 1;
        if flags & REPEATED != 0 {
            flags &= !REPEATED;
            repeat = r.run_length()?;
        }
        if repeat > n - out.len() {
            return Err(CodecError::Invalid);
        }
        let stance = Stance::from_code(flags & 3).ok_or(CodecError::Invalid)?;
        let event = path_event_from(flags >> 3)?;
        for _ in 0..repeat {
            let i = out.len();
            out.push(TrackSample {
                time: time[i],
                pos: Vec3::new(x[i] as f64 / 10.0, y[i] as f64 / 10.0, z[i] as f64 / 10.0),
                health: health[i],
                speed: speed[i] as f64,
                weapon: weapon[i],
                stance,
                sprint: flags & 4 != 0,
                event,
            });
        }
    }
    if r.pos != bytes.len() {
        return Err(CodecError::Invalid);
    }
    Ok(out)
}

/// Encodes an engagement's position path.
pub fn encode_positions(points: &[EngagementPoint]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_positions_into(&mut out, points);
    out
}

/// [`encode_positions`], appended to `out`.
pub fn encode_positions_into(out: &mut Vec<u8>, points: &[EngagementPoint]) {
    out.reserve(points.len() * 8 + 4);
    out.push(POSITIONS_VERSION);
    put_varint(out, points.len() as u64);
    put_deltas(out, points.iter().map(|p| p.time));
    put_deltas(out, points.iter().map(|p| tenths(p.pos.x)));
    put_deltas(out, points.iter().map(|p| tenths(p.pos.y)));
    put_deltas(out, points.iter().map(|p| tenths(p.pos.z)));
    for p in points {
        out.push(
            PositionEvent::ALL
                .iter()
                .position(|e| *e == p.event)
                .unwrap_or(0) as u8,
        );
    }
}

/// Decodes an engagement's position path.
pub fn decode_positions(bytes: &[u8]) -> Result<Vec<EngagementPoint>, CodecError> {
    let (mut r, n) = Reader::open(bytes, POSITIONS_VERSION)?;
    let time = r.deltas(n)?;
    let x = r.deltas(n)?;
    let y = r.deltas(n)?;
    let z = r.deltas(n)?;
    (0..n)
        .map(|i| {
            let event = *PositionEvent::ALL
                .get(usize::from(r.byte()?))
                .ok_or(CodecError::Invalid)?;
            Ok(EngagementPoint {
                time: time[i],
                pos: Vec3::new(x[i] as f64 / 10.0, y[i] as f64 / 10.0, z[i] as f64 / 10.0),
                event,
            })
        })
        .collect()
}

/// A grid cell `(x, y)` and how many samples fell in it.
pub type Cell = ((i32, i32), u32);

/// Encodes grid cells `(x, y, count)` (sorted by `(x, y)`, as a `BTreeMap` yields them).
pub fn encode_cells(cells: &[Cell]) -> Vec<u8> {
    let mut out = Vec::with_capacity(cells.len() * 3 + 4);
    out.push(CELLS_VERSION);
    put_varint(&mut out, cells.len() as u64);
    put_deltas(&mut out, cells.iter().map(|c| i64::from(c.0.0)));
    put_deltas(&mut out, cells.iter().map(|c| i64::from(c.0.1)));
    for c in cells {
        put_varint(&mut out, u64::from(c.1));
    }
    out
}

/// Decodes grid cells written by [`encode_cells`].
pub fn decode_cells(bytes: &[u8]) -> Result<Vec<Cell>, CodecError> {
    let (mut r, n) = Reader::open(bytes, CELLS_VERSION)?;
    let xs = r.deltas(n)?;
    let ys = r.deltas(n)?;
    (0..n)
        .map(|i| {
            let x = i32::try_from(xs[i]).map_err(|_| CodecError::Invalid)?;
            let y = i32::try_from(ys[i]).map_err(|_| CodecError::Invalid)?;
            let count = u32::try_from(r.varint()?).map_err(|_| CodecError::Invalid)?;
            Ok(((x, y), count))
        })
        .collect()
}

/// A team as stored in every table: 1 axis, 2 allies.
pub fn team_code(t: Team) -> i16 {
    match t {
        Team::Axis => 1,
        Team::Allies => 2,
    }
}

/// The team of a stored [`team_code`].
fn team_from_code(code: i16) -> Result<Team, CodecError> {
    match code {
        1 => Ok(Team::Axis),
        2 => Ok(Team::Allies),
        _ => Err(CodecError::Invalid),
    }
}

/// Encodes an engagement's attackers, with fixed-width big-endian fields (the form PostgreSQL's
/// `int4send` and friends produce, so SQL can build or read the same bytes):
/// version byte 1, attacker count (i32), then per attacker the GUID and the name (each an i32
/// byte length and the bytes), team (i16: 1 axis, 2 allies), damage, hits, first and last hit
/// times (i32 each), got_kill (one byte, 0 or 1), weapon count (i32) and per weapon its id and
/// hits (i32 each).
pub fn encode_attackers(attackers: &[Attacker]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_attackers_into(&mut out, attackers);
    out
}

/// [`encode_attackers`], appended to `out`.
pub fn encode_attackers_into(out: &mut Vec<u8>, attackers: &[Attacker]) {
    out.reserve(5 + attackers.len() * 80);
    out.push(ATTACKERS_VERSION);
    let i32_be = |out: &mut Vec<u8>, v: i64| out.extend_from_slice(&(v as i32).to_be_bytes());
    i32_be(out, attackers.len() as i64);
    for a in attackers {
        for bytes in [a.guid.as_bytes(), a.name.as_bytes()] {
            i32_be(out, bytes.len() as i64);
            out.extend_from_slice(bytes);
        }
        out.extend_from_slice(&team_code(a.team).to_be_bytes());
        for v in [a.damage, a.hits, a.first_hit, a.last_hit] {
            i32_be(out, v);
        }
        out.push(u8::from(a.got_kill));
        i32_be(out, a.weapons.len() as i64);
        for &(weapon, hits) in &a.weapons {
            i32_be(out, weapon);
            i32_be(out, hits);
        }
    }
}

/// Decodes attackers written by [`encode_attackers`].
pub fn decode_attackers(bytes: &[u8]) -> Result<Vec<Attacker>, CodecError> {
    let mut r = Reader { bytes, pos: 0 };
    let found = r.byte()?;
    if found != ATTACKERS_VERSION {
        return Err(CodecError::Version(found));
    }
    let n = r.be_len()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let guid_len = r.be_len()?;
        let guid = std::str::from_utf8(r.take(guid_len)?)
            .map_err(|_| CodecError::Invalid)?
            .to_string();
        let name_len = r.be_len()?;
        let name = Name::new(r.take(name_len)?);
        let team_bytes = r.take(2)?;
        let team = team_from_code(i16::from_be_bytes([team_bytes[0], team_bytes[1]]))?;
        let damage = i64::from(r.be_i32()?);
        let hits = i64::from(r.be_i32()?);
        let first_hit = i64::from(r.be_i32()?);
        let last_hit = i64::from(r.be_i32()?);
        let got_kill = match r.byte()? {
            0 => false,
            1 => true,
            _ => return Err(CodecError::Invalid),
        };
        let weapons = (0..r.be_len()?)
            .map(|_| Ok((i64::from(r.be_i32()?), i64::from(r.be_i32()?))))
            .collect::<Result<Vec<_>, CodecError>>()?;
        out.push(Attacker {
            guid,
            name,
            team,
            damage,
            hits,
            first_hit,
            last_hit,
            got_kill,
            weapons,
        });
    }
    if r.pos != bytes.len() {
        return Err(CodecError::Invalid);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample at `x_tenths / 10` (positions carry one decimal, like the file).
    fn sample(time: i64, x_tenths: i64, speed: f64, event: PathEvent) -> TrackSample {
        TrackSample {
            time,
            pos: Vec3::new(x_tenths as f64 / 10.0, (-x_tenths / 2) as f64 / 10.0, 64.5),
            health: 100 - time / 1000,
            speed,
            weapon: 8,
            stance: Stance::Prone,
            sprint: time % 400 == 0,
            event,
        }
    }

    #[test]
    fn track_path_round_trips_with_whole_speeds() {
        let path: Vec<TrackSample> = (0..500)
            .map(|i| {
                let event = match i {
                    0 => PathEvent::Spawn,
                    250 => PathEvent::Revived,
                    499 => PathEvent::End(DeathType::Teamkill),
                    _ => PathEvent::Sample,
                };
                sample(i * 200, -12_345 + i * 512, 256.0, event)
            })
            .collect();
        let bytes = encode_track_path(&path);
        assert_eq!(decode_track_path(&bytes).unwrap(), path);
    }

    #[test]
    fn steady_running_costs_three_bytes_a_sample() {
        let path: Vec<TrackSample> = (0..500)
            .map(|i| TrackSample {
                time: i * 200,
                pos: Vec3::new(
                    (-12_345 + i * 512) as f64 / 10.0,
                    (1000 + i * 300) as f64 / 10.0,
                    64.5,
                ),
                health: 100,
                speed: 256.0,
                weapon: 8,
                stance: Stance::Standing,
                sprint: true,
                event: match i {
                    0 => PathEvent::Spawn,
                    499 => PathEvent::End(DeathType::Killed),
                    _ => PathEvent::Sample,
                },
            })
            .collect();
        let bytes = encode_track_path(&path);
        assert!(decode_track_path(&bytes) == Ok(path), "round trip");
        let columns = [
            1 + 2,       // version, count (500)
            2 + 2 + 3,   // time: 0 (a run of one zero), 200, a run of 498 zero second differences
            3 + 2 + 498, // x: -12345, 512, then 498 zeros (no runs in x and y)
            2 + 2 + 498, // y: 1000, 300, the zeros
            2 + 3,       // z: 645, a run of 499 zero differences
            2 + 3,       // health: 100, the run of 499
            2 + 499,     // speed: 256, then 499 zeros (no runs in speed)
            1 + 3,       // weapon: 8, the run
            1 + 3 + 1,   // flags: spawn; 498 samples (the byte and a count of 497 more); the death
        ];
        assert_eq!(bytes.len(), columns.iter().sum::<usize>());
    }

    #[test]
    fn every_cut_of_a_stored_path_is_an_error() {
        let path: Vec<TrackSample> = (0..40)
            .map(|i| {
                sample(
                    i * 200,
                    i * i * 7,
                    (i % 3) as f64 * 100.0,
                    PathEvent::Sample,
                )
            })
            .collect();
        let bytes = encode_track_path(&path);
        for cut in 0..bytes.len() {
            assert!(decode_track_path(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_track_path(&longer), Err(CodecError::Invalid));
        // A run longer than the samples left, and a count no life has.
        let overlong_run = [2, 3, 0, 3];
        assert_eq!(decode_track_path(&overlong_run), Err(CodecError::Invalid));
        let huge = [2, 0x81, 0x80, 0x80, 0x08, 0, 0xff, 0xff, 0xff, 0x07];
        assert_eq!(decode_track_path(&huge), Err(CodecError::Truncated));
    }

    proptest::proptest! {
        #[test]
        fn any_track_path_round_trips(
            samples in proptest::collection::vec(
                (
                    proptest::prelude::any::<i64>(),
                    (-10_000_000i64..10_000_000, -10_000_000i64..10_000_000, -100_000i64..100_000),
                    proptest::prelude::any::<i64>(),
                    0u16..2000,
                    proptest::prelude::any::<i64>(),
                    0u8..3,
                    proptest::prelude::any::<bool>(),
                    0usize..12,
                ),
                0..300,
            ),
            repeat in 1usize..6,
        ) {
            // Runs of equal samples, as real paths have, besides arbitrary ones.
            let path: Vec<TrackSample> = samples
                .iter()
                .flat_map(|s| std::iter::repeat_n(s, if s.7 % 2 == 0 { repeat } else { 1 }))
                .map(|&(time, (x, y, z), health, speed, weapon, stance, sprint, event)| {
                    TrackSample {
                        time,
                        pos: Vec3::new(x as f64 / 10.0, y as f64 / 10.0, z as f64 / 10.0),
                        health,
                        speed: f64::from(speed),
                        weapon,
                        stance: Stance::from_code(stance).unwrap(),
                        sprint,
                        event: path_event_from(event as u8).unwrap(),
                    }
                })
                .collect();
            proptest::prop_assert_eq!(decode_track_path(&encode_track_path(&path)).unwrap(), path);
        }
    }

    #[test]
    fn speed_is_rounded_to_whole_units() {
        let path = vec![sample(0, 10, 255.6, PathEvent::Spawn)];
        assert_eq!(
            decode_track_path(&encode_track_path(&path)).unwrap()[0].speed,
            256.0
        );
    }

    #[test]
    fn positions_round_trip() {
        let points: Vec<EngagementPoint> = PositionEvent::ALL
            .iter()
            .enumerate()
            .map(|(i, e)| EngagementPoint {
                time: 1000 + i as i64 * 137,
                pos: Vec3::new(i as f64 * 101.0 / 10.0, -5.5, 0.0),
                event: *e,
            })
            .collect();
        assert_eq!(
            decode_positions(&encode_positions(&points)).unwrap(),
            points
        );
        assert_eq!(decode_positions(&encode_positions(&[])).unwrap(), vec![]);
    }

    fn attacker(guid: &str, name: &[u8], team: Team, weapons: Vec<(i64, i64)>) -> Attacker {
        Attacker {
            guid: guid.into(),
            name: Name::new(name),
            team,
            damage: 140,
            hits: 7,
            first_hit: 1_200,
            last_hit: 2_950,
            got_kill: weapons.len() > 1,
            weapons,
        }
    }

    #[test]
    fn attackers_round_trip() {
        let attackers = vec![
            attacker("A1B2", b"^1Red\xff", Team::Axis, vec![(3, 5), (8, 2)]),
            attacker("C3D4", b"", Team::Allies, vec![]),
        ];
        let bytes = encode_attackers(&attackers);
        assert_eq!(decode_attackers(&bytes).unwrap(), attackers);
        assert_eq!(decode_attackers(&encode_attackers(&[])).unwrap(), vec![]);
        // The layout, byte for byte.
        let one = encode_attackers(&attackers[1..]);
        let mut expected = vec![1, 0, 0, 0, 1, 0, 0, 0, 4];
        expected.extend(b"C3D4");
        expected.extend([0, 0, 0, 0, 0, 2]);
        expected.extend([
            0, 0, 0, 140, 0, 0, 0, 7, 0, 0, 0x04, 0xb0, 0, 0, 0x0b, 0x86, 0,
        ]);
        expected.extend([0, 0, 0, 0]);
        assert_eq!(one, expected);
        for cut in 0..bytes.len() {
            assert!(decode_attackers(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn rounded_is_round_as_i64() {
        let cases = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999999999999994,
            -0.49999999999999994,
            1234.4999999,
            1234.5,
            -1234.5,
            9.007199254740993e15,
            4.5e15 + 0.5,
            1e19,
            -1e19,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        for v in cases {
            assert_eq!(rounded(v), v.round() as i64, "{v}");
        }
        let mut x = -3.0;
        while x < 3.0 {
            assert_eq!(rounded(x), x.round() as i64, "{x}");
            x += 0.05;
        }
    }

    #[test]
    fn cells_round_trip() {
        let cells = vec![
            ((-40, -3), 1),
            ((-40, 7), 300),
            ((0, 0), 12),
            ((55, -60), 70_000),
        ];
        assert_eq!(decode_cells(&encode_cells(&cells)).unwrap(), cells);
        assert_eq!(decode_cells(&encode_cells(&[])).unwrap(), vec![]);
        assert_eq!(decode_cells(&[1, 3, 0]), Err(CodecError::Truncated));
    }

    #[test]
    fn corrupt_bytes_are_errors() {
        let bytes = encode_track_path(&[sample(0, 10, 2.0, PathEvent::Spawn)]);
        assert_eq!(
            decode_track_path(&bytes[..bytes.len() - 1]),
            Err(CodecError::Truncated)
        );
        assert_eq!(decode_track_path(&[9]), Err(CodecError::Version(9)));
        assert_eq!(decode_track_path(&[]), Err(CodecError::Truncated));
        assert_eq!(decode_positions(&[1, 200, 1]), Err(CodecError::Truncated));
    }
}

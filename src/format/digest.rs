//! The digest that identifies a played round: its rows serialised canonically and hashed.
//!
//! Each value goes in in a fixed binary form, the way the file's text carries it: whole numbers
//! as they are, decimals as whole tenths (the file writes one decimal), words and names as their
//! bytes with their length, absent values with a marker. Files that differ only in line endings,
//! spacing, trailing blank lines or the end marker have the same rows, so the same digest.
//! Binary rather than the round's text, and BLAKE3 rather than SHA-256, because the digest is on
//! every import's path: formatting every decimal of a round's paths again costs as much as the
//! rest of an import, and BLAKE3 hashes several times faster on one core.

use super::model::*;

/// The BLAKE3 hash of `round`'s header and rows in the canonical form of the module doc. Sections
/// the reader skipped and the end marker are not part of it, nor are REVIVES, KILL_OUTCOME,
/// WEAPON_ACCURACY, HIT_REGIONS, SPAWN_TIMING and the objective sections: a file imported before this reader knew them
/// must stay the same round (the importer fills them in instead).
pub fn canonical_digest(round: &Round) -> [u8; 32] {
    let mut c = Canon::default();
    header(&mut c, &round.header);
    c.len(round.engagements.len());
    for e in &round.engagements {
        engagement(&mut c, e);
    }
    c.len(round.tracks.len());
    for t in &round.tracks {
        track(&mut c, t);
    }
    c.len(round.kill_heatmap.len());
    for k in &round.kill_heatmap {
        for v in [k.grid_x, k.grid_y, k.axis_kills, k.allies_kills] {
            c.int(v);
        }
    }
    c.len(round.movement_heatmap.len());
    for m in &round.movement_heatmap {
        for v in [m.grid_x, m.grid_y, m.traversal, m.combat, m.escape] {
            c.int(v);
        }
    }
    c.present(round.objective_focus.is_some());
    for o in round.objective_focus.iter().flatten() {
        c.text(o.guid.as_bytes());
        c.text(o.name.as_bytes());
        c.text(o.team.as_str().as_bytes());
        c.text(o.objective.as_bytes());
        c.tenths(o.avg_distance);
        c.int(o.time_within_radius_ms);
        c.int(o.samples);
    }
    c.present(round.reactions.is_some());
    for r in round.reactions.iter().flatten() {
        c.int(r.engagement_id);
        c.text(r.target_guid.as_bytes());
        c.text(r.target_name.as_bytes());
        c.text(r.target_team.as_str().as_bytes());
        c.text(r.target_class.as_str().as_bytes());
        c.text(r.outcome.as_str().as_bytes());
        c.int(r.num_attackers);
        for v in [r.return_fire_ms, r.dodge_reaction_ms, r.support_reaction_ms] {
            c.opt(v);
        }
        for v in [r.start_time, r.end_time, r.duration] {
            c.int(v);
        }
    }
    c.finish()
}

fn header(c: &mut Canon, h: &Header) {
    c.text(h.banner.as_str().as_bytes());
    c.text(h.map.as_bytes());
    c.int(i64::from(h.round));
    c.int(h.crossfire_window_ms);
    c.int(h.escape_time_ms);
    c.tenths(h.escape_distance);
    c.int(h.position_sample_interval_ms);
    c.int(h.round_start_unix);
    c.int(h.round_end_unix);
    c.present(h.tracker_version_full.is_some());
    if let Some(v) = &h.tracker_version_full {
        c.text(v.as_bytes());
    }
    c.opt(h.test_mode.map(i64::from));
    c.opt(h.axis_spawn_interval_ms);
    c.opt(h.allies_spawn_interval_ms);
    c.len(h.capabilities.len());
    for (name, on) in &h.capabilities {
        c.text(name.as_bytes());
        c.flag(*on);
    }
    c.len(h.extra.len());
    for (key, value) in &h.extra {
        c.text(key.as_bytes());
        c.text(value.as_bytes());
    }
    // Keys newer than the first stored rounds go in only when present, so those rounds keep
    // their digest.
    if let Some(w) = h.winner {
        c.text(b"winner");
        c.text(match w {
            Winner::Team(t) => t.as_str().as_bytes(),
            Winner::Nobody => b"",
        });
    }
    if let Some(t) = h.defender {
        c.text(b"defender");
        c.text(t.as_str().as_bytes());
    }
    if let Some(v) = h.time_set_ms {
        c.text(b"time_set");
        c.int(v);
    }
}

fn engagement(c: &mut Canon, e: &Engagement) {
    for v in [e.id, e.start_time, e.end_time, e.duration] {
        c.int(v);
    }
    c.text(e.target_guid.as_bytes());
    c.text(e.target_name.as_bytes());
    c.text(e.target_team.as_str().as_bytes());
    c.text(e.outcome.as_str().as_bytes());
    c.int(e.total_damage);
    c.present(e.killer_guid.is_some());
    c.text(e.killer_guid.as_deref().unwrap_or("").as_bytes());
    c.present(e.killer_name.is_some());
    c.text(e.killer_name.as_ref().map_or(&[][..], Name::as_bytes));
    c.int(e.num_attackers);
    c.flag(e.is_crossfire);
    c.opt(e.crossfire_delay);
    c.len(e.crossfire_participants.len());
    for g in &e.crossfire_participants {
        c.text(g.as_bytes());
    }
    c.vec3(&e.start);
    c.vec3(&e.end);
    c.tenths(e.distance_traveled);
    c.len(e.positions.len());
    for p in &e.positions {
        c.int(p.time);
        c.vec3(&p.pos);
        c.text(p.event.as_str().as_bytes());
    }
    c.len(e.attackers.len());
    for a in &e.attackers {
        c.text(a.guid.as_bytes());
        c.text(a.name.as_bytes());
        c.text(a.team.as_str().as_bytes());
        for v in [a.damage, a.hits, a.first_hit, a.last_hit] {
            c.int(v);
        }
        c.flag(a.got_kill);
        c.len(a.weapons.len());
        for (weapon, hits) in &a.weapons {
            c.int(*weapon);
            c.int(*hits);
        }
    }
}

fn track(c: &mut Canon, t: &PlayerTrack) {
    c.text(t.guid.as_bytes());
    c.text(t.name.as_bytes());
    c.text(t.team.as_str().as_bytes());
    c.text(t.class.as_str().as_bytes());
    c.int(t.spawn_time);
    c.opt(t.death_time);
    c.opt(t.first_move_time);
    c.text(t.death_type.as_str().as_bytes());
    c.int(t.samples);
    c.len(t.path.len());
    for s in &t.path {
        // The bulk of a round: packed tight, every value at its full range.
        c.int(s.time);
        c.vec3(&s.pos);
        c.int(s.health);
        c.tenths(s.speed);
        c.int(s.weapon);
        c.byte(s.stance as u8);
        c.flag(s.sprint);
        c.byte(event_code(s.event));
        c.flush_full();
    }
}

/// A path event as one byte: its place among every event a path can have.
fn event_code(e: PathEvent) -> u8 {
    match e {
        PathEvent::Spawn => 0,
        PathEvent::Sample => 1,
        PathEvent::Revived => 2,
        PathEvent::End(d) => 3 + DeathType::ALL.iter().position(|x| *x == d).unwrap_or(0) as u8,
    }
}

/// The canonical form, hashed a buffer at a time.
struct Canon {
    hasher: blake3::Hasher,
    buf: Vec<u8>,
}

/// Bytes gathered before they are hashed: small writes straight into the hasher cost more than
/// the hashing.
const CHUNK: usize = 64 * 1024;

impl Default for Canon {
    fn default() -> Self {
        Canon {
            hasher: blake3::Hasher::new(),
            buf: Vec::with_capacity(CHUNK + 64),
        }
    }
}

impl Canon {
    /// Hashes what has gathered once there is a chunk of it; called between values.
    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.flush_full();
    }

    fn flush_full(&mut self) {
        if self.buf.len() >= CHUNK {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
    }

    fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    fn flag(&mut self, b: bool) {
        self.byte(u8::from(b));
    }

    fn present(&mut self, b: bool) {
        self.flag(b);
    }

    /// A whole number in as few bytes as it needs (LEB128 of its zigzag form).
    fn int(&mut self, v: i64) {
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            self.buf.push((z as u8) | 0x80);
            z >>= 7;
        }
        self.buf.push(z as u8);
    }

    fn len(&mut self, n: usize) {
        self.int(n as i64);
    }

    fn opt(&mut self, v: Option<i64>) {
        self.present(v.is_some());
        if let Some(v) = v {
            self.int(v);
        }
    }

    /// A decimal as the file writes it: rounded to tenths.
    fn tenths(&mut self, v: f64) {
        self.int((v * 10.0).round() as i64);
    }

    fn vec3(&mut self, v: &Vec3) {
        self.tenths(v.x);
        self.tenths(v.y);
        self.tenths(v.z);
    }

    fn text(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.put(bytes);
    }

    fn finish(mut self) -> [u8; 32] {
        self.hasher.update(&self.buf);
        self.hasher.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{ParseOptions, parse, parse_with, write};

    fn round() -> Round {
        crate::synth::synth_round(&crate::synth::SynthOptions::new("supply", 1, 6, 60, 5))
    }

    #[test]
    fn the_bytes_of_a_file_do_not_change_its_digest() {
        let r = round();
        let text = String::from_utf8(write(&r)).unwrap();
        let digest = canonical_digest(&r);
        let crlf = text.replace('\n', "\r\n");
        let trailing = format!("{text}\n\n");
        let padded = text.replace(".0;", ".00;");
        for variant in [&text, &crlf, &trailing, &padded] {
            assert_eq!(
                canonical_digest(&parse(variant.as_bytes()).unwrap()),
                digest
            );
        }
        let no_end = text.replace("\n# END\n", "\n");
        let complete = ParseOptions {
            assume_complete: true,
        };
        assert_eq!(
            canonical_digest(&parse_with(no_end.as_bytes(), complete).unwrap()),
            digest
        );
    }

    #[test]
    fn any_change_of_a_value_changes_the_digest() {
        let r = round();
        let digest = canonical_digest(&r);
        let mut moved = r.clone();
        moved.tracks[0].path[3].pos.x += 0.1;
        let mut renamed = r.clone();
        renamed.tracks[1].name = Name::new(b"other".to_vec());
        let mut later = r.clone();
        later.header.round_start_unix += 1;
        let mut fewer = r.clone();
        fewer.engagements.pop();
        let mut no_reactions = r.clone();
        no_reactions.reactions = None;
        for (what, changed) in [
            ("a coordinate", moved),
            ("a name", renamed),
            ("the start", later),
            ("a fight", fewer),
            ("a section", no_reactions),
        ] {
            assert_ne!(canonical_digest(&changed), digest, "{what}");
        }
    }
}

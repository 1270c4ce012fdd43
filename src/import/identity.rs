//! Which stored round a file is: the rule that keeps one played round one round.
//!
//! A round is identified by what was played, not by its file's bytes:
//! - its *digest*, the BLAKE3 hash of its rows serialised canonically
//!   ([`crate::format::canonical_digest`]): files that differ only in line endings, trailing
//!   whitespace or the end marker have the same digest, and are the same round;
//! - its *key*, the map, round number and start time (when the header has one): files of one
//!   round with different rows, such as a partial file imported before the tracker finished it,
//!   and the finished file.
//!
//! A file whose digest is stored is a repeat, unless it records sections of the rest of the game
//! (revives, weapons...) that the stored round lacks, or the stored round's figures come from an
//! older importer ([`FIGURES_VERSION`](super::FIGURES_VERSION)): then it replaces the stored
//! round, so that importing the files of rounds stored before the reader knew those sections or
//! figures fills them in. A file whose key is stored with another digest
//! replaces the stored round when it is more of the round: complete where the stored one was
//! not, or, both incomplete, longer. Otherwise the stored round stands and the file is a repeat.
//! A replacement happens in the transaction that writes the new round: the stored round is
//! deleted (which subtracts it from the totals) and the new one written, so no reader ever sees
//! both or neither.

use crate::store::write::StoredVersion;

/// What to do with a new file of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not stored yet.
    New,
    /// Replaces the stored round with this id.
    Replace(i64),
    /// The stored round with this id is this round, or more of it.
    Repeat(i64),
}

/// The rule of the module doc, for a new file that is complete or not, lasts `duration_ms` and
/// records the sections `recorded` (`Round::recorded_mask`).
pub fn verdict(
    complete: bool,
    duration_ms: i64,
    recorded: i16,
    stored: Option<StoredVersion>,
) -> Verdict {
    let Some(s) = stored else {
        return Verdict::New;
    };
    // The stored round lacks sections this file records, or figures this importer derives.
    let lacks = recorded & !s.recorded != 0 || s.figures_version < super::FIGURES_VERSION;
    if s.same_digest {
        return if lacks {
            Verdict::Replace(s.round_id)
        } else {
            Verdict::Repeat(s.round_id)
        };
    }
    let more = !s.has_end_marker && (complete || duration_ms > s.duration_ms);
    if !more {
        Verdict::Repeat(s.round_id)
    } else {
        Verdict::Replace(s.round_id)
    }
}

/// The key part of a round's identity, `None` without a start time (0 means unknown).
pub fn round_key(map: &str, round: i16, start_unix: i64) -> Option<(&str, i16, i64)> {
    (start_unix > 0).then_some((map, round, start_unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(same_digest: bool, has_end_marker: bool, duration_ms: i64) -> Option<StoredVersion> {
        Some(StoredVersion {
            round_id: 7,
            same_digest,
            has_end_marker,
            duration_ms,
            recorded: 0,
            figures_version: crate::import::FIGURES_VERSION,
        })
    }

    #[test]
    fn the_same_round_with_figures_of_an_older_importer_is_derived_again() {
        let older = stored(true, true, 100).map(|s| StoredVersion {
            figures_version: crate::import::FIGURES_VERSION - 1,
            ..s
        });
        assert_eq!(verdict(true, 100, 0, older), Verdict::Replace(7));
        assert_eq!(
            verdict(true, 100, 0, stored(true, true, 100)),
            Verdict::Repeat(7)
        );
    }

    #[test]
    fn the_same_round_with_sections_the_stored_one_lacks_fills_them_in() {
        let with = |recorded| stored(true, true, 100).map(|s| StoredVersion { recorded, ..s });
        assert_eq!(verdict(true, 100, 0b1011, with(0)), Verdict::Replace(7));
        assert_eq!(
            verdict(true, 100, 0b1011, with(0b0001)),
            Verdict::Replace(7)
        );
        assert_eq!(verdict(true, 100, 0b1011, with(0b1011)), Verdict::Repeat(7));
        // Fewer sections than stored never replaces what is there.
        assert_eq!(verdict(true, 100, 0b0001, with(0b1011)), Verdict::Repeat(7));
        assert_eq!(verdict(false, 100, 0, with(0b1011)), Verdict::Repeat(7));
    }

    #[test]
    fn the_same_digest_is_always_a_repeat() {
        assert_eq!(
            verdict(true, 900, 0, stored(true, false, 100)),
            Verdict::Repeat(7)
        );
        assert_eq!(
            verdict(false, 100, 0, stored(true, true, 100)),
            Verdict::Repeat(7)
        );
    }

    #[test]
    fn more_of_a_partial_round_replaces_it() {
        assert_eq!(
            verdict(true, 100, 0, stored(false, false, 500)),
            Verdict::Replace(7)
        );
        assert_eq!(
            verdict(false, 600, 0, stored(false, false, 500)),
            Verdict::Replace(7)
        );
        assert_eq!(
            verdict(false, 500, 0, stored(false, false, 500)),
            Verdict::Repeat(7)
        );
        assert_eq!(
            verdict(false, 400, 0, stored(false, false, 500)),
            Verdict::Repeat(7)
        );
    }

    #[test]
    fn a_complete_stored_round_stands() {
        assert_eq!(
            verdict(true, 900, 0, stored(false, true, 500)),
            Verdict::Repeat(7)
        );
        assert_eq!(
            verdict(false, 900, 0, stored(false, true, 500)),
            Verdict::Repeat(7)
        );
        assert_eq!(verdict(true, 900, 0, None), Verdict::New);
    }

    #[test]
    fn a_round_without_a_start_time_has_no_key() {
        assert_eq!(round_key("supply", 2, 0), None);
        assert_eq!(
            round_key("supply", 2, 1_768_070_000),
            Some(("supply", 2, 1_768_070_000))
        );
    }
}

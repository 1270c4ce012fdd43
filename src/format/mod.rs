//! The round file: a pure parser (`parse`) and writer (`write`).
//!
//! See `reference/round_file_format.md`. `parse(&write(&r), ..) == r` for every round whose
//! coordinates have at most one decimal.

mod digest;
mod model;
mod parse;
mod weapons;
mod write;

pub use digest::canonical_digest;
pub use model::*;
pub use parse::{ParseError, ParseOptions, parse, parse_with};
pub use weapons::{WEAPON_COUNT, is_bullet_weapon, is_known_weapon, weapon_name};
pub use write::write;

#[cfg(test)]
mod tests;

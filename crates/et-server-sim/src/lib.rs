//! A simulated ET:Legacy game server that runs Lua modules through the engine's Lua API
//! ([`sim`]), and a seeded random match played on it that records what really happened
//! ([`matchgen`]).

pub mod matchgen;
pub mod sim;

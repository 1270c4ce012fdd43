//! The game-server tracker (`lua/proximity_tracker.lua`) run in a simulated ET:Legacy server.
//!
//! `sim` is the server (section 6 of `reference/etlegacy_lua_api.md`), `check` a strict reader of
//! the round file, `scenarios` one exact scenario per rule, `matchgen` a seeded random match that
//! records the ground truth and `random_match` the tests that compare the file with it.

#[path = "tracker/check.rs"]
mod check;
#[path = "tracker/matchgen.rs"]
mod matchgen;
#[path = "tracker/random_match.rs"]
mod random_match;
#[path = "tracker/scenarios.rs"]
mod scenarios;
#[path = "tracker/sim.rs"]
mod sim;

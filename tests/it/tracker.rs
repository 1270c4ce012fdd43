//! The game-server tracker (`lua/proximity_tracker.lua`) run in a simulated ET:Legacy server.
//!
//! The server is `et_server_sim::sim` (section 6 of `reference/etlegacy_lua_api.md`), and
//! `et_server_sim::matchgen` a seeded random match on it that records the ground truth; `check` is
//! a strict reader of the round file, `scenarios` one exact scenario per rule and `random_match`
//! the tests that compare the file with the ground truth; `game` compares the medic, gunfight and
//! spawn-timing sections with it, `objectives` the objective sections and the round's result.

mod check;
mod game;
mod objectives;
mod random_match;
mod scenarios;

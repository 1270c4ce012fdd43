//! Test machinery of the proximity bot, shared by the integration tests and the benches: a fresh
//! PostgreSQL database per test ([`TestDb`]) and the bot itself running on the fake Discord
//! ([`BotHarness`]).

pub mod db;
mod harness;

pub use db::TestDb;
pub use harness::{BotHarness, BotOptions, ScannerOptions};

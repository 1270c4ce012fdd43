//! Test machinery of the proximity bot, shared by the integration tests and the benches: a fresh
//! PostgreSQL database per test ([`TestDb`]) and the bot itself running on the fake Discord
//! ([`BotHarness`]), and a proxy that cuts a server (the database, an sshd) away or makes it
//! silent ([`Proxy`]).

pub mod db;
mod harness;
mod proxy;

pub use db::TestDb;
pub use harness::{BotHarness, BotOptions, ScannerOptions, test_timing};
pub use proxy::Proxy;

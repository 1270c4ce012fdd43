//! proximity: ET:Legacy proximity analytics.
//!
//! The pure core ([`format`], [`metrics`], [`render`]) turns bytes into typed rounds, rounds into
//! derived figures and figures into PNG images. The edges ([`store`], [`scanner`], [`bot`]) do
//! the IO: PostgreSQL, the game server's folder, Discord and the web dashboard ([`web`]).

pub mod bot;
pub mod check;
pub mod command_map;
pub mod config;
pub mod demo;
pub mod error_text;
pub mod format;
pub mod heat;
pub mod import;
pub mod maps;
pub mod metrics;
pub mod names;
pub mod present;
pub mod render;
pub mod scanner;
pub mod servers;
pub mod store;
pub mod synth;
pub mod web;

/// The slash commands live in the top-level `commands/` folder, one file each.
#[path = "../commands/mod.rs"]
pub mod commands;

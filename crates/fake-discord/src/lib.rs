//! A fake Discord (REST + gateway on loopback) whose every REST request is validated against
//! Discord's OpenAPI spec, for end-to-end tests of a serenity/poise bot.
//!
//! Start one with [`FakeDiscord::start`], run the bot against it with
//! [`FakeDiscord::start_bot`], then drive it with [`FakeDiscord::invoke`] and the waiting
//! helpers. [`openapi`] is the validator on its own, [`limits`] Discord's real limits where the
//! spec is looser.

mod fake;
pub mod limits;
pub mod openapi;

pub use fake::*;

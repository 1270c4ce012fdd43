//! Test support: a fake Discord (REST + gateway on loopback) whose every REST request is
//! validated against Discord's OpenAPI spec.
//!
//! Include it from a test binary with `mod support;` and start with
//! [`fake_discord::FakeDiscord::start`].
#![allow(dead_code, unused_imports)]

pub mod fake_discord;
pub mod openapi;

pub use fake_discord::*;

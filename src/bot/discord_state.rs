//! What the bot knows of its own standing with Discord, for `/proximity_status` and the log:
//! whether its commands are registered, and the last request Discord refused.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

/// The command registration's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// Not tried yet.
    Pending,
    /// Commands are off (`PROXIMITY_DISCORD_COMMANDS=false`): nothing to register.
    Off,
    Registered {
        commands: usize,
        at: DateTime<Utc>,
    },
    /// Refused `attempts` times; the next try is at `retry_at`.
    Failed {
        attempts: u32,
        error: String,
        retry_at: DateTime<Utc>,
    },
}

/// Shared by the commands, the registration task and the summary poster.
#[derive(Debug)]
pub struct DiscordState {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    registration: Registration,
    last_error: Option<(DateTime<Utc>, String)>,
}

impl Default for DiscordState {
    fn default() -> Self {
        DiscordState {
            inner: Mutex::new(Inner {
                registration: Registration::Pending,
                last_error: None,
            }),
        }
    }
}

impl DiscordState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn registration(&self) -> Registration {
        self.lock().registration.clone()
    }

    pub fn set_registration(&self, registration: Registration) {
        self.lock().registration = registration;
    }

    /// The last request Discord refused (or that could not reach it), and when.
    pub fn last_error(&self) -> Option<(DateTime<Utc>, String)> {
        self.lock().last_error.clone()
    }

    pub fn record_error(&self, text: String) {
        self.lock().last_error = Some((Utc::now(), text));
    }
}

/// How long to wait before the next attempt: `min`, doubling per failure, at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub min: Duration,
    pub max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    /// The wait after one more failure.
    pub fn fail(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.max);
        wait
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

/// A Discord failure in words an admin can act on: the status and Discord's own message, and
/// what usually causes it.
pub fn explain(e: &serenity::Error, what: &str) -> String {
    use serenity::{Error as SE, HttpError};
    match e {
        SE::Http(HttpError::UnsuccessfulRequest(r)) => {
            let status = r.status_code.as_u16();
            let hint = match status {
                401 => "Discord refused the bot's token: check DISCORD_TOKEN",
                403 => "the bot lacks access or permissions for this",
                404 => "Discord does not know this channel, guild or interaction",
                429 => "Discord is rate limiting the bot",
                500..=599 => "Discord had a problem on its side",
                _ => "Discord refused the request",
            };
            format!(
                "{what}: {status} {} (code {}): {hint}",
                r.error.message, r.error.code
            )
        }
        other => format!("{what}: {other}"),
    }
}

/// The HTTP status of a refused request, if `e` is one.
pub fn status_of(e: &serenity::Error) -> Option<u16> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.status_code.as_u16())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_maximum_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let waits: Vec<u64> = (0..5).map(|_| b.fail().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        b.reset();
        assert_eq!(b.fail().as_secs(), 1);
    }
}

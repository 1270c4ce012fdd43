//! Configuration from the environment (and `.env`, loaded by `main`). Every variable, its
//! default and its meaning is documented in `.env.example`.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::servers::{self, ServerConfig, Source};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/proximity";
pub const DEFAULT_GAMESTATS_DIR: &str = "gamestats";
pub const DEFAULT_SCAN_INTERVAL_SECS: u64 = 300;
pub const DEFAULT_WEB_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_SPOOL_DIR: &str = "spool";

/// A variable with a value that cannot be used. The message names the variable.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub database_url: String,
    /// The folder the tracker writes round files into.
    pub gamestats_dir: PathBuf,
    /// `SERVERS`: the game servers; without it, `GAMESTATS_DIR` as the server `default`.
    pub servers: Vec<ServerConfig>,
    /// `SPOOL_DIR`: where remote servers' files are pulled to, one folder per label.
    pub spool_dir: PathBuf,
    pub discord_token: Option<String>,
    /// Register the commands in this guild (instantly) instead of globally.
    pub guild_id: Option<u64>,
    /// Where post-round summaries are posted.
    pub summary_channel_id: Option<u64>,
    pub scan_interval: Duration,
    /// `PROXIMITY_ENABLED`: the whole feature (scanner, summaries, player commands).
    pub enabled: bool,
    /// `PROXIMITY_AUTO_IMPORT`: automatic imports by the watcher and the timer.
    pub auto_import: bool,
    /// `PROXIMITY_DEBUG_LOG`: verbose logs.
    pub debug_log: bool,
    /// `PROXIMITY_DISCORD_COMMANDS`: register the slash commands.
    pub discord_commands: bool,
    /// `PROXIMITY_INCLUDE_BOTS`: count Omni-bots in rankings, duos, medians and highlights.
    pub include_bots: bool,
    /// `MAPS_DIR`: the game server's folders (e.g. `legacy/` and `etmain/`) whose pk3s hold the
    /// command maps, highest priority first; empty: heatmaps use the plain frame.
    pub maps_dirs: Vec<PathBuf>,
    /// `WEB_BIND`: where the web dashboard listens.
    pub web_bind: std::net::SocketAddr,
    /// `WEB_PUBLIC_URL`: the dashboard's address as people reach it (no trailing slash); round
    /// summaries link to their replay when it is set.
    pub web_public_url: Option<String>,
}

/// Every variable the program reads: name, default, meaning. `--help` lists them, and a test
/// checks `.env.example` holds the same names.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "PostgreSQL; the database is created and migrated on start",
    ),
    (
        "GAMESTATS_DIR",
        DEFAULT_GAMESTATS_DIR,
        "the folder the tracker writes round files into",
    ),
    (
        "SERVERS",
        "",
        "the game servers: a .toml file, or label=folder and label=sftp://user@host:port/path separated by commas (see README, Servers); empty: GAMESTATS_DIR as the server `default`",
    ),
    (
        "SPOOL_DIR",
        DEFAULT_SPOOL_DIR,
        "where files of sftp servers are pulled to (one folder per label) and imported from",
    ),
    (
        "MAPS_DIR",
        "",
        "the server's legacy/ and etmain/ folders (separated as in PATH, first wins), for command maps under heatmaps; empty: plain frame",
    ),
    (
        "DISCORD_TOKEN",
        "",
        "the bot's token (needed by `run` only)",
    ),
    (
        "GUILD_ID",
        "",
        "register the commands in this server only (instant); empty: globally",
    ),
    (
        "SUMMARY_CHANNEL_ID",
        "",
        "channel for round summaries; empty: no summaries",
    ),
    (
        "SCAN_INTERVAL_SECS",
        "300",
        "seconds between safety-net scans of the folder",
    ),
    (
        "PROXIMITY_ENABLED",
        "true",
        "the whole feature: scanner, summaries and player commands",
    ),
    (
        "PROXIMITY_AUTO_IMPORT",
        "true",
        "automatic imports by the watcher and the timer",
    ),
    (
        "PROXIMITY_DEBUG_LOG",
        "false",
        "verbose logs (RUST_LOG overrides)",
    ),
    (
        "PROXIMITY_DISCORD_COMMANDS",
        "true",
        "register the slash commands",
    ),
    (
        "PROXIMITY_INCLUDE_BOTS",
        "false",
        "count Omni-bots in rankings, duos, medians and highlights",
    ),
    (
        "WEB_BIND",
        DEFAULT_WEB_BIND,
        "address and port of the web dashboard",
    ),
    (
        "WEB_PUBLIC_URL",
        "",
        "the dashboard's public address; round summaries link to their replay when set",
    ),
];

/// The environment section of `--help`, from [`VARIABLES`].
pub fn variables_help() -> String {
    let mut out =
        String::from("Environment (or a .env file in the current folder; see .env.example):\n");
    for (name, default, meaning) in VARIABLES {
        let default = if default.is_empty() {
            String::new()
        } else {
            format!(" [default: {default}]")
        };
        out.push_str(&format!("  {name:<27} {meaning}{default}\n"));
    }
    out.push_str("  RUST_LOG                    log filter, e.g. proximity=debug\n");
    out
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration through `lookup` (tests pass a map). Empty values count as
    /// unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let id = |k: &'static str| -> Result<Option<u64>, ConfigError> {
            get(k)
                .map(|v| {
                    v.parse::<u64>().ok().filter(|n| *n > 0).ok_or(ConfigError {
                        variable: k,
                        message: format!("`{v}` is not a Discord id (a positive number)"),
                    })
                })
                .transpose()
        };
        let flag = |k: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(k) {
                None => Ok(default),
                Some(v) => match v.to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => Ok(true),
                    "0" | "false" | "no" | "off" => Ok(false),
                    _ => Err(ConfigError {
                        variable: k,
                        message: format!("`{v}` is not true or false"),
                    }),
                },
            }
        };
        let scan_secs = match get("SCAN_INTERVAL_SECS") {
            None => DEFAULT_SCAN_INTERVAL_SECS,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
                .ok_or(ConfigError {
                    variable: "SCAN_INTERVAL_SECS",
                    message: format!("`{v}` is not a number of seconds between 1 and 86400"),
                })?,
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError {
                variable: "DATABASE_URL",
                message: "must start with postgres:// or postgresql://".into(),
            });
        }
        let web_bind = match get("WEB_BIND") {
            None => DEFAULT_WEB_BIND.parse().map_err(|_| ConfigError {
                variable: "WEB_BIND",
                message: "the default does not parse".into(),
            })?,
            Some(v) => v.parse().map_err(|_| ConfigError {
                variable: "WEB_BIND",
                message: format!("`{v}` is not an address and port such as 127.0.0.1:8080"),
            })?,
        };
        let web_public_url = match get("WEB_PUBLIC_URL") {
            None => None,
            Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
                Some(v.trim_end_matches('/').to_string())
            }
            Some(v) => {
                return Err(ConfigError {
                    variable: "WEB_PUBLIC_URL",
                    message: format!("`{v}` must start with http:// or https://"),
                });
            }
        };
        let gamestats_dir = PathBuf::from(
            get("GAMESTATS_DIR").unwrap_or_else(|| DEFAULT_GAMESTATS_DIR.to_string()),
        );
        let servers = match get("SERVERS") {
            None => vec![ServerConfig {
                label: servers::DEFAULT_LABEL.to_string(),
                source: Source::Folder(gamestats_dir.clone()),
            }],
            Some(v) => servers::parse_servers(&v, get).map_err(|e| ConfigError {
                variable: "SERVERS",
                message: e.0,
            })?,
        };
        Ok(Config {
            database_url,
            gamestats_dir,
            servers,
            spool_dir: PathBuf::from(
                get("SPOOL_DIR").unwrap_or_else(|| DEFAULT_SPOOL_DIR.to_string()),
            ),
            discord_token: get("DISCORD_TOKEN"),
            guild_id: id("GUILD_ID")?,
            summary_channel_id: id("SUMMARY_CHANNEL_ID")?,
            scan_interval: Duration::from_secs(scan_secs),
            enabled: flag("PROXIMITY_ENABLED", true)?,
            auto_import: flag("PROXIMITY_AUTO_IMPORT", true)?,
            debug_log: flag("PROXIMITY_DEBUG_LOG", false)?,
            discord_commands: flag("PROXIMITY_DISCORD_COMMANDS", true)?,
            include_bots: flag("PROXIMITY_INCLUDE_BOTS", false)?,
            // Split as the platform splits PATH (`:` on Unix, `;` on Windows); empty parts are
            // dropped.
            maps_dirs: get("MAPS_DIR")
                .map(|v| {
                    std::env::split_paths(&v)
                        .filter(|p| !p.as_os_str().is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            web_bind,
            web_public_url,
        })
    }

    /// Checks the files the configuration names that the program needs from its start: each
    /// SFTP server's key file (`proximity check` reports it among its findings instead).
    pub fn check_key_files(&self) -> Result<(), ConfigError> {
        servers::check_key_files(&self.servers).map_err(|e| ConfigError {
            variable: "SERVERS",
            message: e.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.gamestats_dir, PathBuf::from("gamestats"));
        assert_eq!(c.scan_interval, Duration::from_secs(300));
        assert_eq!(
            (c.discord_token, c.guild_id, c.summary_channel_id),
            (None, None, None)
        );
        assert!(c.enabled && c.auto_import && c.discord_commands && !c.debug_log);
        assert!(c.maps_dirs.is_empty());
        assert_eq!(
            c.servers,
            [ServerConfig {
                label: "default".into(),
                source: Source::Folder(PathBuf::from("gamestats")),
            }],
            "without SERVERS, GAMESTATS_DIR is the server `default`"
        );
    }

    #[test]
    fn servers_replace_the_one_folder() {
        let c = config(&[
            ("SERVERS", "a=/srv/a, b=/srv/b"),
            ("SPOOL_DIR", "/var/spool/p"),
        ])
        .unwrap();
        let labels: Vec<&str> = c.servers.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["a", "b"]);
        assert_eq!(c.spool_dir, PathBuf::from("/var/spool/p"));
        let e = config(&[("SERVERS", "a=sftp://et@host/p")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "SERVERS: server `a`: set SERVERS_A_KEY_FILE for its sftp source"
        );
    }

    #[test]
    fn maps_dir_is_split_like_path() {
        let joined = std::env::join_paths(["/srv/et/legacy", "/srv/et/etmain"]).unwrap();
        let c = config(&[("MAPS_DIR", joined.to_str().unwrap())]).unwrap();
        assert_eq!(
            c.maps_dirs,
            [
                PathBuf::from("/srv/et/legacy"),
                PathBuf::from("/srv/et/etmain")
            ]
        );
        let one = config(&[("MAPS_DIR", " /srv/et/etmain ")]).unwrap();
        assert_eq!(one.maps_dirs, [PathBuf::from("/srv/et/etmain")]);
    }

    #[test]
    fn values_are_read() {
        let c = config(&[
            ("GUILD_ID", "123"),
            ("SUMMARY_CHANNEL_ID", " 456 "),
            ("SCAN_INTERVAL_SECS", "5"),
            ("PROXIMITY_AUTO_IMPORT", "false"),
            ("PROXIMITY_DEBUG_LOG", "on"),
            ("DISCORD_TOKEN", "abc"),
            ("GAMESTATS_DIR", ""),
        ])
        .unwrap();
        assert_eq!((c.guild_id, c.summary_channel_id), (Some(123), Some(456)));
        assert_eq!(c.scan_interval, Duration::from_secs(5));
        assert!(!c.auto_import && c.debug_log);
        assert_eq!(c.discord_token.as_deref(), Some("abc"));
        assert_eq!(
            c.gamestats_dir,
            PathBuf::from("gamestats"),
            "empty means unset"
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("GUILD_ID", "my-guild")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "GUILD_ID: `my-guild` is not a Discord id (a positive number)"
        );
        let e = config(&[("SCAN_INTERVAL_SECS", "0")]).unwrap_err();
        assert_eq!(e.variable, "SCAN_INTERVAL_SECS");
        let e = config(&[("PROXIMITY_ENABLED", "maybe")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "PROXIMITY_ENABLED: `maybe` is not true or false"
        );
        let e = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL");
        let e = config(&[("WEB_BIND", "localhost")]).unwrap_err();
        assert_eq!(e.variable, "WEB_BIND");
        let e = config(&[("WEB_PUBLIC_URL", "stats.example.org")]).unwrap_err();
        assert_eq!(e.variable, "WEB_PUBLIC_URL");
    }

    #[test]
    fn web_settings() {
        let c = config(&[]).unwrap();
        assert_eq!(c.web_bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.web_public_url, None);
        let c = config(&[
            ("WEB_BIND", "0.0.0.0:9000"),
            ("WEB_PUBLIC_URL", "https://stats.example.org/"),
        ])
        .unwrap();
        assert_eq!(c.web_bind.to_string(), "0.0.0.0:9000");
        assert_eq!(
            c.web_public_url.as_deref(),
            Some("https://stats.example.org")
        );
    }
}

//! The servers at run time: a scanner per server over its import folder, and for an SFTP
//! server the puller that fills that folder.

use std::path::Path;

use sqlx::PgPool;

use super::puller::{Puller, PullerConfig};
use super::{ServerConfig, Source};
use crate::config::Config;
use crate::scanner::{Scanner, ScannerConfig};

/// One game server: its scanner, and its puller when it is remote.
#[derive(Clone)]
pub struct ServerRuntime {
    pub label: String,
    pub scanner: Scanner,
    pub puller: Option<Puller>,
}

impl ServerRuntime {
    /// The scanner (and puller) of `server`; nothing runs until [`ServerRuntime::start`].
    pub fn new(pool: &PgPool, config: &Config, server: &ServerConfig) -> ServerRuntime {
        let dir = server.import_dir(&config.spool_dir);
        let mut scanner_config = ScannerConfig {
            dir: dir.clone(),
            server: server.label.clone(),
            ..ScannerConfig::from_config(config)
        };
        if matches!(server.source, Source::Sftp(_)) {
            // The puller moves a file into the spool only once it is finished (the same
            // stability rule, applied to the remote file): waiting again would only delay it.
            scanner_config.stable_for = std::time::Duration::ZERO;
        }
        let scanner = Scanner::new(pool.clone(), scanner_config);
        let puller = match &server.source {
            Source::Sftp(source) => Some(Puller::new(
                PullerConfig::new(&server.label, source.clone(), dir),
                scanner.trigger(),
            )),
            Source::Folder(_) => None,
        };
        ServerRuntime {
            label: server.label.clone(),
            scanner,
            puller,
        }
    }

    /// Every configured server.
    pub fn all(pool: &PgPool, config: &Config) -> Vec<ServerRuntime> {
        config
            .servers
            .iter()
            .map(|s| ServerRuntime::new(pool, config, s))
            .collect()
    }

    /// Starts pulling (with the feature and automatic imports on) and scanning.
    pub fn start(&self) {
        let c = self.scanner.config();
        if let Some(p) = &self.puller
            && c.enabled
            && c.auto_import
        {
            // The spool exists before the scanner starts, so that it is watched from the start.
            if let Err(e) = std::fs::create_dir_all(&c.dir) {
                tracing::warn!(server = %self.label, "cannot create {}: {e}", c.dir.display());
            }
            p.start();
        }
        self.scanner.start();
    }

    /// Stops pulling, then finishes the current import and stops scanning.
    pub async fn shutdown(&self) {
        if let Some(p) = &self.puller {
            p.shutdown().await;
        }
        self.scanner.shutdown().await;
    }

    /// The folder this server's rounds are imported from.
    pub fn import_dir(&self) -> &Path {
        &self.scanner.config().dir
    }
}

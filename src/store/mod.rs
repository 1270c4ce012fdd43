//! PostgreSQL, and nothing else: creating and migrating the database, writing a round's rows in
//! one transaction ([`write`]), the totals ([`totals`]), the import log ([`import_log`]) and the
//! reads behind every command ([`queries`]).
//!
//! The schema is `migrations/`: `0001_schema.sql` and `0002_rollups.sql` as first released, and
//! from then on append-only: a change to the schema is a new migration, never an edit.

pub mod codec;
pub mod copy;
pub mod import_log;
pub mod queries;
pub mod totals;
pub mod write;

use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection, PgPool};
use thiserror::Error;

/// How long a query waits for a connection (including connecting) before reporting the database
/// unavailable: short, so that a command can still say so within Discord's 3-second expectation.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest any statement may run on the server before it is cancelled, so that a stuck
/// query frees its connection and reports an error rather than holding the pool.
pub const STATEMENT_TIMEOUT: &str = "60s";

/// The schema, applied on start (`sqlx::migrate!` embeds `migrations/`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("invalid DATABASE_URL: {0}")]
    BadUrl(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the database's schema was made by another version of proximity (its migration {0} is \
         not one of this version's): use an empty database, or drop this one if its rounds \
         can be imported again"
    )]
    ForeignSchema(i64),
    #[error("database error: {0}")]
    Sql(sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Whether `e` means PostgreSQL could not be reached or the connection broke, as opposed to a
/// query or data problem: an IO or TLS failure, a pool that gave up waiting, a connection cut
/// during the start-up handshake (which sqlx reports as a protocol error), or the server saying
/// it is going away (SQLSTATE class 08, connection exception, and 57P01–57P03: shut down by an
/// administrator, crashed, or starting up).
pub fn is_connection_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|code| code.starts_with("08") || SERVER_GOING_AWAY.contains(&&*code)),
        _ => false,
    }
}

/// Whether PostgreSQL cancelled the statement (SQLSTATE 57014), as `statement_timeout` does.
pub fn is_statement_timeout(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("57014"))
}

/// A pool on `pool`'s database whose statements are cancelled after `timeout` (it connects
/// when first used). Commands use one, so that a query stuck behind a lock or a slow disk ends
/// in an answer the user sees.
pub fn with_statement_timeout(pool: &PgPool, timeout: Duration) -> PgPool {
    // A later `-c` setting overrides an earlier one, so this replaces the pool's own timeout.
    let options = (*pool.connect_options())
        .clone()
        .options([("statement_timeout", format!("{}ms", timeout.as_millis()))]);
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_lazy_with(options)
}

/// SQLSTATEs of a server that ends or refuses sessions while it stops, crashes or starts.
const SERVER_GOING_AWAY: [&str; 3] = ["57P01", "57P02", "57P03"];

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_connection_error(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Sql(e)
        }
    }
}

impl StoreError {
    /// Whether the error means the database could not be reached (as opposed to a bad query or
    /// bad data): callers retry these and tell users "database unavailable".
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// Whether a statement ran past its timeout and was cancelled.
    pub fn is_timeout(&self) -> bool {
        matches!(self, StoreError::Sql(e) if is_statement_timeout(e))
    }
}

/// Connects to `url`, creating the database if it does not exist yet, and applies the
/// migrations.
pub async fn connect(url: &str) -> Result<PgPool, StoreError> {
    let parsed = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    let chosen = url_chooses_ssl_mode(url) || std::env::var_os("PGSSLMODE").is_some();
    let options = if plain_text_suffices(parsed.get_host(), chosen) {
        parsed.ssl_mode(PgSslMode::Disable)
    } else {
        parsed
    }
    // The map/period filters are bound parameters and a cached generic plan ignores their
    // values and scans whole tables, so plan each execution with its values.
    .options([
        ("plan_cache_mode", "force_custom_plan"),
        ("statement_timeout", STATEMENT_TIMEOUT),
        // The server's notices (`relation "_sqlx_migrations" already exists, skipping`) are
        // not news to an admin; warnings still come through.
        ("client_min_messages", "warning"),
    ]);
    create_database_if_missing(&options).await?;
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await.map_err(|e| match e {
        sqlx::migrate::MigrateError::VersionMissing(v)
        | sqlx::migrate::MigrateError::VersionMismatch(v) => StoreError::ForeignSchema(v),
        other => StoreError::Migrate(other),
    })?;
    Ok(pool)
}

/// Whether to connect without TLS: to a server on this machine, when neither the URL nor
/// `PGSSLMODE` chooses a TLS mode (`chosen`). Anywhere else sqlx's default stands (`prefer`:
/// TLS when the server offers it).
///
/// TLS between two processes of one machine protects nothing, yet the server offers it by
/// default (Debian's ssl = on) and encrypting a round's COPY data on both ends slows every import.
fn plain_text_suffices(host: &str, chosen: bool) -> bool {
    if chosen {
        return false;
    }
    // A Unix socket's directory (sqlx never uses TLS there), `localhost`, or a loopback address
    // (IPv6 possibly in brackets).
    host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a connection URL sets the TLS mode (`sslmode`, or sqlx's `ssl-mode`) in its query.
fn url_chooses_ssl_mode(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query.split('&').any(|pair| {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            key.eq_ignore_ascii_case("sslmode") || key.eq_ignore_ascii_case("ssl-mode")
        })
    })
}

async fn create_database_if_missing(options: &PgConnectOptions) -> Result<(), StoreError> {
    let Some(db) = options.get_database().map(str::to_string) else {
        return Ok(());
    };
    let maintenance = options.clone().database("postgres");
    let mut conn = maintenance.connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&db)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let quoted = format!("\"{}\"", db.replace('"', "\"\""));
        let created = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut conn)
            .await;
        // Another process may have created it meanwhile (duplicate_database).
        if let Err(e) = created {
            let duplicate = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04");
            if !duplicate {
                return Err(e.into());
            }
        }
    }
    conn.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_only_to_this_machine_and_only_when_no_mode_is_chosen() {
        for host in [
            "127.0.0.1",
            "127.0.0.53",
            "::1",
            "[::1]",
            "localhost",
            "LocalHost",
        ] {
            assert!(plain_text_suffices(host, false), "{host}");
            assert!(
                !plain_text_suffices(host, true),
                "{host} with a chosen mode"
            );
        }
        assert!(plain_text_suffices("/var/run/postgresql", false));
        for host in [
            "db.example.org",
            "10.0.0.5",
            "192.168.1.2",
            "::2",
            "localhost.example",
        ] {
            assert!(!plain_text_suffices(host, false), "{host}");
        }
    }

    #[test]
    fn a_url_chooses_the_tls_mode_only_with_its_own_parameter() {
        let chooses = [
            "postgres://u@h/db?sslmode=require",
            "postgres://u@h/db?application_name=x&sslmode=disable",
            "postgres://u@h/db?ssl-mode=verify-full",
            "postgres://u@h/db?SSLMODE",
        ];
        for url in chooses {
            assert!(url_chooses_ssl_mode(url), "{url}");
        }
        let silent = [
            "postgres://u@h/db",
            "postgres://u@h/db?",
            "postgres://u@h/db?sslrootcert=/ca.pem",
            "postgres://u@h/db?application_name=sslmode",
        ];
        for url in silent {
            assert!(!url_chooses_ssl_mode(url), "{url}");
        }
    }
}

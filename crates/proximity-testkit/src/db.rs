//! A fresh PostgreSQL database per test, on the server of `DATABASE_URL` (default: the local
//! server at 127.0.0.1:5432 as user postgres). Created and migrated by the program's own
//! `store::connect`, dropped by [`TestDb::drop_db`] at the end of a passing test (a failing
//! test leaves its database behind for inspection).

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool};

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
    pub url: String,
}

/// The server to create test databases on.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| proximity::config::DEFAULT_DATABASE_URL.to_string())
}

/// `url` with its database replaced by `db`.
pub fn url_with_database(url: &str, db: &str) -> String {
    let (base, _) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    format!("{}/{}", &base[..host_end], db)
}

/// A database name no other test uses.
fn fresh_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("proximity_test_{}_{}_{}", std::process::id(), n, nanos)
}

impl TestDb {
    /// A database as an older release left it: migrated up to and including `version` only,
    /// for tests of what the later migrations do to existing data.
    pub async fn at_version(version: i64) -> TestDb {
        let name = fresh_name();
        let url = url_with_database(&server_url(), &name);
        let admin = PgConnectOptions::from_str(&server_url())
            .expect("valid DATABASE_URL")
            .database("postgres");
        let mut conn = admin.connect().await.expect("admin connection");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let _ = conn.close().await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        for entry in std::fs::read_dir(&source).expect("migrations folder") {
            let path = entry.expect("migration").path();
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let number = file.split('_').next().and_then(|v| v.parse::<i64>().ok());
            if number.is_some_and(|v| v <= version) {
                std::fs::copy(&path, dir.path().join(file)).expect("copy migration");
            }
        }
        let pool = PgPool::connect(&url).await.expect("connect");
        sqlx::migrate::Migrator::new(dir.path())
            .await
            .expect("older migrations")
            .run(&pool)
            .await
            .expect("migrate to the older version");
        TestDb { pool, name, url }
    }

    pub async fn new() -> TestDb {
        let name = fresh_name();
        let url = url_with_database(&server_url(), &name);
        let pool = proximity::store::connect(&url).await.unwrap_or_else(|e| {
            panic!(
                "test database {name}: {e} (is PostgreSQL running on {}?)",
                server_url()
            )
        });
        TestDb { pool, name, url }
    }

    /// Closes the pool and drops the database.
    pub async fn drop_db(self) {
        self.pool.close().await;
        let admin = PgConnectOptions::from_str(&server_url())
            .expect("valid DATABASE_URL")
            .database("postgres");
        if let Ok(mut conn) = admin.connect().await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            )))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}

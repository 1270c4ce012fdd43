//! Discord accounts linked to players: a claim made with `/link`, confirmed by an admin with
//! `/link_confirm`, undone with `/unlink`.

use sqlx::{FromRow, PgPool};

use crate::store::StoreError;

/// A claim waiting for an admin, with the player's current name when known.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct LinkRequest {
    pub discord_user_id: i64,
    pub discord_name: String,
    pub guid: String,
    pub player_name: Option<Vec<u8>>,
}

/// Records (or replaces) `discord_user`'s claim to be the player `guid`.
pub async fn request_link(
    pool: &PgPool,
    discord_user: u64,
    discord_name: &str,
    guid: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO discord_link_requests (discord_user_id, discord_name, guid) VALUES ($1, $2, $3)
         ON CONFLICT (discord_user_id) DO UPDATE
             SET discord_name = EXCLUDED.discord_name, guid = EXCLUDED.guid, requested_at = now()",
    )
    .bind(discord_user as i64)
    .bind(discord_name)
    .bind(guid)
    .execute(pool)
    .await?;
    Ok(())
}

/// Waiting claims whose Discord or player name contains `partial` (case-insensitive), oldest
/// first.
pub async fn link_requests(
    pool: &PgPool,
    partial: &str,
    limit: i64,
) -> Result<Vec<LinkRequest>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.discord_user_id, r.discord_name, r.guid, p.name AS player_name
         FROM discord_link_requests r LEFT JOIN players p ON p.guid = r.guid
         WHERE strpos(lower(r.discord_name), lower($1)) > 0
            OR strpos(lower(coalesce(p.display_name, '')), lower($1)) > 0
         ORDER BY r.requested_at, r.discord_user_id
         LIMIT $2",
    )
    .bind(partial)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Turns `discord_user`'s waiting claim to be `guid` into a link confirmed by `admin`, in one
/// transaction. False when there is no such claim (none, or one to another player).
pub async fn confirm_link(
    pool: &PgPool,
    discord_user: u64,
    guid: &str,
    admin: u64,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let claimed =
        sqlx::query("DELETE FROM discord_link_requests WHERE discord_user_id = $1 AND guid = $2")
            .bind(discord_user as i64)
            .bind(guid)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
    if claimed {
        sqlx::query(
            "INSERT INTO discord_links (discord_user_id, guid, confirmed_by) VALUES ($1, $2, $3)
             ON CONFLICT (discord_user_id) DO UPDATE
                 SET guid = EXCLUDED.guid, confirmed_by = EXCLUDED.confirmed_by, linked_at = now()",
        )
        .bind(discord_user as i64)
        .bind(guid)
        .bind(admin as i64)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Removes `discord_user`'s link and waiting claim; whether there was either.
pub async fn unlink(pool: &PgPool, discord_user: u64) -> Result<bool, StoreError> {
    let removed: i64 = sqlx::query_scalar(
        "WITH l AS (DELETE FROM discord_links WHERE discord_user_id = $1 RETURNING 1),
              r AS (DELETE FROM discord_link_requests WHERE discord_user_id = $1 RETURNING 1)
         SELECT (SELECT count(*) FROM l) + (SELECT count(*) FROM r)",
    )
    .bind(discord_user as i64)
    .fetch_one(pool)
    .await?;
    Ok(removed > 0)
}

/// Removes every link to the player `guid` (an admin undoing a wrong link); how many.
pub async fn unlink_player(pool: &PgPool, guid: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM discord_links WHERE guid = $1")
        .bind(guid)
        .execute(pool)
        .await?
        .rows_affected())
}

/// The player `discord_user` is linked to.
pub async fn linked_guid(pool: &PgPool, discord_user: u64) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT guid FROM discord_links WHERE discord_user_id = $1")
            .bind(discord_user as i64)
            .fetch_optional(pool)
            .await?,
    )
}

/// The Discord accounts linked to the player `guid`, oldest link first.
pub async fn linked_accounts(pool: &PgPool, guid: &str) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT discord_user_id FROM discord_links WHERE guid = $1 ORDER BY linked_at, discord_user_id",
    )
    .bind(guid)
    .fetch_all(pool)
    .await?)
}

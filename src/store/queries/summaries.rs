//! Which rounds' summaries have not reached Discord yet.

use sqlx::PgPool;

use crate::store::StoreError;

/// Rounds whose summary was not posted, oldest first.
pub async fn unposted_rounds(pool: &PgPool) -> Result<Vec<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM rounds WHERE summary_posted_at IS NULL ORDER BY id")
            .fetch_all(pool)
            .await?,
    )
}

/// How many rounds wait for their summary.
pub async fn unposted_count(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM rounds WHERE summary_posted_at IS NULL")
            .fetch_one(pool)
            .await?,
    )
}

/// Records that the summaries of `round_ids` were posted.
pub async fn mark_posted(pool: &PgPool, round_ids: &[i64]) -> Result<(), StoreError> {
    sqlx::query("UPDATE rounds SET summary_posted_at = now() WHERE id = ANY($1)")
        .bind(round_ids)
        .execute(pool)
        .await?;
    Ok(())
}

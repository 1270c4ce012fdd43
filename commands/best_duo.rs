//! `/best_duo [map] [days] [min_crossfires]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_server};
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::present::{self, scope_text};
use crate::render::{self, DUOS_MAX_ROWS};
use crate::store::queries::{self, Scope};

/// The pairs with the most crossfire kills together
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn best_duo(
    ctx: Context<'_>,
    #[description = "Only this map (default: all maps)"]
    #[autocomplete = "autocomplete_map"]
    map: Option<String>,
    #[description = "Only the last N days (default: all time)"]
    #[min = 1]
    #[max = 3650]
    days: Option<i64>,
    #[description = "Minimum crossfires of a pair (default: 5)"]
    #[min = 1]
    #[max = 10000]
    min_crossfires: Option<i64>,
    #[description = "Only this game server (default: all servers)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    ctx.defer().await?;
    let pool = &ctx.data().pool;
    let scope = resolve::scope(ctx.data(), map.as_deref(), days, server.as_deref()).await?;
    let min = min_crossfires.unwrap_or(ctx.data().params.best_duo_min_crossfires);
    let key = format!("best_duo {scope:?} {min}");
    let answer = reply::cached(ctx, key, answer(pool, &scope, min)).await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(pool: &PgPool, scope: &Scope, min: i64) -> Result<Answer, Error> {
    let rows = queries::best_duos(pool, scope, min, DUOS_MAX_ROWS as i64).await?;
    if rows.is_empty() {
        return Ok(Answer::NoData(format!(
            "No pair has {min} crossfires together yet ({}).",
            scope_text(scope)
        )));
    }
    let input = present::duos_input(&rows, scope, min);
    let description = format!(
        "{} · at least {min} crossfires\n{}",
        scope_text(scope),
        reply::quoted_duos(&input, false)
    );
    let png = reply::render_png(move || render::render_duos(&input)).await?;
    let embed = Embed::new().title("Best duos").description(description);
    Ok(Answer::image(embed, png, "best_duo.png"))
}

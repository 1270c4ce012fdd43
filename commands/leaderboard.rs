//! `/leaderboard figure [map] [days]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_server};
use super::choices::FigureChoice;
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::metrics::Figure;
use crate::present::{self, scope_text};
use crate::render::{self, LEADERBOARD_MAX_ROWS};
use crate::store::queries::{self, Scope};

/// Players ranked by one figure
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn leaderboard(
    ctx: Context<'_>,
    #[description = "What to rank by"] metric: FigureChoice,
    #[description = "Only this map (default: all maps)"]
    #[autocomplete = "autocomplete_map"]
    map: Option<String>,
    #[description = "Only the last N days (default: all time)"]
    #[min = 1]
    #[max = 3650]
    days: Option<i64>,
    #[description = "Only this game server (default: all servers)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    ctx.defer().await?;
    let pool = &ctx.data().pool;
    let figure = metric.0;
    let scope = resolve::scope(ctx.data(), map.as_deref(), days, server.as_deref()).await?;
    let key = format!("leaderboard {} {scope:?}", figure.key);
    let answer = reply::cached(ctx, key, answer(pool, figure, &scope)).await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(pool: &PgPool, figure: &'static Figure, scope: &Scope) -> Result<Answer, Error> {
    let rows = queries::leaderboard(pool, figure, scope, LEADERBOARD_MAX_ROWS as i64).await?;
    if rows.is_empty() {
        return Ok(Answer::NoData(format!(
            "Nobody has {} {} for “{}” yet ({}).",
            figure.min_samples,
            figure.sample_label,
            figure.title,
            scope_text(scope)
        )));
    }
    let input = present::leaderboard_input(figure, &rows, scope);
    let description = format!(
        "{} · at least {} {}\n{}",
        scope_text(scope),
        figure.min_samples,
        figure.sample_label,
        reply::quoted_entries(&render::leaderboard_entries(&input), |_| String::new())
    );
    let png = reply::render_png(move || render::render_leaderboard(&input)).await?;
    let embed = Embed::new().title(figure.title).description(description);
    Ok(Answer::image(embed, png, "leaderboard.png"))
}

//! `/escape_artists [days]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_server};
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::present::{scope_label, scope_text};
use crate::render::{self, LEADERBOARD_MAX_ROWS, LeaderRow, LeaderboardInput};
use crate::store::queries::{self, Scope};

/// Fights a player must have been the target of to be ranked.
pub const MIN_FIGHTS: i64 = 20;

/// The players who get away most often
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn escape_artists(
    ctx: Context<'_>,
    #[description = "Only the last N days (default: all time)"]
    #[min = 1]
    #[max = 3650]
    days: Option<i64>,
    #[description = "Only this map (default: all maps)"]
    #[autocomplete = "autocomplete_map"]
    map: Option<String>,
    #[description = "Only this game server (default: all servers)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    ctx.defer().await?;
    let pool = &ctx.data().pool;
    let scope = resolve::scope(ctx.data(), map.as_deref(), days, server.as_deref()).await?;
    let key = format!("escape_artists {scope:?}");
    let answer = reply::cached(ctx, key, answer(pool, &scope)).await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(pool: &PgPool, scope: &Scope) -> Result<Answer, Error> {
    let rows =
        queries::escape_artists(pool, scope, MIN_FIGHTS, LEADERBOARD_MAX_ROWS as i64).await?;
    if rows.is_empty() {
        return Ok(Answer::NoData(format!(
            "Nobody has escaped from {MIN_FIGHTS} fights yet ({}).",
            scope_text(scope)
        )));
    }
    let input = LeaderboardInput {
        title: "Escape artists".to_string(),
        subtitle: format!(
            "{} · escapes, at least {MIN_FIGHTS} fights",
            scope_label(scope)
        ),
        unit: String::new(),
        samples_label: "fights".to_string(),
        rows: rows
            .iter()
            .map(|r| LeaderRow {
                name_raw: r.name.clone(),
                value: r.escapes as f64,
                samples: r.times_targeted,
            })
            .collect(),
        better: crate::metrics::Better::Higher,
    };
    // The image ranks escapes; the rate and focused escapes are said here only. Rows are
    // ranked by the query (ties by fewer fights), which is the image's order.
    let entries = render::leaderboard_entries(&input);
    let description = format!(
        "{} · at least {MIN_FIGHTS} fights\n{}",
        scope_text(scope),
        reply::quoted_entries(&entries, |e| {
            // The entry's row is the one built from `rows` at the same place.
            let r = &rows[reply::source_index(&input, e)];
            format!(
                " · {:.1} % escaped, {} of {} when focused",
                r.rate_pct(),
                r.focus_escapes,
                r.times_focused
            )
        })
    );
    let png = reply::render_png(move || render::render_leaderboard(&input)).await?;
    let embed = Embed::new()
        .title("Escape artists")
        .description(description);
    Ok(Answer::image(embed, png, "escape_artists.png"))
}

//! `/medics [map] [days]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_server};
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::present::{scope_label, scope_text};
use crate::render::{self, LEADERBOARD_MAX_ROWS, LeaderRow, LeaderboardInput};
use crate::store::queries::{self, MedicRow, Scope};

/// The players who revive most: revives, revives under fire, share of the team's downs
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn medics(
    ctx: Context<'_>,
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
    let scope = resolve::scope(ctx.data(), map.as_deref(), days, server.as_deref()).await?;
    let key = format!("medics {scope:?}");
    let answer = reply::cached(ctx, key, answer(pool, &scope)).await?;
    reply::send_answer(ctx, answer).await
}

/// The leaderboard of revives given, with the rounds each rests on.
pub fn medics_board(rows: &[MedicRow], scope: &Scope) -> LeaderboardInput {
    LeaderboardInput {
        title: "Medics: revives given".to_string(),
        subtitle: format!("{} · revives of teammates", scope_label(scope)),
        unit: String::new(),
        samples_label: "rounds".to_string(),
        rows: rows
            .iter()
            .map(|r| LeaderRow {
                name_raw: r.name.clone(),
                value: r.revives_given as f64,
                samples: r.rounds,
            })
            .collect(),
        better: crate::metrics::Better::Higher,
    }
}

async fn answer(pool: &PgPool, scope: &Scope) -> Result<Answer, Error> {
    let rows = queries::medics(pool, scope, LEADERBOARD_MAX_ROWS as i64).await?;
    if rows.is_empty() {
        return Ok(Answer::NoData(format!(
            "Nobody has revived a teammate yet ({}), or the rounds do not record revives.",
            scope_text(scope)
        )));
    }
    let input = medics_board(&rows, scope);
    let entries = render::leaderboard_entries(&input);
    let description = format!(
        "{}\n{}",
        scope_text(scope),
        reply::quoted_entries(&entries, |e| {
            let r = &rows[reply::source_index(&input, e)];
            let share = r
                .revive_share_pct()
                .map_or(String::new(), |s| format!(", {s:.0} % of the team's downs"));
            format!(" · {} under fire{share}", r.revives_under_fire)
        })
    );
    let png = reply::render_png(move || render::render_leaderboard(&input)).await?;
    let embed = Embed::new()
        .title("Medics: revives given")
        .description(description);
    Ok(Answer::image(embed, png, "medics.png"))
}

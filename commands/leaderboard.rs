//! `/leaderboard metric [map] [days]`

use poise::serenity_prelude as serenity;

use super::common::{self, Answer, MetricChoice, autocomplete_map};
use crate::bot::{Context, Error};
use crate::present::{self, discord_name, scope_label};
use crate::render::{self, LEADERBOARD_MAX_ROWS};
use crate::store::queries::{self, LeaderboardMetric};

/// Players ranked by one figure
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn leaderboard(
    ctx: Context<'_>,
    #[description = "What to rank by"] metric: MetricChoice,
    #[description = "Only this map (default: all maps)"]
    #[autocomplete = "autocomplete_map"]
    map: Option<String>,
    #[description = "Only the last N days (default: all time)"]
    #[min = 1]
    #[max = 3650]
    days: Option<i64>,
) -> Result<(), Error> {
    ctx.defer().await?;
    let pool = &ctx.data().pool;
    let metric: LeaderboardMetric = metric.into();
    let spec = metric.spec();
    let scope = common::scope(pool, map.as_deref(), days).await?;
    let key = format!("leaderboard {metric:?} {scope:?}");
    let answer = common::cached(pool, key, async {
        let rows = queries::leaderboard(pool, metric, &scope, LEADERBOARD_MAX_ROWS as i64).await?;
        if rows.is_empty() {
            return Ok(Answer::NoData(format!(
                "Nobody has {} {} for “{}” yet ({}).",
                spec.min_samples,
                spec.sample_label,
                spec.title,
                scope_label(&scope)
            )));
        }
        let lines = rows.iter().take(10).map(|r| {
            format!(
                "{} — {} ({} {})",
                discord_name(&r.name),
                common::figure(r.value, spec.unit),
                r.samples,
                spec.sample_label
            )
        });
        let description = format!(
            "{} · at least {} {}\n{}",
            scope_label(&scope),
            spec.min_samples,
            spec.sample_label,
            common::numbered(lines)
        );
        let input = present::leaderboard_input(metric, &rows, &scope);
        let png = common::render_png(move || render::render_leaderboard(&input)).await?;
        let embed = serenity::CreateEmbed::new()
            .title(spec.title)
            .description(description);
        Ok(Answer::image(embed, png, "leaderboard.png"))
    })
    .await?;
    common::send_answer(ctx, answer).await
}

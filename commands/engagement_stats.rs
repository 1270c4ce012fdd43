//! `/engagement_stats [name]`

use poise::serenity_prelude as serenity;

use super::common::{self, Answer, autocomplete_map, autocomplete_player};
use crate::bot::{Context, Error};
use crate::present::scope_label;
use crate::render::{self, CardStat, PlayerCardInput};
use crate::store::queries::{self, EngagementRow};

/// A player's fights: kills, damage, escapes, reactions, next to the server's median
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn engagement_stats(
    ctx: Context<'_>,
    #[description = "Name or GUID (default: your linked player)"]
    #[autocomplete = "autocomplete_player"]
    name: Option<String>,
    #[description = "Only this map (default: all maps)"]
    #[autocomplete = "autocomplete_map"]
    map: Option<String>,
    #[description = "Only the last N days (default: all time)"]
    #[min = 1]
    #[max = 3650]
    days: Option<i64>,
) -> Result<(), Error> {
    let (who, scope, shown) =
        common::player_request(ctx, name.as_deref(), map.as_deref(), days).await?;
    let pool = &ctx.data().pool;
    let key = format!("engagement_stats {} {scope:?}", who.guid);
    let answer = common::cached(pool, key, async {
    let Some((me, median)) = queries::engagement_stats(pool, &who.guid, &scope).await? else {
        return Ok(Answer::NoData(format!("{shown} has no fights yet ({}).", scope_label(&scope)),
        ))
    };
    let rows = card_rows(&me, &median);
    let fields: Vec<(String, String, bool)> = rows
        .iter()
        .map(|s| {
            (
                s.label.clone(),
                format!(
                    "{} (median {})",
                    common::opt_figure(s.value, &s.unit),
                    common::opt_figure(s.median, &s.unit)
                ),
                true,
            )
        })
        .collect();
    let card = PlayerCardInput {
        name: who.name.clone(),
        subtitle: format!("Engagements · {}", scope_label(&scope)),
        rows,
    };
    let png = common::render_png(move || render::render_player_card(&card)).await?;
    let embed = serenity::CreateEmbed::new()
        .title(format!("Engagements of {shown}"))
        .description(format!(
            "{} · {} rounds · {} kills ({} in crossfire), {} deaths · targeted {} times, {} escapes",
            scope_label(&scope),
            me.rounds,
            me.kills,
            me.crossfire_kills,
            me.deaths,
            me.times_targeted,
            me.escapes
        ))
        .fields(fields);
    Ok(Answer::image(embed, png, "engagement_stats.png"))
    })
    .await?;
    common::send_answer(ctx, answer).await
}

/// The card's eight figures, each against the median.
pub fn card_rows(me: &EngagementRow, median: &EngagementRow) -> Vec<CardStat> {
    let stat =
        |label: &str, value: Option<f64>, median: Option<f64>, unit: &str, higher| CardStat {
            label: label.to_string(),
            value,
            median,
            unit: unit.to_string(),
            higher_is_better: higher,
        };
    vec![
        stat(
            "Kills / round",
            me.kills_per_round,
            median.kills_per_round,
            "",
            true,
        ),
        stat(
            "Damage dealt / round",
            me.damage_dealt_per_round,
            median.damage_dealt_per_round,
            "hp",
            true,
        ),
        stat(
            "Damage taken / round",
            me.damage_taken_per_round,
            median.damage_taken_per_round,
            "hp",
            false,
        ),
        stat(
            "Escape rate",
            me.escape_rate_pct,
            median.escape_rate_pct,
            "%",
            true,
        ),
        stat(
            "Crossfire share of kills",
            me.crossfire_share_pct,
            median.crossfire_share_pct,
            "%",
            true,
        ),
        stat(
            "Fight length",
            me.fight_length_s,
            median.fight_length_s,
            "s",
            true,
        ),
        stat(
            "Return fire",
            me.return_fire_ms,
            median.return_fire_ms,
            "ms",
            false,
        ),
        stat(
            "Dodge reaction",
            me.dodge_reaction_ms,
            median.dodge_reaction_ms,
            "ms",
            false,
        ),
    ]
}

//! `/player [name]`

use poise::serenity_prelude as serenity;

use super::common::{self, Answer, autocomplete_map, autocomplete_player};
use crate::bot::{Context, Error};
use crate::present::{self, scope_label};
use crate::render;
use crate::store::queries;

/// A player's figures next to the server's median
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn player(
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
    let key = format!("player {} {scope:?}", who.guid);
    let answer = common::cached(pool, key, async {
        let Some((me, median)) = queries::player_profile(pool, &who.guid, &scope).await? else {
            return Ok(Answer::NoData(format!(
                "{shown} has no rounds yet ({}).",
                scope_label(&scope)
            )));
        };
        let card = present::player_card(&who.name, &me, &median, &scope);
        let fields: Vec<(String, String, bool)> = card
            .rows
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
        let png = common::render_png(move || render::render_player_card(&card)).await?;
        let embed = serenity::CreateEmbed::new()
            .title(shown)
            .description(format!(
                "{} · {} rounds, {} lives · {} kills, {} deaths",
                scope_label(&scope),
                me.rounds,
                me.lives,
                me.kills,
                me.deaths
            ))
            .fields(fields);
        Ok(Answer::image(embed, png, "player.png"))
    })
    .await?;
    common::send_answer(ctx, answer).await
}

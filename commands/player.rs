//! `/player [name]`

use poise::serenity_prelude as serenity;
use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_player};
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::{Context, Error};
use crate::metrics::Card;
use crate::present::{self, scope_label};
use crate::render;
use crate::store::queries::{self, PlayerRow, Scope};

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
        resolve::player_request(ctx, name.as_deref(), map.as_deref(), days).await?;
    let key = format!("player {} {scope:?}", who.guid);
    let answer = reply::cached(ctx, key, answer(&ctx.data().pool, &who, &scope, &shown)).await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(
    pool: &PgPool,
    who: &PlayerRow,
    scope: &Scope,
    shown: &str,
) -> Result<Answer, Error> {
    let Some(card) = queries::player_card(pool, Card::Player, &who.guid, scope).await? else {
        return Ok(Answer::NoData(format!(
            "{shown} has no rounds yet ({}).",
            scope_label(scope)
        )));
    };
    let t = &card.totals;
    let description = format!(
        "{} · {} rounds, {} lives · {} kills, {} deaths",
        scope_label(scope),
        t.life_rounds,
        t.lives,
        t.kills,
        t.deaths
    );
    let input = present::player_card(&who.name, &card, scope);
    let embed = serenity::CreateEmbed::new()
        .title(shown)
        .description(description)
        .fields(reply::card_fields(&input.rows));
    let png = reply::render_png(move || render::render_player_card(&input)).await?;
    Ok(Answer::image(embed, png, "player.png"))
}

//! `/compare player1 player2`: two players' figures side by side, and what they do together.

use super::autocomplete::{autocomplete_map, autocomplete_player, autocomplete_server};
use super::reply::{self, Answer, opt_figure};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error, user_error};
use crate::metrics::{Better, Card};
use crate::names::marked;
use crate::present::{discord_name, scope_text};
use crate::store::queries::{self, CardFigure};

/// Two players side by side, with the rounds and crossfires they share
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn compare(
    ctx: Context<'_>,
    #[description = "Name or GUID"]
    #[autocomplete = "autocomplete_player"]
    player1: String,
    #[description = "Name or GUID (default: your linked player)"]
    #[autocomplete = "autocomplete_player"]
    player2: Option<String>,
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
    let (a, scope, _) =
        resolve::player_request(ctx, Some(&player1), map.as_deref(), days, server.as_deref())
            .await?;
    let b = resolve::resolve_player(ctx, player2.as_deref()).await?;
    if a.guid == b.guid {
        return Err(user_error("Pick two different players."));
    }
    let pool = &ctx.data().pool;
    let key = format!("compare {} {} {scope:?}", a.guid, b.guid);
    let answer = reply::cached(ctx, key, async {
        let name_a = discord_name(&marked(&a.name, &a.guid));
        let name_b = discord_name(&marked(&b.name, &b.guid));
        // Three independent reads, each on a connection of its own: the database answers them
        // side by side.
        let (card_a, card_b, t) = tokio::try_join!(
            queries::player_card(pool, Card::Player, &a.guid, &scope),
            queries::player_card(pool, Card::Player, &b.guid, &scope),
            queries::together(pool, &a.guid, &b.guid, &scope),
        )?;
        let (Some(card_a), Some(card_b)) = (card_a, card_b) else {
            return Ok(Answer::NoData(format!(
                "{name_a} and {name_b} have not both played ({}).",
                scope_text(&scope)
            )));
        };
        let mut embed = Embed::new()
            .title(format!("{name_a} vs {name_b}"))
            .description(format!(
                "{} · {} rounds played together, {} on the same team · {} crossfires, {} \
                 crossfire kills together\n▲ marks the better of the two.",
                scope_text(&scope),
                t.shared_rounds,
                t.rounds_together,
                t.crossfires,
                t.crossfire_kills
            ))
            .colour(reply::EMBED_COLOUR);
        for (x, y) in card_a.rows.iter().zip(&card_b.rows) {
            embed = embed.field(x.figure.label, side_by_side(x, y), true);
        }
        Ok(Answer::Text(Box::new(embed)))
    })
    .await?;
    reply::send_answer(ctx, answer).await
}

/// "1.20 ▲ · 0.95": the first player's value, then the second's, the better one marked.
pub fn side_by_side(a: &CardFigure, b: &CardFigure) -> String {
    let unit = a.figure.unit;
    let better_first = match (a.value, b.value) {
        (Some(x), Some(y)) if x != y => Some((x > y) == (a.figure.better == Better::Higher)),
        _ => None,
    };
    let mark = |first: bool| match better_first {
        Some(f) if f == first => " ▲",
        _ => "",
    };
    format!(
        "{}{} · {}{}",
        opt_figure(a.value, unit),
        mark(true),
        opt_figure(b.value, unit),
        mark(false)
    )
}

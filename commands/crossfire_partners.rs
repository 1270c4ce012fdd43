//! `/crossfire_partners [name]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_player, autocomplete_server};
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::present::{kills_per_round, scope_label, scope_text};
use crate::render::{self, DUOS_MAX_ROWS, DuoRow, DuosInput};
use crate::store::queries::{self, PlayerRow, Scope};

/// Who a player crossfires with most
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn crossfire_partners(
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
    #[description = "Only this game server (default: all servers)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    let (who, scope, shown) = resolve::player_request(
        ctx,
        name.as_deref(),
        map.as_deref(),
        days,
        server.as_deref(),
    )
    .await?;
    let pool = &ctx.data().pool;
    let key = format!("crossfire_partners {} {scope:?}", who.guid);
    let answer = reply::cached(ctx, key, answer(pool, &who, &scope, &shown)).await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(
    pool: &PgPool,
    who: &PlayerRow,
    scope: &Scope,
    shown: &str,
) -> Result<Answer, Error> {
    let rows = queries::crossfire_partners(pool, &who.guid, scope, DUOS_MAX_ROWS as i64).await?;
    if rows.is_empty() {
        return Ok(Answer::NoData(format!(
            "{shown} has no crossfires yet ({}).",
            scope_text(scope)
        )));
    }
    let input = DuosInput {
        title: format!(
            "Crossfire partners of {}",
            crate::names::clean_name(&who.name)
        ),
        subtitle: scope_label(scope),
        rows: rows
            .iter()
            .map(|d| DuoRow {
                name_a: d.name_a.clone(),
                name_b: who.name.clone(),
                crossfires: d.crossfires,
                crossfire_kills: d.crossfire_kills,
                rounds_together: d.rounds_together,
                kills_per_round: kills_per_round(d.crossfire_kills, d.rounds_together),
            })
            .collect(),
    };
    let description = format!(
        "{}\n{}",
        scope_text(scope),
        reply::quoted_duos(&input, true)
    );
    let png = reply::render_png(move || render::render_duos(&input)).await?;
    let embed = Embed::new()
        .title(format!("Crossfire partners of {shown}"))
        .description(description);
    Ok(Answer::image(embed, png, "crossfire_partners.png"))
}

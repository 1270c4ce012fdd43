//! `/heatmap map [kind] [player] [days]`

use std::sync::Arc;

use super::autocomplete::{autocomplete_map, autocomplete_player, autocomplete_server};
use super::choices::HeatKindChoice;
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::command_map::CommandMap;
use crate::heat::HeatKind;
use crate::present::{self, discord_name, escape_markdown, period_label};
use crate::render;
use crate::store::queries::{self, PlayerRow, Scope};

/// Where kills, deaths, movement or objective play happen on a map
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn heatmap(
    ctx: Context<'_>,
    #[description = "The map"]
    #[autocomplete = "autocomplete_map"]
    map: String,
    #[description = "What to show (default: kills)"] kind: Option<HeatKindChoice>,
    #[description = "Only this player's kills, deaths, movement or objective play (\"me\": your linked player)"]
    #[autocomplete = "autocomplete_player"]
    player: Option<String>,
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
    let kind: HeatKind = kind.unwrap_or(HeatKindChoice::Kills).into();
    let scope = resolve::scope(ctx.data(), Some(&map), days, server.as_deref()).await?;
    let map = scope.map.clone().unwrap_or(map);
    let who = match player.as_deref() {
        Some(p) => Some(resolve::resolve_player(ctx, Some(p)).await?),
        None => None,
    };
    let key = format!(
        "heatmap {kind:?} {map} {days:?} {:?} {:?}",
        who.as_ref().map(|p| &p.guid),
        scope.server
    );
    let command_map = ctx.data().command_maps.get(&map).await;
    let answer = reply::cached(
        ctx,
        key,
        answer(pool, kind, &map, &scope, who.as_ref(), days, command_map),
    )
    .await?;
    reply::send_answer(ctx, answer).await
}

async fn answer(
    pool: &sqlx::PgPool,
    kind: HeatKind,
    map: &str,
    scope: &Scope,
    who: Option<&PlayerRow>,
    days: Option<i64>,
    command_map: Option<Arc<CommandMap>>,
) -> Result<Answer, Error> {
    let (points, rounds) =
        queries::heatmap(pool, kind, scope, who.map(|p| p.guid.as_str())).await?;
    let total: i64 = points.iter().map(|p| p.weight).sum();
    let noun = noun(kind);
    let by = who
        .map(|p| format!(" of {}", discord_name(&p.name)))
        .unwrap_or_default();
    if total == 0 {
        let server = scope
            .server
            .as_deref()
            .map_or_else(String::new, |s| format!(", server {}", escape_markdown(s)));
        return Ok(Answer::NoData(format!(
            "No {noun}{by} recorded on {} ({}{server}) yet.",
            escape_markdown(map),
            period_label(days)
        )));
    }
    let input = present::heatmap_input(
        map,
        kind,
        &points,
        rounds,
        days,
        who.map(|p| p.name.as_slice()),
    );
    // Drawn on the server's command map when MAPS_DIR has one for this map.
    let png = reply::render_png(move || render::render_heatmap_on(&input, command_map.as_deref()))
        .await?;
    let embed = Embed::new()
        .title(format!("{} heatmap: {}", title(kind), escape_markdown(map)))
        .description(format!(
            "{total} {noun}{by} from {rounds} rounds · {}",
            period_label(days)
        ));
    Ok(Answer::image(embed, png, "heatmap.png"))
}

fn noun(kind: HeatKind) -> &'static str {
    match kind {
        HeatKind::Kills => "kills",
        HeatKind::Deaths => "deaths",
        HeatKind::Movement => "movement samples",
        HeatKind::Objectives => "objective actions and clearing kills",
    }
}

fn title(kind: HeatKind) -> &'static str {
    match kind {
        HeatKind::Kills => "Kill",
        HeatKind::Deaths => "Death",
        HeatKind::Movement => "Movement",
        HeatKind::Objectives => "Objective",
    }
}

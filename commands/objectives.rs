//! `/objectives [by] [map] [days]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_server};
use super::choices::{Choice, TallyChoice};
use super::reply::{self, Answer, QUOTED_ROWS};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::metrics::{OBJECTIVE_TALLIES, ObjectiveTally};
use crate::present::{discord_name, scope_label, scope_text};
use crate::render::{self, OBJECTIVES_MAX_ROWS, ObjectiveLine, ObjectivesInput};
use crate::store::queries::{self, ObjectiveRow, Scope};

/// Who plays the objective: plants, defuses, constructions, captures, carries, escorts
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn objectives(
    ctx: Context<'_>,
    #[description = "What to rank by (default: plants)"] by: Option<TallyChoice>,
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
    let Choice(tally) = by.unwrap_or(Choice(&OBJECTIVE_TALLIES[0]));
    let scope = resolve::scope(ctx.data(), map.as_deref(), days, server.as_deref()).await?;
    let key = format!("objectives {} {scope:?}", tally.key);
    let answer = reply::cached(ctx, key, answer(pool, tally, &scope)).await?;
    reply::send_answer(ctx, answer).await
}

/// The board the image draws from the query's rows.
pub fn objectives_board(
    tally: &'static ObjectiveTally,
    rows: &[ObjectiveRow],
    scope: &Scope,
) -> ObjectivesInput {
    ObjectivesInput {
        tally,
        subtitle: scope_label(scope),
        rows: rows
            .iter()
            .map(|r| ObjectiveLine {
                name_raw: r.name.clone(),
                rounds: r.rounds,
                tallies: r.tallies.clone(),
            })
            .collect(),
    }
}

/// The embed's text: the scope, then the top of the board in the image's ranks and words.
pub fn objectives_text(input: &ObjectivesInput, scope: &Scope) -> String {
    let ranked = render::objective_ranks(input);
    let mut lines = vec![scope_text(scope)];
    lines.extend(ranked.iter().take(QUOTED_ROWS).map(|(rank, line)| {
        format!(
            "**#{rank}** {} — {} ({} · {})",
            discord_name(&line.name_raw),
            render::tally_text(input.tally, line.value(input.tally)),
            match line.rounds {
                1 => "1 round".to_string(),
                n => format!("{n} rounds"),
            },
            line.others_text(input.tally)
        )
    }));
    if ranked.len() > QUOTED_ROWS {
        lines.push(format!("… {} ranked in the image.", ranked.len()));
    }
    lines.join("\n")
}

async fn answer(
    pool: &PgPool,
    tally: &'static ObjectiveTally,
    scope: &Scope,
) -> Result<Answer, Error> {
    let rows = queries::objective_board(pool, scope, tally, OBJECTIVES_MAX_ROWS as i64).await?;
    if rows.is_empty() {
        return Ok(Answer::NoData(format!(
            "Nothing to rank for \"{}\" yet ({}), or the rounds do not record objective play.",
            tally.title,
            scope_text(scope)
        )));
    }
    let input = objectives_board(tally, &rows, scope);
    let description = objectives_text(&input, scope);
    let png = reply::render_png(move || render::render_objectives(&input)).await?;
    let embed = Embed::new()
        .title(format!("Objectives: {}", tally.title))
        .description(description);
    Ok(Answer::image(embed, png, "objectives.png"))
}

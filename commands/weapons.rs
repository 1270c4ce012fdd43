//! `/weapons [player] [map] [days]`

use sqlx::PgPool;

use super::autocomplete::{autocomplete_map, autocomplete_player, autocomplete_server};
use super::reply::{self, Answer};
use super::resolve;
use crate::bot::limits::Embed;
use crate::bot::{Context, Error};
use crate::format::{is_bullet_weapon, weapon_name};
use crate::present::{discord_name, scope_label, scope_text};
use crate::render::{self, WEAPONS_MAX_ROWS, WeaponLine, WeaponsInput};
use crate::store::queries::{self, PlayerRow, Scope, WeaponRow};

/// Shots, accuracy, headshots and kills per weapon, and where hits land
#[poise::command(slash_command, user_cooldown = 5)]
pub async fn weapons(
    ctx: Context<'_>,
    #[description = "Name, GUID or \"me\" (default: everyone)"]
    #[autocomplete = "autocomplete_player"]
    player: Option<String>,
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
    crate::bot::acknowledge(ctx).await?;
    let who = match player.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(resolve::resolve_player(ctx, Some(p)).await?),
        None => None,
    };
    let scope = resolve::scope(ctx.data(), map.as_deref(), days, server.as_deref()).await?;
    let key = format!("weapons {:?} {scope:?}", who.as_ref().map(|w| &w.guid));
    let answer = reply::cached(ctx, key, answer(&ctx.data().pool, who.as_ref(), &scope)).await?;
    reply::send_answer(ctx, answer).await
}

/// The image's rows from the query's.
pub fn weapon_lines(rows: &[WeaponRow]) -> Vec<WeaponLine> {
    rows.iter()
        .map(|w| WeaponLine {
            name: weapon_name(i64::from(w.weapon)),
            shots: w.shots,
            hits: w.hits,
            kills: w.kills,
            headshots: w.headshots,
            regions: [w.head, w.arms, w.body, w.legs],
            bullets: is_bullet_weapon(i64::from(w.weapon)),
        })
        .collect()
}

async fn answer(pool: &PgPool, who: Option<&PlayerRow>, scope: &Scope) -> Result<Answer, Error> {
    let rows = queries::weapons(pool, who.map(|w| w.guid.as_str()), scope).await?;
    let (title, image_title) = match who {
        Some(w) => {
            let name = crate::names::marked(&w.name, &w.guid);
            (
                format!("Weapons · {}", discord_name(&name)),
                format!("Weapons · {}", crate::names::clean_name(&name)),
            )
        }
        None => (
            "Weapons · everyone".to_string(),
            "Weapons · everyone".to_string(),
        ),
    };
    if rows.is_empty() {
        return Ok(Answer::NoData(format!(
            "No weapon use is recorded for {} ({}): the rounds need the tracker's \
             WEAPON_ACCURACY section.",
            who.map_or("anyone".to_string(), |w| discord_name(&w.name)),
            scope_text(scope)
        )));
    }
    let lines = weapon_lines(&rows);
    let left_out = lines.len().saturating_sub(WEAPONS_MAX_ROWS);
    let quoted: Vec<String> = lines
        .iter()
        .take(3)
        .map(|l| format!("**{}** · {} · {}", l.name, l.kills_text(), l.figures_text()))
        .collect();
    let mut description = format!("{}\n{}", scope_text(scope), quoted.join("\n"));
    if left_out > 0 {
        description.push_str(&format!(
            "\n{left_out} more weapons with fewer kills are not shown."
        ));
    }
    let input = WeaponsInput {
        title: image_title,
        subtitle: scope_label(scope),
        rows: lines,
    };
    let png = reply::render_png(move || render::render_weapons(&input)).await?;
    let embed = Embed::new().title(title).description(description);
    Ok(Answer::image(embed, png, "weapons.png"))
}

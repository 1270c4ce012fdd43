//! `/proximity_status` (admins): what the importer sees and what the database holds.

use poise::serenity_prelude as serenity;

use crate::bot::{Context, Data, Error};
use crate::present::escape_markdown;
use crate::store::{import_log, queries};

/// Show the importer's state: switches, folder, files, scans, database counts, last errors
#[poise::command(
    slash_command,
    guild_only,
    ephemeral,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn proximity_status(ctx: Context<'_>) -> Result<(), Error> {
    let embed = status_embed(ctx.data()).await;
    ctx.send(poise::CreateReply::default().embed(embed).ephemeral(true))
        .await?;
    Ok(())
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| format!("<t:{}:R>", t.timestamp()))
        .unwrap_or_else(|| "—".to_string())
}

/// The status embed. The database part says "unavailable" instead of failing, so that the
/// scanner's state is shown even while PostgreSQL is down.
pub async fn status_embed(data: &Data) -> serenity::CreateEmbed {
    let c = &data.config;
    let mut embed = serenity::CreateEmbed::new()
        .title("Proximity status")
        .colour(0x5865F2)
        .field(
            "Switches",
            format!(
                "enabled: {} · auto import: {} · commands: {} · debug log: {}",
                on_off(c.enabled),
                on_off(c.auto_import),
                on_off(c.discord_commands),
                on_off(c.debug_log)
            ),
            false,
        );
    match data.config.enabled.then_some(&data.scanner) {
        Some(scanner) => {
            let s = scanner.status();
            embed = embed.description(escape_markdown(&s.headline()));
            let last = match &s.last_scan {
                Some(l) => format!(
                    "{} ({}): {} files, {} imported, {} duplicates, {} failed, {} quarantined, {} waiting",
                    when(Some(l.started_at)),
                    l.trigger,
                    l.files,
                    l.imported.len(),
                    l.duplicates.len(),
                    l.failed_count(),
                    l.quarantined_count(),
                    l.waiting
                ),
                None => "no scan yet".to_string(),
            };
            embed = embed
                .field("Last scan", last, false)
                .field(
                    "Next scan",
                    if s.scanning {
                        "running now".to_string()
                    } else {
                        when(s.next_scan)
                    },
                    true,
                )
                .field(
                    "Files now",
                    format!("{} pending · {} not ready yet", s.pending, s.waiting),
                    true,
                );
            if let Some((at, e)) = &s.last_error {
                embed = embed.field(
                    "Last scan error",
                    format!(
                        "{} {}",
                        when(Some(*at)),
                        escape_markdown(&crate::error_text::storable(e))
                    ),
                    false,
                );
            }
        }
        None => {
            embed = embed.description("Proximity is turned off (PROXIMITY_ENABLED=false).");
        }
    }
    match database_part(data).await {
        Ok(fields) => {
            for (name, value) in fields {
                embed = embed.field(name, value, false);
            }
        }
        Err(e) => {
            tracing::warn!("status: {e:#}");
            embed = embed.field("Database", "unavailable", false);
        }
    }
    embed
}

async fn database_part(data: &Data) -> Result<Vec<(&'static str, String)>, Error> {
    let pool = &data.pool;
    let db = queries::db_counts(pool).await?;
    let log = import_log::import_counts(pool).await?;
    let mut fields = vec![
        (
            "Database",
            format!(
                "{} rounds · {} engagements · {} lives · {} players",
                db.rounds, db.engagements, db.lives, db.players
            ),
        ),
        (
            "Files",
            format!(
                "{} seen · {} imported · {} duplicates · {} failed · {} quarantined",
                log.seen, log.imported, log.duplicate, log.failed, log.quarantined
            ),
        ),
    ];
    let versions = queries::tracker_versions(pool).await?;
    if !versions.is_empty() {
        let lines: Vec<String> = versions
            .iter()
            .take(5)
            .map(|v| {
                format!(
                    "{} {} — {} rounds",
                    v.banner,
                    escape_markdown(v.tracker_version.as_deref().unwrap_or("(no version)")),
                    v.rounds
                )
            })
            .collect();
        fields.push(("Tracker versions", lines.join("\n")));
    }
    let errors = import_log::last_errors(pool, 3).await?;
    if !errors.is_empty() {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| {
                let text: String = e
                    .error
                    .as_deref()
                    .unwrap_or("?")
                    .chars()
                    .take(200)
                    .collect();
                format!(
                    "{} ({}, {} attempts): {}",
                    escape_markdown(&e.file_name),
                    e.status,
                    e.attempts,
                    escape_markdown(&text)
                )
            })
            .collect();
        fields.push(("Last errors", lines.join("\n")));
    }
    Ok(fields)
}

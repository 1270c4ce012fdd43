//! `/proximity_status` (admins): what the importer sees and what the database holds.

use crate::bot::discord_state::Registration;
use crate::bot::limits::{self, Embed};
use crate::bot::{Context, Data, Error, acknowledge};
use crate::present::escape_markdown;
use crate::store::{StoreError, import_log, queries};

/// Show the importer's state: switches, folder, files, scans, database counts, last errors
#[poise::command(
    slash_command,
    guild_only,
    ephemeral,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn proximity_status(ctx: Context<'_>) -> Result<(), Error> {
    acknowledge(ctx).await?;
    let embed = status_embed(ctx.data()).await;
    ctx.send(
        poise::CreateReply::default()
            .embed(embed.build())
            .ephemeral(true),
    )
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
pub async fn status_embed(data: &Data) -> Embed {
    let c = &data.config;
    let mut embed = Embed::new()
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
            embed = embed.field("Servers", servers_part(data), false);
            if let Some((at, e)) = &s.last_error {
                embed = embed.field(
                    "Last scan error",
                    format!(
                        "{} {}",
                        when(Some(*at)),
                        limits::fit(&escape_markdown(&crate::error_text::storable(e)), 900)
                    ),
                    false,
                );
            }
        }
        None => {
            embed = embed.description("Proximity is turned off (PROXIMITY_ENABLED=false).");
        }
    }
    embed = embed.field("Discord", discord_part(data), false);
    match database_part(data).await {
        Ok(fields) => {
            for (name, value) in fields {
                embed = embed.field(name, value, false);
            }
        }
        Err(e) => {
            tracing::warn!("status: {e:#}");
            let timed_out = e.chain().any(|c| {
                c.downcast_ref::<StoreError>()
                    .is_some_and(StoreError::is_timeout)
            });
            let text = if timed_out {
                format!(
                    "too slow to answer: queries are stopped after {} s",
                    data.timing.command_statement.as_secs()
                )
            } else {
                "unavailable".to_string()
            };
            embed = embed.field("Database", text, false);
        }
    }
    embed
}

/// One line per game server: where its files come from, its last pull, its backlog (remote
/// files not finished, files waiting for import) and its last error.
fn servers_part(data: &Data) -> String {
    let lines: Vec<String> = data
        .servers
        .iter()
        .map(|server| {
            let scan = server.scanner.status();
            let pull = server
                .puller
                .as_ref()
                .map(|p| (p.config().source.url(), p.status()));
            server_line(&server.label, &scan, pull.as_ref())
        })
        .collect();
    limits::fit(&lines.join("\n"), 1000)
}

/// A server's status line.
pub fn server_line(
    label: &str,
    scan: &crate::scanner::ScannerStatus,
    pull: Option<&(String, crate::servers::puller::PullStatus)>,
) -> String {
    let local_backlog = scan.pending + scan.waiting + scan.failed;
    let mut line = match pull {
        None => format!(
            "**{}**: folder {} · backlog {local_backlog}",
            escape_markdown(label),
            escape_markdown(&scan.dir.display().to_string())
        ),
        Some((url, p)) => format!(
            "**{}**: {} · last pull {} · backlog {} remote, {local_backlog} to import{}{}",
            escape_markdown(label),
            escape_markdown(url),
            when(p.last_pull),
            p.backlog,
            match p.discarded {
                0 => String::new(),
                n => format!(" · {n} partial pulls of files removed on the server discarded"),
            },
            if p.stopped {
                " · **pulls stopped**"
            } else {
                ""
            }
        ),
    };
    let error = pull
        .and_then(|(_, p)| p.last_error.clone())
        .or_else(|| scan.last_error.clone());
    if let Some((at, e)) = error {
        line.push_str(&format!(
            " · error {}: {}",
            when(Some(at)),
            limits::fit(&escape_markdown(&crate::error_text::storable(&e)), 300)
        ));
    }
    line
}

/// Command registration and the last request Discord refused.
fn discord_part(data: &Data) -> String {
    let mut lines = vec![match data.discord.registration() {
        Registration::Pending => "commands: being registered".to_string(),
        Registration::Off => "commands: off".to_string(),
        Registration::Registered { commands, at } => {
            format!("commands: {commands} registered {}", when(Some(at)))
        }
        Registration::Failed {
            attempts,
            error,
            retry_at,
        } => format!(
            "commands: NOT registered ({attempts} attempts, next {}): {}",
            when(Some(retry_at)),
            escape_markdown(&limits::fit(&error, 400))
        ),
    }];
    if let Some((at, e)) = data.discord.last_error() {
        lines.push(format!(
            "last Discord error {}: {}",
            when(Some(at)),
            escape_markdown(&limits::fit(&e, 400))
        ));
    }
    lines.join("\n")
}

async fn database_part(data: &Data) -> Result<Vec<(&'static str, String)>, Error> {
    let pool = &data.pool;
    // The reads are independent: asked at once, the status waits for the slowest only.
    let (db, log, unposted, stale, claims, versions, errors) = tokio::try_join!(
        queries::db_counts(pool),
        import_log::import_counts(pool),
        queries::unposted_count(pool),
        queries::stale_round_count(pool, crate::import::FIGURES_VERSION),
        queries::link_requests(pool, "", 6),
        queries::tracker_versions(pool),
        import_log::last_errors(pool, 3),
    )?;
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
    if data.config.summary_channel_id.is_some() || unposted > 0 {
        fields.push((
            "Round summaries",
            format!("{unposted} rounds waiting to be posted"),
        ));
    }
    if stale > 0 {
        fields.push((
            "Older figures",
            format!(
                "{stale} rounds have figures of an older version: the bot reads them again from \
                 their files when it starts (`proximity rederive` does it by hand); see its log \
                 for files that are gone"
            ),
        ));
    }
    if !claims.is_empty() {
        let lines: Vec<String> = claims
            .iter()
            .take(5)
            .map(|c| {
                format!(
                    "<@{}> ({})",
                    c.discord_user_id,
                    escape_markdown(&c.discord_name)
                )
            })
            .collect();
        fields.push((
            "Link claims waiting for /link_confirm",
            format!(
                "{}{}",
                lines.join(", "),
                if claims.len() > 5 { ", …" } else { "" }
            ),
        ));
    }
    if !versions.is_empty() {
        let lines: Vec<String> = versions
            .iter()
            .take(5)
            .map(|v| {
                format!(
                    "{} {} — {} rounds",
                    escape_markdown(&v.banner),
                    escape_markdown(v.tracker_version.as_deref().unwrap_or("(no version)")),
                    v.rounds
                )
            })
            .collect();
        fields.push((
            "Tracker versions",
            limits::lines_within(&lines, limits::FIELD_VALUE),
        ));
    }
    if !errors.is_empty() {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| {
                // Cut after escaping, so the escapes count against the field's limit.
                format!(
                    "{} ({}, {} attempts): {}",
                    limits::fit(&escape_markdown(&e.file_name), 120),
                    e.status,
                    e.attempts,
                    limits::fit(&escape_markdown(e.error.as_deref().unwrap_or("?")), 200)
                )
            })
            .collect();
        fields.push((
            "Last errors",
            limits::lines_within(&lines, limits::FIELD_VALUE),
        ));
    }
    Ok(fields)
}

#[cfg(test)]
mod server_line_tests {
    use super::*;
    use crate::scanner::{FolderState, ScannerStatus};
    use crate::servers::puller::PullStatus;
    use chrono::TimeZone;

    fn scan(pending: usize, waiting: usize) -> ScannerStatus {
        ScannerStatus {
            enabled: true,
            auto_import: true,
            dir: "spool/eu".into(),
            folder: FolderState::Ready,
            watching: true,
            watch_error: None,
            scanning: false,
            last_scan: None,
            last_error: None,
            next_scan: None,
            pending,
            waiting,
            failed: 0,
            quarantined: 0,
        }
    }

    #[test]
    fn a_line_per_server_with_its_pull_backlog_and_error() {
        let at = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        assert_eq!(
            server_line("lan", &scan(1, 2), None),
            "**lan**: folder spool/eu · backlog 3"
        );
        let pull = PullStatus {
            last_pull: Some(at),
            pulled: 4,
            backlog: 1,
            last_error: Some((at, "sftp://et@h:22/p: host key changed".into())),
            stopped: true,
            discarded: 2,
        };
        assert_eq!(
            server_line("eu", &scan(0, 0), Some(&("sftp://et@h:22/p".into(), pull))),
            "**eu**: sftp\\://et@h\\:22/p · last pull <t:1700000000:R> · backlog 1 remote, 0 to \
             import · 2 partial pulls of files removed on the server discarded · **pulls stopped** · error <t:1700000000:R>: sftp\\://et@h\\:22/p\\: host key \
             changed"
        );
    }
}

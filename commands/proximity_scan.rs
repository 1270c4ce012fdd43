//! `/proximity_scan` (admins): scan the folder now, showing progress.

use tokio::sync::mpsc;

use crate::bot::{Context, Error, user_error};
use crate::scanner::ScanSummary;

/// Scan the game server's folder now and import what is ready
#[poise::command(
    slash_command,
    guild_only,
    ephemeral,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn proximity_scan(ctx: Context<'_>) -> Result<(), Error> {
    if !ctx.data().config.enabled {
        return Err(user_error(
            "Proximity is turned off (PROXIMITY_ENABLED=false).",
        ));
    }
    let scanner = ctx.data().scanner.clone();
    let reply = ctx
        .send(
            poise::CreateReply::default()
                .content("Scanning…")
                .ephemeral(true),
        )
        .await?;
    let (tx, mut rx) = mpsc::channel(64);
    let scan = tokio::spawn(async move { scanner.scan_now(Some(tx)).await });
    // Edit the reply as files import: at the first file, then at most every half second.
    let mut last_edit: Option<std::time::Instant> = None;
    while let Some(p) = rx.recv().await {
        let due = last_edit.is_none_or(|t| t.elapsed() >= std::time::Duration::from_millis(500));
        if let (Some(file), true) = (&p.current_file, due) {
            let text = format!("Importing {}/{}: {}", p.done + 1, p.total, file);
            reply
                .edit(ctx, poise::CreateReply::default().content(text))
                .await?;
            last_edit = Some(std::time::Instant::now());
        }
    }
    let summary = scan.await??;
    reply
        .edit(
            ctx,
            poise::CreateReply::default().content(result_text(&summary)),
        )
        .await?;
    Ok(())
}

/// The final line of a manual scan.
pub fn result_text(s: &ScanSummary) -> String {
    let mut text = format!(
        "Scan done in {:.1} s: {} files, {} imported, {} already imported, {} failed, {} quarantined, {} not ready yet.",
        s.elapsed.as_secs_f64(),
        s.files,
        s.imported.len(),
        s.duplicates.len() + s.unchanged,
        s.failed_count(),
        s.quarantined_count(),
        s.waiting
    );
    for f in s.failed.iter().take(3) {
        text.push_str(&format!(
            "\n• {}: {}",
            f.file_name,
            f.error.chars().take(200).collect::<String>()
        ));
    }
    if let Some(reason) = &s.stopped {
        text.push_str(&format!("\nStopped early: {reason:?}."));
    }
    text
}

//! `/proximity_scan` (admins): scan the folder now, showing progress.

use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use tokio::sync::mpsc;

use crate::bot::{Context, Error, limits};
use crate::present::escape_markdown;
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
    let asked = Instant::now();
    let scanner = ctx.data().scanner.clone();
    // The interaction token lets the bot edit this reply for 15 minutes only.
    let token_ends = asked + ctx.data().timing.interaction_token;
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
    let mut last_edit: Option<Instant> = None;
    while let Some(p) = rx.recv().await {
        let due = last_edit.is_none_or(|t| t.elapsed() >= Duration::from_millis(500));
        if let (Some(file), true, true) = (&p.current_file, due, Instant::now() < token_ends) {
            let text = format!("Importing {}/{}: {}", p.done + 1, p.total, file);
            // A lost progress line is no reason to stop reporting.
            if let Err(e) = reply
                .edit(
                    ctx,
                    poise::CreateReply::default().content(limits::content(&text)),
                )
                .await
            {
                tracing::warn!("could not show the scan's progress: {e}");
            }
            last_edit = Some(Instant::now());
        }
    }
    let summary = scan.await??;
    let text = result_text(&summary);
    let edited = if Instant::now() < token_ends {
        reply
            .edit(
                ctx,
                poise::CreateReply::default().content(limits::content(&text)),
            )
            .await
            .map_err(|e| tracing::warn!("could not edit the scan's reply: {e}"))
            .is_ok()
    } else {
        false
    };
    if !edited {
        // The reply can no longer be edited: tell the admin in the channel they asked in.
        let user = ctx.author().id;
        let message = serenity::CreateMessage::new()
            .content(limits::content(&format!("<@{user}> {text}")))
            .allowed_mentions(serenity::CreateAllowedMentions::new().users([user]));
        ctx.channel_id().send_message(ctx.http(), message).await?;
    }
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
            limits::fit(&escape_markdown(&f.file_name), 120),
            limits::fit(&escape_markdown(&f.error), 200)
        ));
    }
    if let Some(reason) = &s.stopped {
        text.push_str(&format!("\nStopped early: {reason:?}."));
    }
    text
}

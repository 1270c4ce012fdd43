//! `/proximity_scan [server]` (admins): pull and scan now, showing progress.

use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use tokio::sync::mpsc;

use super::autocomplete::autocomplete_server;
use super::resolve;
use crate::bot::{Context, Error, limits, user_error};
use crate::present::escape_markdown;
use crate::scanner::ScanSummary;
use crate::servers::runtime::ServerRuntime;

/// Scan the game servers' folders now (pulling remote ones first) and import what is ready
#[poise::command(
    slash_command,
    guild_only,
    ephemeral,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn proximity_scan(
    ctx: Context<'_>,
    #[description = "Only this game server (default: all servers)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    let asked = Instant::now();
    let data = ctx.data();
    let chosen = match server.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(resolve::resolve_server(data, s).await?),
        None => None,
    };
    let servers: Vec<ServerRuntime> = data
        .servers
        .iter()
        .filter(|s| chosen.as_ref().is_none_or(|c| *c == s.label))
        .cloned()
        .collect();
    if servers.is_empty() {
        return Err(user_error(
            "That server's files are not read by this bot (not in SERVERS).",
        ));
    }
    // The interaction token lets the bot edit this reply for 15 minutes only.
    let token_ends = asked + data.timing.interaction_token;
    let reply = ctx
        .send(
            poise::CreateReply::default()
                .content("Scanning…")
                .ephemeral(true),
        )
        .await?;
    let mut texts = Vec::new();
    for server in &servers {
        let text = scan_server(ctx, &reply, server, token_ends).await?;
        // With one server the reply is as it always was; with more each line says whose.
        texts.push(if data.servers.len() > 1 {
            format!("**{}**: {text}", escape_markdown(&server.label))
        } else {
            text
        });
    }
    let text = texts.join("\n");
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

/// Pulls (a remote server) and scans one server, showing its progress in `reply`; answers the
/// line that says what it did.
async fn scan_server(
    ctx: Context<'_>,
    reply: &poise::ReplyHandle<'_>,
    server: &ServerRuntime,
    token_ends: Instant,
) -> Result<String, Error> {
    let pulled = match &server.puller {
        Some(puller) => match puller.pull_once().await {
            Ok(_) => String::new(),
            Err(e) => format!(
                "\nPull failed: {}",
                limits::fit(&escape_markdown(&e.to_string()), 300)
            ),
        },
        None => String::new(),
    };
    let scanner = server.scanner.clone();
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
    Ok(result_text(&summary) + &pulled)
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

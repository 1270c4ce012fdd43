//! Post-round summaries in `SUMMARY_CHANNEL_ID`: one message per new round (embed + summary
//! card), or one digest when a scan imported a backlog.

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use sqlx::PgPool;
use tokio::sync::broadcast;
use tracing::{error, warn};

use crate::present::{discord_name, duration_label, escape_markdown};
use crate::render;
use crate::scanner::ScanEvent;
use crate::store::queries::{self, RoundPost};

/// More new rounds than this in one scan are posted as a single digest.
pub const DIGEST_AFTER: usize = 3;
/// Embed colour (Discord blurple).
const COLOUR: u32 = 0x5865F2;
pub const CARD_FILE: &str = "round.png";

/// Posts summaries for every scan that imported rounds, until the scanner stops.
pub async fn run_poster(
    http: Arc<serenity::Http>,
    pool: PgPool,
    mut events: broadcast::Receiver<ScanEvent>,
    channel: serenity::ChannelId,
) {
    loop {
        match events.recv().await {
            Ok(ScanEvent::Finished(summary)) if !summary.imported.is_empty() => {
                let ids: Vec<i64> = summary.imported.iter().map(|(id, _)| *id).collect();
                if let Err(e) = post(&http, &pool, channel, &ids).await {
                    error!("posting round summaries: {e:#}");
                }
            }
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(n)) => {
                warn!("summary poster fell behind; {n} scan events skipped");
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

/// Posts the summaries of `round_ids`: one message each, or a digest for a backlog.
pub async fn post(
    http: &serenity::Http,
    pool: &PgPool,
    channel: serenity::ChannelId,
    round_ids: &[i64],
) -> anyhow::Result<()> {
    let mut summaries = Vec::with_capacity(round_ids.len());
    for id in round_ids {
        if let Some(s) = queries::round_post(pool, *id).await? {
            summaries.push(s);
        }
    }
    if summaries.len() > DIGEST_AFTER {
        let message = serenity::CreateMessage::new()
            .embed(digest_embed(&summaries))
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        channel.send_message(http, message).await?;
        return Ok(());
    }
    for s in &summaries {
        let png = render::render_round_card(&crate::present::round_card(s))?;
        let message = serenity::CreateMessage::new()
            .embed(round_embed(s).image(format!("attachment://{CARD_FILE}")))
            .add_file(serenity::CreateAttachment::bytes(png, CARD_FILE))
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        channel.send_message(http, message).await?;
    }
    Ok(())
}

fn ranked(rows: &[queries::PlayerFigure]) -> String {
    if rows.is_empty() {
        return "—".to_string();
    }
    rows.iter()
        .enumerate()
        .map(|(i, p)| format!("{}. {} — {}", i + 1, discord_name(&p.name), p.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The embed of one round's summary.
pub fn round_embed(s: &RoundPost) -> serenity::CreateEmbed {
    let r = &s.round;
    let duo = match &s.best_duo {
        Some(d) => format!(
            "{} + {} — {} crossfire kills, {} crossfires",
            discord_name(&d.name_a),
            discord_name(&d.name_b),
            d.crossfire_kills,
            d.crossfires
        ),
        None => "no crossfire this round".to_string(),
    };
    serenity::CreateEmbed::new()
        .title(format!(
            "{} · round {}",
            escape_markdown(&r.map),
            r.round_number
        ))
        .description(format!(
            "{} played · {} players",
            duration_label(r.duration_ms),
            r.player_count
        ))
        .colour(COLOUR)
        .field("Engagements", r.engagement_count.to_string(), true)
        .field("Crossfires", r.crossfire_count.to_string(), true)
        .field("Escapes", r.escape_count.to_string(), true)
        .field("Best duo", duo, false)
        .field("Top damage", ranked(&s.top_damage), true)
        .field("Top escapes", ranked(&s.top_escapes), true)
        .timestamp(serenity::Timestamp::from(r.played_at))
}

/// One embed for a backlog: a line per round (at most 20, then a count).
pub fn digest_embed(summaries: &[RoundPost]) -> serenity::CreateEmbed {
    let mut lines: Vec<String> = summaries
        .iter()
        .take(20)
        .map(|s| {
            let r = &s.round;
            format!(
                "**{}** round {} — {} engagements, {} crossfires, {} escapes",
                escape_markdown(&r.map),
                r.round_number,
                r.engagement_count,
                r.crossfire_count,
                r.escape_count
            )
        })
        .collect();
    if summaries.len() > 20 {
        lines.push(format!("… and {} more", summaries.len() - 20));
    }
    serenity::CreateEmbed::new()
        .title(format!("{} rounds imported", summaries.len()))
        .description(lines.join("\n"))
        .colour(COLOUR)
}

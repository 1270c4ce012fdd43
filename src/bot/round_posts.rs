//! Post-round summaries in `SUMMARY_CHANNEL_ID`: one message per new round (embed + summary
//! card), or one digest for a backlog. Durable: a round waits in the database until its
//! summary reached Discord, so a refused post is retried with backoff and survives restarts.

use std::sync::Arc;

use poise::serenity_prelude as serenity;
use sqlx::PgPool;
use tokio::sync::broadcast;
use tracing::{info, warn};

use super::Timing;
use super::discord_state::{Backoff, DiscordState, explain};
use super::limits::{self, Embed};
use crate::format::{Team, Winner};
use crate::present::{discord_name, duration_label, escape_markdown, winner_of};
use crate::render;
use crate::scanner::{ScanEvent, Scanner};
use crate::store::queries::{self, RoundPost};

/// More waiting rounds than this are posted as a single digest.
pub const DIGEST_AFTER: usize = 3;
/// Rounds listed in a digest; the rest are counted.
const DIGEST_LINES: usize = 20;
/// Embed colour (Discord blurple).
const COLOUR: u32 = 0x5865F2;
pub const CARD_FILE: &str = "round.png";

/// The task that posts waiting summaries.
pub struct Poster {
    pub http: Arc<serenity::Http>,
    pub pool: PgPool,
    pub channel: serenity::ChannelId,
    pub state: Arc<DiscordState>,
    pub timing: Timing,
    /// Waiting rounds are not posted while it scans: a backlog being imported is one digest
    /// when the scan ends, not a few posts and then a digest.
    pub scanner: Scanner,
    /// `PROXIMITY_INCLUDE_BOTS`: bots among the highlights.
    pub bots: bool,
    /// `WEB_PUBLIC_URL`: each summary links to its round's replay when set.
    pub public_url: Option<String>,
}

impl Poster {
    /// Checks the channel, then posts waiting summaries whenever a scan imported rounds (and
    /// every [`Timing::poster_poll`], for rounds imported by the command line), until the
    /// scanner stops. A failure is recorded and retried after a growing wait.
    pub async fn run(self, mut events: broadcast::Receiver<ScanEvent>) {
        self.check_channel().await;
        let mut backoff = Backoff::new(self.timing.retry_min, self.timing.retry_max);
        let mut sent = Vec::new();
        loop {
            let attempt = if self.scanner.status().scanning {
                Ok(0)
            } else {
                post_waiting(
                    &self.http,
                    &self.pool,
                    self.channel,
                    self.bots,
                    self.public_url.as_deref(),
                    &mut sent,
                )
                .await
            };
            let wait = match attempt {
                Ok(_) => {
                    backoff.reset();
                    self.timing.poster_poll
                }
                Err(e) => {
                    let wait = backoff.fail();
                    let text = match e.downcast_ref::<serenity::Error>() {
                        Some(d) => explain(d, "posting round summaries"),
                        None => format!("posting round summaries: {e:#}"),
                    };
                    warn!("{text}; retrying in {} ms", wait.as_millis());
                    if e.downcast_ref::<serenity::Error>().is_some() {
                        self.state.record_error(text);
                    }
                    wait
                }
            };
            // Wake at the end of the wait, or at once when a scan imports rounds.
            let woken = tokio::time::timeout(wait, async {
                loop {
                    match events.recv().await {
                        Ok(ScanEvent::Finished(s)) if !s.imported.is_empty() => return true,
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return false,
                    }
                }
            })
            .await;
            if woken == Ok(false) {
                break;
            }
        }
    }

    /// Says at start when the bot cannot see the channel, with what to fix.
    async fn check_channel(&self) {
        match self.channel.to_channel(&self.http).await {
            Ok(_) => info!("posting round summaries in channel {}", self.channel),
            Err(e) => {
                let text = format!(
                    "{}. Check SUMMARY_CHANNEL_ID ({}), and give the bot View Channel, Send \
                     Messages, Embed Links and Attach Files there",
                    explain(&e, "reading the summary channel"),
                    self.channel
                );
                warn!("{text}");
                self.state.record_error(text);
            }
        }
    }
}

/// Posts the summaries of the rounds waiting for one: each round on its own, or one digest for
/// more than [`DIGEST_AFTER`]. A round is marked posted as soon as its message is accepted;
/// each message carries a nonce Discord enforces, so a post repeated after a lost answer is
/// not shown twice. With `public_url`, each round's summary links to its replay. `sent` holds
/// rounds Discord accepted but the database has not recorded yet
/// (it failed): they are recorded first, so a long database outage does not repost them.
/// Returns how many rounds were posted.
pub async fn post_waiting(
    http: &serenity::Http,
    pool: &PgPool,
    channel: serenity::ChannelId,
    bots: bool,
    public_url: Option<&str>,
    sent: &mut Vec<i64>,
) -> anyhow::Result<usize> {
    if !sent.is_empty() {
        queries::mark_posted(pool, sent).await?;
        sent.clear();
    }
    let ids = queries::unposted_rounds(pool).await?;
    if ids.len() > DIGEST_AFTER {
        let mut shown = Vec::with_capacity(DIGEST_LINES);
        for id in ids.iter().take(DIGEST_LINES) {
            if let Some(s) = queries::round_post(pool, *id, bots).await? {
                shown.push(s);
            }
        }
        let message = serenity::CreateMessage::new()
            .embed(digest_embed(&shown, ids.len()).build())
            .nonce(serenity::Nonce::String(format!(
                "d{}-{}",
                ids[0],
                ids[ids.len() - 1]
            )))
            .enforce_nonce(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        channel.send_message(http, message).await?;
        sent.extend_from_slice(&ids);
        queries::mark_posted(pool, &ids).await?;
        sent.clear();
        return Ok(ids.len());
    }
    for id in &ids {
        if let Some(s) = queries::round_post(pool, *id, bots).await? {
            let card = crate::present::round_card(&s);
            let png =
                tokio::task::spawn_blocking(move || render::render_round_card(&card)).await??;
            let message = serenity::CreateMessage::new()
                .embed(
                    round_embed(&s, public_url)
                        .image(format!("attachment://{CARD_FILE}"))
                        .build(),
                )
                .add_file(serenity::CreateAttachment::bytes(png, CARD_FILE))
                .nonce(serenity::Nonce::String(format!("r{id}")))
                .enforce_nonce(true)
                .allowed_mentions(serenity::CreateAllowedMentions::new());
            channel.send_message(http, message).await?;
        }
        sent.push(*id);
        queries::mark_posted(pool, &[*id]).await?;
        sent.clear();
    }
    Ok(ids.len())
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

/// The embed of one round's summary; with the dashboard's `public_url`, its title and a field
/// link to the round's replay.
pub fn round_embed(s: &RoundPost, public_url: Option<&str>) -> Embed {
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
    let embed = Embed::new()
        .title(format!(
            "{} · round {}",
            escape_markdown(&r.map),
            r.round_number
        ))
        .description(format!(
            "{} played · {} players{}{}",
            duration_label(r.duration_ms),
            r.player_count,
            match r.winner.and_then(winner_of) {
                Some(Winner::Team(Team::Axis)) => " · Axis won",
                Some(Winner::Team(Team::Allies)) => " · Allies won",
                Some(Winner::Nobody) => " · no winner",
                None => "",
            },
            // The one server of a bot without SERVERS goes unnamed, as before servers existed.
            if r.server == crate::servers::DEFAULT_LABEL {
                String::new()
            } else {
                format!(" · server {}", escape_markdown(&r.server))
            }
        ))
        .colour(COLOUR)
        .field("Engagements", r.engagement_count.to_string(), true)
        .field("Crossfires", r.crossfire_count.to_string(), true)
        .field("Escapes", r.escape_count.to_string(), true)
        .field("Best duo", duo, false)
        .field("Top damage", ranked(&s.top_damage), true)
        .field("Top escapes", ranked(&s.top_escapes), true)
        .timestamp(serenity::Timestamp::from(r.played_at));
    match public_url {
        Some(base) => {
            let replay = crate::web::replay_url(base, r.id);
            embed
                .url(replay.clone())
                .field("Replay", format!("[Watch the round]({replay})"), false)
        }
        None => embed,
    }
}

/// One embed for a backlog of `total` rounds, listing `shown` (the first of them).
pub fn digest_embed(shown: &[RoundPost], total: usize) -> Embed {
    let mut lines: Vec<String> = shown
        .iter()
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
    if total > shown.len() {
        lines.push(format!("… and {} more", total - shown.len()));
    }
    Embed::new()
        .title(format!("{total} rounds imported"))
        .description(limits::lines_within(&lines, limits::DESCRIPTION))
        .colour(COLOUR)
}

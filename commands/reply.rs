//! Answering: number formats, rendering off the runtime, the image-or-message answer and the
//! cache that lets a crowd asking the same question share one query and one image.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poise::CreateReply;
use poise::serenity_prelude as serenity;
use tokio::sync::OnceCell;

use sqlx::PgPool;

use crate::bot::limits::{self, Embed};
use crate::bot::{Context, Error};
use crate::metrics::{Card, PlayerTotals};
use crate::present::{self, scope_text};
use crate::render::{self, RenderError};
use crate::store::queries::{self, CardFigure, PlayerRow, Scope};

/// The embed colour of every player command (Discord blurple).
pub const EMBED_COLOUR: u32 = 0x5865F2;

/// A figure with its unit: two decimals without a unit (per-round counts), else one.
pub fn figure(value: f64, unit: &str) -> String {
    if unit.is_empty() {
        format!("{value:.2}")
    } else {
        format!("{value:.1} {unit}")
    }
}

/// An optional figure; "—" when unknown.
pub fn opt_figure(value: Option<f64>, unit: &str) -> String {
    value.map_or_else(|| "—".to_string(), |v| figure(v, unit))
}

/// Renders on the blocking pool, so a slow image never stalls the gateway or other commands.
pub async fn render_png<F>(f: F) -> Result<Vec<u8>, Error>
where
    F: FnOnce() -> Result<Vec<u8>, RenderError> + Send + 'static,
{
    Ok(tokio::task::spawn_blocking(f).await??)
}

/// What an image command answers: an embed showing its PNG, or a "no data" message (an
/// answer, not an error).
#[derive(Clone)]
pub enum Answer {
    Image {
        embed: Box<Embed>,
        png: Arc<Vec<u8>>,
        file: &'static str,
    },
    /// An embed that carries the figures itself (a comparison of two players).
    Text(Box<Embed>),
    NoData(String),
}

impl Answer {
    pub fn image(embed: Embed, png: Vec<u8>, file: &'static str) -> Answer {
        Answer::Image {
            embed: Box::new(embed),
            png: Arc::new(png),
            file,
        }
    }
}

/// Sends an [`Answer`]: the embed with the PNG attached and shown as its image, or the message.
pub async fn send_answer(ctx: Context<'_>, answer: Answer) -> Result<(), Error> {
    let reply = match answer {
        Answer::Image { embed, png, file } => CreateReply::default()
            .embed(
                (*embed)
                    .colour(EMBED_COLOUR)
                    .image(format!("attachment://{file}"))
                    .build(),
            )
            .attachment(serenity::CreateAttachment::bytes(png.to_vec(), file)),
        Answer::Text(embed) => CreateReply::default().embed((*embed).colour(EMBED_COLOUR).build()),
        Answer::NoData(message) => CreateReply::default().content(limits::content(&message)),
    };
    ctx.send(reply).await?;
    Ok(())
}

/// A private text reply, within Discord's content limit.
pub async fn say_private(ctx: Context<'_>, text: &str) -> Result<(), Error> {
    ctx.send(
        CreateReply::default()
            .content(limits::content(text))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// How long an answer is reused for the same request while no round is imported or deleted
/// (relative periods move on, so not for ever).
const CACHE_TTL: Duration = Duration::from_secs(60);
const CACHE_MAX: usize = 256;

/// Recent answers by request, kept in the bot's [`Data`](crate::bot::Data).
#[derive(Default)]
pub struct AnswerCache {
    entries: Mutex<HashMap<String, CacheEntry>>,
}

struct CacheEntry {
    made: Instant,
    /// The rounds' count and latest id when the answer was made.
    version: (i64, i64),
    answer: Arc<OnceCell<Answer>>,
}

impl AnswerCache {
    /// The cell holding the answer to `key` for the rounds as they are at `version`: a new,
    /// empty cell when the request is new, older than [`CACHE_TTL`] or the rounds changed.
    fn cell(&self, key: String, version: (i64, i64)) -> Arc<OnceCell<Answer>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| e.made.elapsed() < CACHE_TTL);
        if entries.len() >= CACHE_MAX {
            entries.clear();
        }
        let fresh = || CacheEntry {
            made: Instant::now(),
            version,
            answer: Arc::new(OnceCell::new()),
        };
        let entry = entries.entry(key).or_insert_with(fresh);
        if entry.version != version {
            *entry = fresh();
        }
        Arc::clone(&entry.answer)
    }
}

/// The answer to the request `key` (the command and its resolved options): made by `make`, or
/// reused when the same request was answered in the last minute and the rounds have not changed
/// since. Identical requests in flight share one query and one render, so a crowd asking for
/// the same leaderboard after a round costs one image.
pub async fn cached<F>(ctx: Context<'_>, key: String, make: F) -> Result<Answer, Error>
where
    F: Future<Output = Result<Answer, Error>>,
{
    let version: (i64, i64) = sqlx::query_as("SELECT count(*), coalesce(max(id), 0) FROM rounds")
        .fetch_one(&ctx.data().pool)
        .await?;
    let cell = ctx.data().answers.cell(key, version);
    Ok(cell.get_or_try_init(|| make).await?.clone())
}

/// How many of an image's rows its embed quotes: the image carries the rest.
pub const QUOTED_ROWS: usize = 3;

/// The place in `input.rows` of the row an entry quotes: the query row it was built from when
/// the board's rows were built from query rows in order.
pub fn source_index(input: &render::LeaderboardInput, e: &render::LeaderEntry<'_>) -> usize {
    input
        .rows
        .iter()
        .position(|r| std::ptr::eq(r, e.row))
        .unwrap_or(0)
}

/// The top of a ranked image, in the image's own ranks and texts: "**#1** Name — value
/// (samples)", then how many more the image shows. `extra` adds what the image does not show.
pub fn quoted_entries(
    entries: &[render::LeaderEntry<'_>],
    extra: impl Fn(&render::LeaderEntry<'_>) -> String,
) -> String {
    let mut lines: Vec<String> = entries
        .iter()
        .take(QUOTED_ROWS)
        .map(|e| {
            format!(
                "**#{}** {} — {} ({}){}",
                e.rank,
                present::discord_name(&e.row.name_raw),
                e.value,
                e.samples,
                extra(e)
            )
        })
        .collect();
    if entries.len() > QUOTED_ROWS {
        lines.push(format!("… {} ranked in the image.", entries.len()));
    }
    lines.join("\n")
}

/// The top of a duos image, in its order and texts: "**#1** A + B — 9 crossfire kills · 16
/// crossfires · 6 rounds · 1.50 kills/round", then how many more the image shows. With
/// `partner_only`, only the first name (the partner; the second is the player asked about).
pub fn quoted_duos(input: &render::DuosInput, partner_only: bool) -> String {
    let rows = render::ranked_duos(input);
    let mut lines: Vec<String> = rows
        .iter()
        .take(QUOTED_ROWS)
        .enumerate()
        .map(|(i, d)| {
            let names = if partner_only {
                present::discord_name(&d.name_a)
            } else {
                format!(
                    "{} + {}",
                    present::discord_name(&d.name_a),
                    present::discord_name(&d.name_b)
                )
            };
            format!(
                "**#{}** {names} — {} crossfire kills · {}",
                i + 1,
                render::duo_kills(d),
                render::duo_stats(d)
            )
        })
        .collect();
    if rows.len() > QUOTED_ROWS {
        lines.push(format!("… {} ranked in the image.", rows.len()));
    }
    lines.join("\n")
}

/// A card's figures as inline embed fields, saying what the image does not: the player's place
/// among the ranked players ("#3 of 40 · top 8 %"), or what ranks them. Values and medians are
/// the image's.
pub fn card_fields(rows: &[CardFigure]) -> Vec<(String, String, bool)> {
    rows.iter()
        .map(|r| {
            let f = r.figure;
            let place = match (r.rank, r.top_percent()) {
                (Some((rank, of)), Some(top)) => format!("#{rank} of {of} · top {top} %"),
                _ => format!("not ranked: needs {} {}", f.min_samples, f.sample_label),
            };
            (f.label.to_string(), place, true)
        })
        .collect()
}

/// What a card command says around its image.
pub struct CardTexts {
    /// The "no data" answer, after the player's name: "has no rounds yet".
    pub nothing: &'static str,
    pub title: String,
    /// The embed's line of totals, after the scope.
    pub totals: fn(&PlayerTotals) -> String,
    pub file: &'static str,
    /// A last line under the totals (e.g. the player's linked accounts).
    pub note: Option<String>,
}

/// The answer of a card command: `card`'s figures of `who` in `scope` against the medians, as
/// an image and as embed fields, or the "no data" message.
pub async fn card_answer(
    pool: &PgPool,
    card: Card,
    who: &PlayerRow,
    scope: &Scope,
    shown: &str,
    texts: CardTexts,
) -> Result<Answer, Error> {
    let Some(figures) = queries::player_card(pool, card, &who.guid, scope).await? else {
        return Ok(Answer::NoData(format!(
            "{shown} {} ({}).",
            texts.nothing,
            scope_text(scope)
        )));
    };
    let name = crate::names::marked(&who.name, &who.guid);
    let input = match card {
        Card::Player => present::player_card(&name, &figures, scope),
        Card::Engagements => present::engagements_card(&name, &figures, scope),
    };
    let embed = Embed::new()
        .title(texts.title)
        .description(format!(
            "{} · {}{}",
            scope_text(scope),
            (texts.totals)(&figures.totals),
            texts.note.map(|n| format!("\n{n}")).unwrap_or_default()
        ))
        .fields(card_fields(&figures.rows));
    let png = render_png(move || render::render_player_card(&input)).await?;
    Ok(Answer::image(embed, png, texts.file))
}

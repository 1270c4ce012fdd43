//! What the player commands share: autocomplete of maps and players, resolving what the user
//! typed (name, GUID prefix or their linked account) with closest-match suggestions, the
//! choice enums, number formatting and the image reply.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use poise::CreateReply;
use poise::serenity_prelude as serenity;
use sqlx::PgPool;
use tokio::sync::OnceCell;

use crate::bot::{Context, Error, user_error};
use crate::heat::HeatKind;
use crate::names::{clean_name, match_key};
use crate::present::discord_name;
use crate::render::RenderError;
use crate::store::queries::{self, LeaderboardMetric, PlayerRow, Scope};

/// Discord accepts at most 25 autocomplete choices (poise does not cap them).
pub const MAX_CHOICES: usize = 25;
/// How many suggestions an "unknown name" message offers.
const SUGGESTIONS: usize = 3;
/// The embed colour of every player command (Discord blurple).
pub const EMBED_COLOUR: u32 = 0x5865F2;
/// Discord's limit on a choice's name.
const CHOICE_NAME_MAX: usize = 100;

// ---------------------------------------------------------------------------------------------
// Choices

/// What a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum HeatKindChoice {
    #[name = "kills"]
    Kills,
    #[name = "deaths"]
    Deaths,
    #[name = "movement"]
    Movement,
}

impl From<HeatKindChoice> for HeatKind {
    fn from(c: HeatKindChoice) -> Self {
        match c {
            HeatKindChoice::Kills => HeatKind::Kills,
            HeatKindChoice::Deaths => HeatKind::Deaths,
            HeatKindChoice::Movement => HeatKind::Movement,
        }
    }
}

/// What a leaderboard ranks (the nine metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, poise::ChoiceParameter)]
pub enum MetricChoice {
    #[name = "distance"]
    Distance,
    #[name = "sprint"]
    Sprint,
    #[name = "spawn reaction"]
    SpawnReaction,
    #[name = "survival"]
    Survival,
    #[name = "crossfire kills"]
    CrossfireKills,
    #[name = "trades"]
    Trades,
    #[name = "support uptime"]
    SupportUptime,
    #[name = "escape rate"]
    EscapeRate,
    #[name = "damage taken"]
    DamageTaken,
}

impl From<MetricChoice> for LeaderboardMetric {
    fn from(c: MetricChoice) -> Self {
        match c {
            MetricChoice::Distance => LeaderboardMetric::Distance,
            MetricChoice::Sprint => LeaderboardMetric::Sprint,
            MetricChoice::SpawnReaction => LeaderboardMetric::SpawnReaction,
            MetricChoice::Survival => LeaderboardMetric::Survival,
            MetricChoice::CrossfireKills => LeaderboardMetric::CrossfireKills,
            MetricChoice::Trades => LeaderboardMetric::Trades,
            MetricChoice::SupportUptime => LeaderboardMetric::SupportUptime,
            MetricChoice::EscapeRate => LeaderboardMetric::EscapeRate,
            MetricChoice::DamageTaken => LeaderboardMetric::DamageTaken,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Autocomplete

/// Maps with rounds whose name contains what was typed (case-insensitive), prefix matches
/// first, then most rounds.
pub async fn autocomplete_map(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let maps = queries::maps(&ctx.data().pool).await.unwrap_or_default();
    let key = partial.trim().to_lowercase();
    let mut hits: Vec<(bool, usize, &str)> = maps
        .iter()
        .enumerate()
        .filter(|(_, (m, _))| m.to_lowercase().contains(&key))
        .map(|(i, (m, _))| (!m.to_lowercase().starts_with(&key), i, m.as_str()))
        .collect();
    hits.sort();
    let choices = hits
        .into_iter()
        .take(MAX_CHOICES)
        .map(|(_, _, m)| serenity::AutocompleteChoice::new(choice_name(m), m))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Players whose cleaned name contains what was typed (case-insensitive, colour codes
/// ignored) or whose GUID starts with it. The choice shows the cleaned name and the GUID's end;
/// its value is the GUID, which [`resolve_player`] takes as is.
pub async fn autocomplete_player(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let found = queries::find_players(&ctx.data().pool, partial, MAX_CHOICES as i64)
        .await
        .unwrap_or_default();
    let choices = found
        .iter()
        .take(MAX_CHOICES)
        .map(|p| serenity::AutocompleteChoice::new(player_choice_name(p), p.guid.clone()))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// "Lucky Strike (…F8E8D8D2)": plain text (choices are never rendered as markdown and never
/// ping), at most 100 characters.
pub fn player_choice_name(p: &PlayerRow) -> String {
    let name = clean_name(&p.name);
    let name = if name.is_empty() {
        "(unnamed)".to_string()
    } else {
        name
    };
    let tail: String = {
        let chars: Vec<char> = p.guid.chars().collect();
        chars[chars.len().saturating_sub(8)..].iter().collect()
    };
    let suffix = format!(" (…{tail})");
    let room = CHOICE_NAME_MAX - suffix.chars().count();
    format!("{}{suffix}", name.chars().take(room).collect::<String>())
}

fn choice_name(s: &str) -> String {
    let s: String = s.chars().take(CHOICE_NAME_MAX).collect();
    if s.is_empty() {
        "(none)".to_string()
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Resolving what the user typed

/// What the user typed, safe inside a code span of a message: no backticks, no mentions,
/// at most 40 characters.
pub fn quoted(input: &str) -> String {
    let s: String = clean_name(input.as_bytes())
        .chars()
        .filter(|c| *c != '`')
        .take(40)
        .collect();
    format!("`{}`", s.replace('@', "@\u{200b}"))
}

/// The `n` candidates closest to `input` (Jaro-Winkler on lower-case cleaned text; containing
/// the input counts as a near match).
pub fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let key = match_key(input.as_bytes());
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            let ck = match_key(c.as_bytes());
            let mut score = strsim::jaro_winkler(&key, &ck);
            if !key.is_empty() && (ck.contains(&key) || key.contains(&ck)) {
                score += 1.0;
            }
            (score, c)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// The player a command is about: the name or GUID given, else the caller's linked account.
/// The start of every player-scoped command: defer, resolve the player (or the user's linked
/// one) and the map/period scope, and the player's name for embed text.
pub async fn player_request(
    ctx: Context<'_>,
    name: Option<&str>,
    map: Option<&str>,
    days: Option<i64>,
) -> Result<(PlayerRow, Scope, String), Error> {
    ctx.defer().await?;
    let who = resolve_player(ctx, name).await?;
    let scope = scope(&ctx.data().pool, map, days).await?;
    let shown = discord_name(&who.name);
    Ok((who, scope, shown))
}

pub async fn resolve_player(ctx: Context<'_>, name: Option<&str>) -> Result<PlayerRow, Error> {
    let pool = &ctx.data().pool;
    match name.map(str::trim).filter(|s| !s.is_empty()) {
        Some(input) => find_player(pool, input).await,
        None => {
            let Some(guid) = queries::linked_guid(pool, ctx.author().id.get()).await? else {
                return Err(user_error(
                    "Give a player name, or link your Discord account to your player with /link.",
                ));
            };
            queries::player(pool, &guid).await?.ok_or_else(|| {
                user_error("Your linked player has no rounds any more. Link another with /link.")
            })
        }
    }
}

/// A player by GUID (exact, case-insensitive), exact cleaned name, or a name part / GUID prefix
/// that only one player matches. Otherwise a [`crate::bot::UserError`] naming the candidates or
/// the closest names.
pub async fn find_player(pool: &PgPool, input: &str) -> Result<PlayerRow, Error> {
    for guid in [input.to_string(), input.to_uppercase()] {
        if let Some(p) = queries::player(pool, &guid).await? {
            return Ok(p);
        }
    }
    let found = queries::find_players(pool, input, 26).await?;
    let key = match_key(input.as_bytes());
    if let Some(p) = found.iter().find(|p| match_key(&p.name) == key) {
        return Ok(p.clone());
    }
    match found.len() {
        1 => return Ok(found[0].clone()),
        0 => {}
        _ => {
            let names: Vec<String> = found
                .iter()
                .take(SUGGESTIONS)
                .map(|p| discord_name(&p.name))
                .collect();
            return Err(user_error(format!(
                "{} matches several players: {}. Pick one from the list or type more of the name.",
                quoted(input),
                names.join(", ")
            )));
        }
    }
    let all = queries::all_player_names(pool).await?;
    if all.is_empty() {
        return Err(user_error(format!(
            "No player matches {}: no rounds have been imported yet.",
            quoted(input)
        )));
    }
    let displays: Vec<String> = all.iter().map(|p| clean_name(&p.name)).collect();
    let near = closest(input, displays.iter().map(String::as_str), SUGGESTIONS);
    let near: Vec<String> = near.iter().map(|n| discord_name(n.as_bytes())).collect();
    Err(user_error(format!(
        "No player matches {}. Did you mean: {}?",
        quoted(input),
        near.join(", ")
    )))
}

/// The map a command is about, as the database names it: exact (case-insensitive), or the only
/// map containing what was typed. A known map without rounds is returned as typed (the command
/// then says there is no data); anything else is a [`crate::bot::UserError`] with the closest
/// maps.
pub async fn resolve_map(pool: &PgPool, input: &str) -> Result<String, Error> {
    let maps = queries::maps(pool).await?;
    let key = input.trim().to_lowercase();
    if let Some((m, _)) = maps.iter().find(|(m, _)| m.to_lowercase() == key) {
        return Ok(m.clone());
    }
    let containing: Vec<&String> = maps
        .iter()
        .map(|(m, _)| m)
        .filter(|m| !key.is_empty() && m.to_lowercase().contains(&key))
        .collect();
    if let [only] = containing.as_slice() {
        return Ok((*only).clone());
    }
    if crate::maps::map_info(&key).is_some() {
        return Ok(key);
    }
    if maps.is_empty() {
        return Err(user_error(format!(
            "No map called {}: no rounds have been imported yet.",
            quoted(input)
        )));
    }
    let near = closest(input, maps.iter().map(|(m, _)| m.as_str()), SUGGESTIONS);
    let near: Vec<String> = near
        .iter()
        .map(|m| crate::present::escape_markdown(m))
        .collect();
    Err(user_error(format!(
        "No map called {}. Did you mean: {}?",
        quoted(input),
        near.join(", ")
    )))
}

/// The scope of a command's `map` and `days` options (the map resolved first).
pub async fn scope(pool: &PgPool, map: Option<&str>, days: Option<i64>) -> Result<Scope, Error> {
    let map = match map.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Some(resolve_map(pool, m).await?),
        None => None,
    };
    Ok(Scope {
        map,
        days,
        now: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Replies

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
        embed: Box<serenity::CreateEmbed>,
        png: Arc<Vec<u8>>,
        file: &'static str,
    },
    NoData(String),
}

impl Answer {
    pub fn image(embed: serenity::CreateEmbed, png: Vec<u8>, file: &'static str) -> Answer {
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
                    .image(format!("attachment://{file}")),
            )
            .attachment(serenity::CreateAttachment::bytes(png.to_vec(), file)),
        Answer::NoData(message) => CreateReply::default().content(message),
    };
    ctx.send(reply).await?;
    Ok(())
}

/// How long an answer is reused for the same request while no round is imported or deleted
/// (relative periods move on, so not for ever).
const CACHE_TTL: Duration = Duration::from_secs(60);
const CACHE_MAX: usize = 256;

struct CacheEntry {
    made: Instant,
    version: (i64, i64),
    answer: Arc<OnceCell<Answer>>,
}

static CACHE: LazyLock<Mutex<HashMap<String, CacheEntry>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The answer to the request `key` (the command and its resolved options): made by `make`,
/// or reused when the same request was answered in the last minute and the rounds have not
/// changed since. Identical requests in flight share one query and one render, so a crowd
/// asking for the same leaderboard after a round costs one image.
pub async fn cached<F>(pool: &PgPool, key: String, make: F) -> Result<Answer, Error>
where
    F: Future<Output = Result<Answer, Error>>,
{
    let version: (i64, i64) = sqlx::query_as("SELECT count(*), coalesce(max(id), 0) FROM rounds")
        .fetch_one(pool)
        .await?;
    let db = pool
        .connect_options()
        .get_database()
        .unwrap_or_default()
        .to_string();
    let key = format!("{db}\n{key}");
    let cell = {
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|_, e| e.made.elapsed() < CACHE_TTL);
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        let fresh = || CacheEntry {
            made: Instant::now(),
            version,
            answer: Arc::new(OnceCell::new()),
        };
        let entry = cache.entry(key).or_insert_with(fresh);
        if entry.version != version {
            *entry = fresh();
        }
        Arc::clone(&entry.answer)
    };
    Ok(cell.get_or_try_init(|| make).await?.clone())
}

/// Numbered embed lines ("**1.** …"), within Discord's description limit.
pub fn numbered(lines: impl IntoIterator<Item = String>) -> String {
    let mut out = String::new();
    for (i, line) in lines.into_iter().enumerate() {
        let next = format!("**{}.** {line}\n", i + 1);
        if out.len() + next.len() > 4000 {
            break;
        }
        out.push_str(&next);
    }
    out.trim_end().to_string()
}

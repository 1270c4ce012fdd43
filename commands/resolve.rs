//! Resolving what the user typed: a player (name, GUID prefix or their linked account) or a map,
//! with closest-match suggestions when nothing matches.

use sqlx::PgPool;

use crate::bot::{Context, Data, Error, user_error};
use crate::names::{clean_name, match_key};
use crate::present::discord_name;
use crate::store::queries::{self, PlayerRow, Scope};

/// How many suggestions an "unknown name" message offers.
const SUGGESTIONS: usize = 3;

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
    server: Option<&str>,
) -> Result<(PlayerRow, Scope, String), Error> {
    crate::bot::acknowledge(ctx).await?;
    let who = resolve_player(ctx, name).await?;
    let scope = scope(ctx.data(), map, days, server).await?;
    let shown = discord_name(&crate::names::marked(&who.name, &who.guid));
    Ok((who, scope, shown))
}

/// Whether the caller may manage the server (Discord sends their permissions with the
/// interaction, so this asks nothing of Discord).
pub async fn is_admin(ctx: Context<'_>) -> bool {
    ctx.author_member()
        .await
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_guild() || p.administrator())
}

/// What a player option takes for the caller's own linked player.
pub const ME: &str = "me";

/// Whether `input` asks for the caller's linked player.
pub fn is_me(input: &str) -> bool {
    input.trim().eq_ignore_ascii_case(ME)
}

pub async fn resolve_player(ctx: Context<'_>, name: Option<&str>) -> Result<PlayerRow, Error> {
    let pool = &ctx.data().pool;
    match name.map(str::trim).filter(|s| !s.is_empty() && !is_me(s)) {
        Some(input) => find_player(pool, input).await,
        None => {
            let Some(guid) = queries::linked_guid(pool, ctx.author().id.get()).await? else {
                return Err(user_error(
                    "Give a player name, or link your Discord account to your player with /link \
                     (an admin confirms it).",
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
    match queries::match_player(pool, input).await? {
        queries::PlayerMatch::One(p) => return Ok(p),
        queries::PlayerMatch::Several(found) => {
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
        queries::PlayerMatch::None => {}
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

/// The scope of a command's `map`, `days` and `server` options (the map resolved first).
pub async fn scope(
    data: &Data,
    map: Option<&str>,
    days: Option<i64>,
    server: Option<&str>,
) -> Result<Scope, Error> {
    let map = match map.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Some(resolve_map(&data.pool, m).await?),
        None => None,
    };
    let server = match server.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(resolve_server(data, s).await?),
        None => None,
    };
    Ok(Scope {
        map,
        days,
        now: None,
        bots: data.config.include_bots,
        server,
    })
}

/// The server labels a `server` option can name: the configured ones, then those of stored
/// rounds (a server removed from `SERVERS` keeps its rounds).
pub async fn server_labels(data: &Data) -> Result<Vec<String>, Error> {
    let mut labels: Vec<String> = data.servers.iter().map(|s| s.label.clone()).collect();
    for (label, _) in queries::rounds_per_server(&data.pool).await? {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    Ok(labels)
}

/// A `server` option: a known label (case-insensitive), or a message listing them.
pub async fn resolve_server(data: &Data, input: &str) -> Result<String, Error> {
    let labels = server_labels(data).await?;
    let wanted = input.trim().to_lowercase();
    match labels.iter().find(|l| **l == wanted) {
        Some(l) => Ok(l.clone()),
        None => Err(user_error(format!(
            "No server called {}. The servers are: {}.",
            quoted(input),
            labels
                .iter()
                .map(|l| crate::present::escape_markdown(l))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

//! The JSON API, version 1 (`/api/v1/…`): each handler is glue — parameters, the store's read,
//! the shape below, the reply. The shapes are documented in the README.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::WebState;
use super::error::WebError;
use super::frame::{Frame, frame_of};
use super::params::{Filters, heat_kind_name, known_servers, resolve_map, resolve_player};
use super::replay;
use crate::heat::{HeatKind, KILL_BIN, PRESENCE_CELL};
use crate::metrics::{Better, Card, Figure};
use crate::names::clean_name;
use crate::store::queries::{self, PlayerRow, RoundHeadline, Scope};

type ApiResult = Result<Response, WebError>;

/// A JSON answer that clients may keep for 30 s, then revalidate by ETag.
fn reply<T: Serialize>(value: &T) -> ApiResult {
    let mut r = Json(value).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=30"),
    );
    Ok(r)
}

/// What an answer covers, echoed back.
#[derive(Serialize)]
pub struct ScopeOut {
    pub map: Option<String>,
    pub days: Option<i64>,
    pub server: Option<String>,
    pub player: Option<PlayerOut>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct PlayerOut {
    pub guid: String,
    pub name: String,
}

impl PlayerOut {
    fn of(p: &PlayerRow) -> PlayerOut {
        PlayerOut {
            guid: p.guid.clone(),
            name: clean_name(&crate::names::marked(&p.name, &p.guid)),
        }
    }
}

fn scope_out(scope: &Scope, player: Option<&PlayerRow>) -> ScopeOut {
    ScopeOut {
        map: scope.map.clone(),
        days: scope.days,
        server: scope.server.clone(),
        player: player.map(PlayerOut::of),
    }
}

/// The scope and player of a request's filters.
async fn filters(state: &WebState, f: &Filters) -> Result<(Scope, Option<PlayerRow>), WebError> {
    let scope = f.scope(state).await?;
    let player = f.player(&state.pool).await?;
    Ok((scope, player))
}

#[derive(Serialize)]
struct Summary {
    scope: ScopeOut,
    rounds: i64,
    engagements: i64,
    kills: i64,
    crossfires: i64,
    escapes: i64,
    /// Players counted in scope (not filtered by `player`).
    players: i64,
    support_mean_pct: Option<f64>,
    first_played: Option<DateTime<Utc>>,
    last_played: Option<DateTime<Utc>>,
}

/// `GET /api/v1/proximity/summary`: the headline sums of the rounds in scope.
pub async fn summary(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    let (scope, player) = filters(&state, &f).await?;
    let guid = player.as_ref().map(|p| p.guid.as_str());
    let (o, players) = tokio::try_join!(
        queries::overview(&state.pool, &scope, guid),
        queries::player_count(&state.pool, &scope)
    )?;
    reply(&Summary {
        scope: scope_out(&scope, player.as_ref()),
        rounds: o.rounds,
        engagements: o.engagements,
        kills: o.kills,
        crossfires: o.crossfires,
        escapes: o.escapes,
        players,
        support_mean_pct: o.support_mean_pct,
        first_played: o.first_played,
        last_played: o.last_played,
    })
}

#[derive(Serialize)]
struct Timeline {
    scope: ScopeOut,
    bucket: &'static str,
    points: Vec<TimelineOut>,
}

#[derive(Serialize)]
struct TimelineOut {
    start: DateTime<Utc>,
    rounds: i64,
    engagements: i64,
    kills: i64,
    crossfires: i64,
    escapes: i64,
}

/// `GET /api/v1/proximity/engagements`: engagements, kills, crossfires and escapes per day,
/// week or month.
pub async fn engagements(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    let (scope, player) = filters(&state, &f).await?;
    let guid = player.as_ref().map(|p| p.guid.as_str());
    // The bars fit the span actually played when it is shorter than the period asked for.
    let played = queries::played_span(&state.pool, &scope, guid)
        .await?
        .map(|(first, last)| (last - first).num_days() + 1);
    let days = match (scope.days, played) {
        (Some(d), Some(p)) => Some(d.min(p)),
        (d, p) => d.or(p),
    };
    let bucket = queries::Bucket::for_days(days);
    let points = queries::timeline(&state.pool, &scope, guid, bucket).await?;
    reply(&Timeline {
        scope: scope_out(&scope, player.as_ref()),
        bucket: bucket.as_str(),
        points: points
            .into_iter()
            .map(|p| TimelineOut {
                start: p.start,
                rounds: p.rounds,
                engagements: p.engagements,
                kills: p.kills,
                crossfires: p.crossfires,
                escapes: p.escapes,
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct Hotzones {
    scope: ScopeOut,
    kind: &'static str,
    rounds: i64,
    /// The grid (units) the points are the centres of.
    cell: f64,
    frame: Option<Frame>,
    /// `[x, y, weight, team]` (team 1 Axis, 2 Allies, 0 none).
    points: Vec<(f64, f64, i64, i16)>,
}

/// `GET /api/v1/proximity/hotzones?map=…`: the weighted points of a heatmap.
pub async fn hotzones(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    let (scope, player) = filters(&state, &f).await?;
    let kind = f.kind()?;
    let Some(map) = scope.map.clone() else {
        return Err(WebError::BadRequest(
            "map: a hotzone map needs a map".into(),
        ));
    };
    let (points, rounds) = queries::heatmap(
        &state.pool,
        kind,
        &scope,
        player.as_ref().map(|p| p.guid.as_str()),
    )
    .await?;
    reply(&Hotzones {
        scope: scope_out(&scope, player.as_ref()),
        kind: heat_kind_name(kind),
        rounds,
        cell: match kind {
            HeatKind::Movement => PRESENCE_CELL,
            _ => KILL_BIN,
        },
        frame: frame_for(&state, &map).await,
        points: points
            .into_iter()
            .map(|p| (p.x, p.y, p.weight, p.team.unwrap_or(0)))
            .collect(),
    })
}

#[derive(Serialize)]
struct Boards {
    scope: ScopeOut,
    figures: Vec<Board>,
}

#[derive(Serialize)]
struct Board {
    key: &'static str,
    title: &'static str,
    unit: &'static str,
    better: &'static str,
    leaders: Vec<Leader>,
    /// The filtered player's figure, median and place, with `player`.
    player: Option<PlayerFigure>,
}

#[derive(Serialize)]
struct Leader {
    guid: String,
    name: String,
    value: f64,
    samples: i64,
}

#[derive(Serialize)]
struct PlayerFigure {
    value: Option<f64>,
    median: Option<f64>,
    rank: Option<i64>,
    of: Option<i64>,
}

/// The leaderboards of `keys` in scope and the player's card when given, read concurrently.
async fn boards(state: &WebState, f: &Filters, keys: &[&'static str]) -> ApiResult {
    let (scope, player) = filters(state, f).await?;
    let limit = f.limit(10, 50)?;
    let figures: Vec<&'static Figure> = keys.iter().filter_map(|k| Figure::by_key(k)).collect();
    let reads = figures
        .iter()
        .map(|fig| queries::leaderboard(&state.pool, fig, &scope, limit));
    let card = async {
        match &player {
            Some(p) => queries::player_card(&state.pool, Card::Player, &p.guid, &scope).await,
            None => Ok(None),
        }
    };
    let (boards, card) = tokio::try_join!(futures::future::try_join_all(reads), card)?;
    let out = figures
        .iter()
        .zip(boards)
        .map(|(fig, rows)| Board {
            key: fig.key,
            title: fig.title,
            unit: fig.unit,
            better: match fig.better {
                Better::Higher => "higher",
                Better::Lower => "lower",
            },
            leaders: rows
                .into_iter()
                .map(|r| Leader {
                    name: clean_name(&r.name),
                    guid: r.guid,
                    value: r.value,
                    samples: r.samples,
                })
                .collect(),
            player: card.as_ref().and_then(|c| {
                c.rows
                    .iter()
                    .find(|row| row.figure.key == fig.key)
                    .map(|row| PlayerFigure {
                        value: row.value,
                        median: row.median,
                        rank: row.rank.map(|r| r.0),
                        of: row.rank.map(|r| r.1),
                    })
            }),
        })
        .collect();
    reply(&Boards {
        scope: scope_out(&scope, player.as_ref()),
        figures: out,
    })
}

/// The movement figures of the overview.
pub const MOVER_FIGURES: [&str; 4] = ["distance", "sprint", "spawn reaction", "survival"];
/// The team-play figures of the overview.
pub const TEAMPLAY_FIGURES: [&str; 4] =
    ["crossfire kills", "trades", "support uptime", "escape rate"];

/// `GET /api/v1/proximity/movers`: distance, sprint, spawn reaction and survival leaders.
pub async fn movers(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    boards(&state, &f, &MOVER_FIGURES).await
}

/// `GET /api/v1/proximity/teamplay`: crossfire kills, trades, support uptime and escape rate
/// leaders.
pub async fn teamplay(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    boards(&state, &f, &TEAMPLAY_FIGURES).await
}

#[derive(Serialize)]
struct Duos {
    scope: ScopeOut,
    duos: Vec<Duo>,
}

#[derive(Serialize)]
struct Duo {
    a: PlayerOut,
    b: PlayerOut,
    crossfires: i64,
    crossfire_kills: i64,
    rounds_together: i64,
    combined_damage: i64,
}

/// `GET /api/v1/proximity/duos`: the best pairs by crossfire kills (with `player`, that
/// player's crossfire partners; `a` is the partner).
pub async fn duos(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    let (scope, player) = filters(&state, &f).await?;
    let limit = f.limit(20, 100)?;
    let rows = match &player {
        Some(p) => queries::crossfire_partners(&state.pool, &p.guid, &scope, limit).await?,
        None => queries::best_duos(&state.pool, &scope, 1, limit).await?,
    };
    let named = |guid: &str, name: &[u8]| PlayerOut {
        guid: guid.to_string(),
        name: clean_name(name),
    };
    reply(&Duos {
        scope: scope_out(&scope, player.as_ref()),
        duos: rows
            .iter()
            .map(|d| Duo {
                a: named(&d.guid_a, &d.name_a),
                b: named(&d.guid_b, &d.name_b),
                crossfires: d.crossfires,
                crossfire_kills: d.crossfire_kills,
                rounds_together: d.rounds_together,
                combined_damage: d.combined_damage,
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct MapOut {
    name: String,
    rounds: i64,
}

/// `GET /api/v1/maps`: the maps with rounds (of `server` when given), most played first.
pub async fn maps(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    let server = f.scope(&state).await?.server;
    let maps = queries::maps_on(&state.pool, server.as_deref()).await?;
    reply(
        &maps
            .into_iter()
            .map(|(name, rounds)| MapOut { name, rounds })
            .collect::<Vec<_>>(),
    )
}

#[derive(Serialize)]
struct MapDetail {
    name: String,
    frame: Option<Frame>,
    objectives: Vec<ObjectiveOut>,
}

#[derive(Serialize)]
struct ObjectiveOut {
    name: String,
    kind: String,
    x: f64,
    y: f64,
}

#[derive(Serialize)]
struct ServerOut {
    name: String,
    rounds: i64,
}

/// `GET /api/v1/servers`: the game servers a `server` filter can name, configured ones first.
pub async fn servers(State(state): State<WebState>) -> ApiResult {
    let known = known_servers(&state).await?;
    reply(
        &known
            .into_iter()
            .map(|(name, rounds)| ServerOut { name, rounds })
            .collect::<Vec<_>>(),
    )
}

/// `GET /api/v1/maps/{map}`: the map's command-map frame (`null` when unknown) and objectives.
pub async fn map(State(state): State<WebState>, Path(map): Path<String>) -> ApiResult {
    let name = resolve_map(&state.pool, &map).await?;
    let objectives = crate::maps::map_info(&name)
        .map(|m| {
            m.objectives
                .iter()
                .map(|o| ObjectiveOut {
                    name: o.name.clone(),
                    kind: o.kind.clone(),
                    x: o.x,
                    y: o.y,
                })
                .collect()
        })
        .unwrap_or_default();
    reply(&MapDetail {
        frame: frame_for(&state, &name).await,
        name,
        objectives,
    })
}

/// `GET /api/v1/players?q=…`: up to 10 players whose name contains `q`, or whose GUID starts
/// with it.
pub async fn players(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    let q = f.q.as_deref().map(str::trim).unwrap_or_default();
    if q.is_empty() || q.len() > 64 {
        return Err(WebError::BadRequest(
            "q: give 1 to 64 characters of a name or GUID".into(),
        ));
    }
    let found = queries::find_players(&state.pool, q, f.limit(10, 25)?).await?;
    reply(&found.iter().map(PlayerOut::of).collect::<Vec<_>>())
}

#[derive(Serialize)]
struct PlayerPage {
    scope: ScopeOut,
    player: PlayerOut,
    /// The player card's figures (`null` values when the player has none in scope).
    figures: Vec<CardOut>,
    partners: Vec<Duo>,
    rounds: Vec<RoundOut>,
}

#[derive(Serialize)]
struct CardOut {
    key: &'static str,
    label: &'static str,
    unit: &'static str,
    better: &'static str,
    value: Option<f64>,
    median: Option<f64>,
    rank: Option<i64>,
    of: Option<i64>,
}

/// `GET /api/v1/players/{player}`: a player's card, crossfire partners and latest rounds.
pub async fn player(
    State(state): State<WebState>,
    Path(who): Path<String>,
    Query(f): Query<Filters>,
) -> ApiResult {
    let p = resolve_player(&state.pool, &who).await?;
    let scope = f.scope(&state).await?;
    let (card, partners, rounds) = tokio::try_join!(
        queries::player_card(&state.pool, Card::Player, &p.guid, &scope),
        queries::crossfire_partners(&state.pool, &p.guid, &scope, 10),
        queries::recent_rounds(&state.pool, &scope, Some(&p.guid), 10),
    )?;
    let figures = Card::Player
        .figures()
        .into_iter()
        .map(|fig| {
            let row = card
                .as_ref()
                .and_then(|c| c.rows.iter().find(|r| r.figure.key == fig.key));
            CardOut {
                key: fig.key,
                label: fig.label,
                unit: fig.unit,
                better: match fig.better {
                    Better::Higher => "higher",
                    Better::Lower => "lower",
                },
                value: row.and_then(|r| r.value),
                median: row.and_then(|r| r.median),
                rank: row.and_then(|r| r.rank.map(|x| x.0)),
                of: row.and_then(|r| r.rank.map(|x| x.1)),
            }
        })
        .collect();
    reply(&PlayerPage {
        scope: scope_out(&scope, Some(&p)),
        player: PlayerOut::of(&p),
        figures,
        partners: partners
            .iter()
            .map(|d| Duo {
                a: PlayerOut {
                    guid: d.guid_a.clone(),
                    name: clean_name(&d.name_a),
                },
                b: PlayerOut::of(&p),
                crossfires: d.crossfires,
                crossfire_kills: d.crossfire_kills,
                rounds_together: d.rounds_together,
                combined_damage: d.combined_damage,
            })
            .collect(),
        rounds: rounds.iter().map(RoundOut::of).collect(),
    })
}

#[derive(Serialize)]
pub struct RoundOut {
    id: i64,
    map: String,
    round_number: i16,
    played_at: DateTime<Utc>,
    duration_ms: i64,
    engagements: i32,
    kills: i32,
    crossfires: i32,
    escapes: i32,
    players: i32,
    winner: Option<i16>,
    /// The label of the game server it was played on.
    server: String,
}

impl RoundOut {
    fn of(r: &RoundHeadline) -> RoundOut {
        RoundOut {
            id: r.id,
            map: r.map.clone(),
            round_number: r.round_number,
            played_at: r.played_at,
            duration_ms: r.duration_ms,
            engagements: r.engagement_count,
            kills: r.kill_count,
            crossfires: r.crossfire_count,
            escapes: r.escape_count,
            players: r.player_count,
            winner: r.winner,
            server: r.server.clone(),
        }
    }
}

/// `GET /api/v1/rounds`: the latest rounds in scope (of the player's rounds with `player`).
pub async fn rounds(State(state): State<WebState>, Query(f): Query<Filters>) -> ApiResult {
    let (scope, player) = filters(&state, &f).await?;
    let rows = queries::recent_rounds(
        &state.pool,
        &scope,
        player.as_ref().map(|p| p.guid.as_str()),
        f.limit(20, 100)?,
    )
    .await?;
    reply(&rows.iter().map(RoundOut::of).collect::<Vec<_>>())
}

/// A round id from the path: a positive number, else a 404.
pub fn round_id(raw: &str) -> Result<i64, WebError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| WebError::NotFound {
            what: format!("round {}", raw.chars().take(20).collect::<String>()),
            suggestions: Vec::new(),
        })
}

/// The round `id`, or a 404 suggesting the latest rounds.
pub async fn find_round(state: &WebState, raw: &str) -> Result<RoundHeadline, WebError> {
    let id = round_id(raw)?;
    match queries::round(&state.pool, id).await? {
        Some(r) => Ok(r),
        None => {
            let latest = queries::recent_rounds(&state.pool, &Scope::all(), None, 5).await?;
            Err(WebError::NotFound {
                what: format!("round {id}"),
                suggestions: latest
                    .iter()
                    .map(|r| super::error::Suggestion {
                        name: format!("{} round {} ({})", r.map, r.round_number, r.played_at),
                        href: format!("/rounds/{}", r.id),
                    })
                    .collect(),
            })
        }
    }
}

/// `GET /api/v1/rounds/{id}/replay`: the round's replay in the binary layout of
/// [`replay`](super::replay).
pub async fn replay(State(state): State<WebState>, Path(raw): Path<String>) -> ApiResult {
    let round = find_round(&state, &raw).await?;
    let rows = queries::replay_rows(&state.pool, round.id).await?;
    let frame = frame_for(&state, &round.map).await.unwrap_or_else(|| {
        Frame::around(
            rows.lives
                .iter()
                .flat_map(|l| &l.path)
                .map(|s| (s.pos.x, s.pos.y)),
        )
    });
    let bytes = tokio::task::spawn_blocking(move || replay::encode(&round, &rows, &frame))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let mut r = bytes.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    // A round never changes once imported, but may be replaced by a fuller file: revalidate
    // after an hour.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(r)
}

/// The frame `map` is drawn in: its command map's, with the image's address, when the server's
/// files have one; else the frame the binary knows.
async fn frame_for(state: &WebState, map: &str) -> Option<Frame> {
    match state.command_maps.get(map).await {
        Some(cm) => Some(Frame {
            mins: [cm.mins.0, cm.mins.1],
            maxs: [cm.maxs.0, cm.maxs.1],
            image_url: Some(format!("/api/v1/maps/{}/command-map.png", cm.map)),
        }),
        None => frame_of(map),
    }
}

/// `GET /api/v1/maps/{map}/command-map.png`: the map's command map as the heatmaps and the
/// replay draw it (north up); 404 when the server's files have none.
pub async fn command_map_image(
    State(state): State<WebState>,
    Path(map): Path<String>,
) -> ApiResult {
    let Some(cm) = state.command_maps.get(&map).await else {
        return Err(WebError::NotFound {
            what: format!("a command map for {map} (`proximity maps` says why there is none)"),
            suggestions: Vec::new(),
        });
    };
    let cached = state.command_map_pngs.lock().ok().and_then(|c| {
        c.get(&cm.map)
            .filter(|(m, _)| Arc::ptr_eq(m, &cm))
            .map(|e| e.1.clone())
    });
    let png = match cached {
        Some(png) => png,
        None => {
            let from = Arc::clone(&cm);
            let png = tokio::task::spawn_blocking(move || {
                let mut out = std::io::Cursor::new(Vec::new());
                from.image
                    .write_to(&mut out, image::ImageFormat::Png)
                    .map(|()| bytes::Bytes::from(out.into_inner()))
            })
            .await
            .map_err(|e| WebError::Internal(e.into()))?
            .map_err(|e| WebError::Internal(e.into()))?;
            if let Ok(mut c) = state.command_map_pngs.lock() {
                c.insert(cm.map.clone(), (Arc::clone(&cm), png.clone()));
            }
            png
        }
    };
    let mut r = png.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(r)
}

/// Any other `/api/v1/…` address.
pub async fn not_found() -> WebError {
    WebError::NotFound {
        what: "such API route (see the README's web section)".into(),
        suggestions: Vec::new(),
    }
}

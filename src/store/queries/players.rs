//! Players: finding them by name, the Discord links, and a player's card (their figures next to
//! each figure's median over the players in scope).

use sqlx::{FromRow, PgPool, QueryBuilder, Row};

use super::figure_sql;
use super::scope::Scope;
use crate::metrics::{Better, Card, Figure, PlayerSums, PlayerTotals};
use crate::store::StoreError;

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct PlayerRow {
    pub guid: String,
    pub name: Vec<u8>,
    pub display_name: String,
}

/// Players whose cleaned name contains `partial` (case-insensitive) or whose GUID starts with
/// it, most recently seen first.
pub async fn find_players(
    pool: &PgPool,
    partial: &str,
    limit: i64,
) -> Result<Vec<PlayerRow>, StoreError> {
    let key = crate::names::match_key(partial.as_bytes());
    let like = format!(
        "%{}%",
        key.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let guid_prefix = format!("{}%", partial.trim().to_uppercase().replace('%', ""));
    Ok(sqlx::query_as(
        "SELECT guid, name, display_name FROM players
         WHERE match_key LIKE $1 OR upper(guid) LIKE $2
         ORDER BY (match_key = $3) DESC, (match_key LIKE $4) DESC, last_seen DESC, guid LIMIT $5",
    )
    .bind(like)
    .bind(guid_prefix)
    .bind(&key)
    .bind(format!("{}%", key.replace('%', "")))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn player(pool: &PgPool, guid: &str) -> Result<Option<PlayerRow>, StoreError> {
    Ok(
        sqlx::query_as("SELECT guid, name, display_name FROM players WHERE guid = $1")
            .bind(guid)
            .fetch_optional(pool)
            .await?,
    )
}

/// Every player's display name (for closest-match suggestions).
pub async fn all_player_names(pool: &PgPool) -> Result<Vec<PlayerRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT guid, name, display_name FROM players ORDER BY last_seen DESC LIMIT 5000",
    )
    .fetch_all(pool)
    .await?)
}

/// A player's figures in scope next to each figure's median over the players in scope.
#[derive(Debug, Clone, PartialEq)]
pub struct CardFigures {
    /// The player's sums.
    pub totals: PlayerTotals,
    /// The card's figures ([`Card::figures`]), each with the median over players.
    pub rows: Vec<CardFigure>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardFigure {
    pub figure: &'static Figure,
    pub value: Option<f64>,
    pub median: Option<f64>,
    /// The player's place among the players ranked on this figure (as on `/leaderboard`),
    /// and how many are ranked; `None` below the figure's minimum samples.
    pub rank: Option<(i64, i64)>,
}

impl CardFigure {
    /// The share of ranked players at or above this place, in whole percent (1–100).
    pub fn top_percent(&self) -> Option<i64> {
        self.rank
            .filter(|(_, of)| *of > 0)
            .map(|(rank, of)| ((100 * rank + of - 1) / of).clamp(1, 100))
    }
}

/// `card`'s figures of one player in scope and their medians over the players the card counts
/// ([`Card::counts_players_with`]), in one query: every player's sums are read once, the player's
/// row and the medians computed from them. `None` when the player is not counted in scope.
pub async fn player_card(
    pool: &PgPool,
    card: Card,
    guid: &str,
    scope: &Scope,
) -> Result<Option<CardFigures>, StoreError> {
    let figures = card.figures();
    let values: Vec<String> = figures
        .iter()
        .enumerate()
        .map(|(i, f)| format!("{} AS f{i}", figure_sql(f)))
        .collect();
    // Every player's sums of only what the card's figures are made of: the card's player's
    // other sums are read for them alone (summing every column for every player took half the
    // card's time once there were 77 of them).
    let mut needed: Vec<&str> = figures
        .iter()
        .flat_map(|f| {
            [f.numerator, f.denominator, f.samples]
                .into_iter()
                .chain(f.recorded_by)
        })
        .chain([card.counts_players_with()])
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let sums: Vec<String> = needed.iter().map(|c| format!("sum({c}) AS {c}")).collect();
    let all_sums: Vec<String> = PlayerSums::COLUMNS
        .iter()
        .map(|c| format!("sum(x.{c}) AS {c}"))
        .collect();
    let medians: Vec<String> = (0..figures.len())
        .map(|i| format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY f{i})"))
        .collect();
    let own: Vec<String> = (0..figures.len()).map(|i| format!("f{i}")).collect();
    let mut q = QueryBuilder::new(format!(
        "WITH pp AS (SELECT x.guid, {}, {} FROM ",
        sums.join(", "),
        values.join(", ")
    ));
    scope.push_player_figures(&mut q, None);
    q.push(format!(
        " GROUP BY x.guid HAVING sum({}) > 0)
         SELECT 0 AS which, (SELECT to_json(t) FROM (SELECT {} FROM ",
        card.counts_players_with(),
        all_sums.join(", ")
    ));
    scope.push_player_figures(&mut q, Some(guid));
    q.push(format!(
        ") t) AS totals, {} FROM pp WHERE guid = ",
        own.join(", ")
    ));
    q.push_bind(guid.to_string());
    // The player's own row even for a bot; the medians of people only (unless bots count).
    q.push(format!(
        " UNION ALL SELECT 1, NULL, {} FROM pp WHERE true{}",
        medians.join(", "),
        scope.people_only("guid")
    ));
    // Places as `/leaderboard` ranks them: among players with the figure's minimum samples.
    let ranked = |f: &Figure| {
        format!(
            "o.{s} >= {min}{people}",
            s = f.samples,
            min = f.min_samples,
            people = scope.people_only("o.guid")
        )
    };
    let places: Vec<String> = figures
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let op = match f.better {
                Better::Higher => ">",
                Better::Lower => "<",
            };
            format!(
                "CASE WHEN m.{s} >= {min} AND m.f{i} IS NOT NULL THEN (SELECT 1 + count(*)
                     FROM pp o WHERE o.f{i} {op} m.f{i} AND {r})::float8 END",
                s = f.samples,
                min = f.min_samples,
                r = ranked(f)
            )
        })
        .collect();
    let counts: Vec<String> = figures
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "(SELECT count(*) FROM pp o WHERE o.f{i} IS NOT NULL AND {})::float8",
                ranked(f)
            )
        })
        .collect();
    q.push(format!(
        " UNION ALL SELECT 2, NULL, {} FROM pp m WHERE m.guid = ",
        places.join(", ")
    ));
    q.push_bind(guid.to_string());
    q.push(format!(
        " UNION ALL SELECT 3, NULL, {} ORDER BY which",
        counts.join(", ")
    ));
    let rows = q.build().fetch_all(pool).await?;
    let row = |which: i32| rows.iter().find(|r| r.get::<i32, _>("which") == which);
    let (Some(me), Some(median), Some(place), Some(count)) = (row(0), row(1), row(2), row(3))
    else {
        return Ok(None);
    };
    let totals: sqlx::types::Json<PlayerTotals> = me.try_get("totals")?;
    let mut out = Vec::with_capacity(figures.len());
    for (i, figure) in figures.into_iter().enumerate() {
        let column = format!("f{i}");
        let place: Option<f64> = place.try_get(column.as_str())?;
        let count: Option<f64> = count.try_get(column.as_str())?;
        out.push(CardFigure {
            figure,
            value: me.try_get(column.as_str())?,
            median: median.try_get(column.as_str())?,
            rank: place.zip(count).map(|(p, c)| (p as i64, c as i64)),
        });
    }
    Ok(Some(CardFigures {
        totals: totals.0,
        rows: out,
    }))
}

/// How what someone typed for a player matches the players.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerMatch {
    One(PlayerRow),
    /// Several players match (at most 26, most recently seen first).
    Several(Vec<PlayerRow>),
    None,
}

/// The player `input` names: a GUID (exact, or upper-cased), an exact cleaned name, or a name
/// part / GUID prefix that only one player matches. Discord and the web present the rest.
pub async fn match_player(pool: &PgPool, input: &str) -> Result<PlayerMatch, StoreError> {
    for guid in [input.to_string(), input.to_uppercase()] {
        if let Some(p) = player(pool, &guid).await? {
            return Ok(PlayerMatch::One(p));
        }
    }
    let found = find_players(pool, input, 26).await?;
    let key = crate::names::match_key(input.as_bytes());
    if let Some(p) = found
        .iter()
        .find(|p| crate::names::match_key(&p.name) == key)
    {
        return Ok(PlayerMatch::One(p.clone()));
    }
    Ok(match found.len() {
        0 => PlayerMatch::None,
        1 => PlayerMatch::One(found.into_iter().next().expect("one")),
        _ => PlayerMatch::Several(found),
    })
}

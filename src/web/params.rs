//! The query parameters the API and the pages take, checked and resolved as the slash commands
//! resolve theirs: `map` (a map with rounds or a known map), `days` (1–3650), `player` (GUID or
//! name), `kind` and `limit`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use sqlx::PgPool;

use super::error::{Suggestion, WebError};
use crate::commands::resolve::closest;
use crate::heat::HeatKind;
use crate::names::clean_name;
use crate::store::queries::{self, PlayerRow, Scope};

/// The raw parameters, all optional text: each is checked with a message of its own rather
/// than the framework's generic rejection.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    pub map: Option<String>,
    pub days: Option<String>,
    pub player: Option<String>,
    pub kind: Option<String>,
    pub limit: Option<String>,
    pub q: Option<String>,
}

/// Longest map or player name looked up.
const MAX_NAME: usize = 64;
/// How many names a 404 suggests.
const SUGGESTIONS: usize = 5;

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Filters {
    pub fn days(&self) -> Result<Option<i64>, WebError> {
        match present(&self.days) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .map(Some)
                .ok_or_else(|| {
                    WebError::BadRequest(format!("days: `{v}` is not a number from 1 to 3650"))
                }),
        }
    }

    /// `limit` between 1 and `max`, `default` when absent.
    pub fn limit(&self, default: i64, max: i64) -> Result<i64, WebError> {
        match present(&self.limit) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    WebError::BadRequest(format!("limit: `{v}` is not a number from 1 to {max}"))
                }),
        }
    }

    pub fn kind(&self) -> Result<HeatKind, WebError> {
        match present(&self.kind).map(str::to_ascii_lowercase).as_deref() {
            None | Some("kills") => Ok(HeatKind::Kills),
            Some("deaths") => Ok(HeatKind::Deaths),
            Some("movement") => Ok(HeatKind::Movement),
            Some("objectives") => Ok(HeatKind::Objectives),
            Some(other) => Err(WebError::BadRequest(format!(
                "kind: `{other}` is not one of kills, deaths, movement, objectives"
            ))),
        }
    }

    /// The scope of `map` and `days`, the map resolved.
    pub async fn scope(&self, pool: &PgPool, bots: bool) -> Result<Scope, WebError> {
        let days = self.days()?;
        let map = match present(&self.map) {
            Some(m) => Some(resolve_map(pool, m).await?),
            None => None,
        };
        Ok(Scope {
            map,
            days,
            now: None,
            bots,
            // The dashboard shows every server's rounds together.
            server: None,
        })
    }

    /// The player of `player`, resolved, when given.
    pub async fn player(&self, pool: &PgPool) -> Result<Option<PlayerRow>, WebError> {
        match present(&self.player) {
            Some(p) => Ok(Some(resolve_player(pool, p).await?)),
            None => Ok(None),
        }
    }
}

pub fn heat_kind_name(kind: HeatKind) -> &'static str {
    match kind {
        HeatKind::Kills => "kills",
        HeatKind::Deaths => "deaths",
        HeatKind::Movement => "movement",
        HeatKind::Objectives => "objectives",
    }
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in a path segment or a
/// query value.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A map as the database names it: exact (case-insensitive), the only map with rounds
/// containing what was given, or a known map without rounds; otherwise a 404 with the closest
/// maps.
pub async fn resolve_map(pool: &PgPool, input: &str) -> Result<String, WebError> {
    let input = input.trim();
    let maps = queries::maps(pool).await?;
    let key = input.to_lowercase();
    if input.len() <= MAX_NAME {
        if let Some((m, _)) = maps.iter().find(|(m, _)| m.to_lowercase() == key) {
            return Ok(m.clone());
        }
        let containing: Vec<&String> = maps
            .iter()
            .map(|(m, _)| m)
            .filter(|m| m.to_lowercase().contains(&key))
            .collect();
        if let [only] = containing.as_slice() {
            return Ok((*only).clone());
        }
        if crate::maps::map_info(&key).is_some() {
            return Ok(key);
        }
    }
    let suggestions = closest(input, maps.iter().map(|(m, _)| m.as_str()), SUGGESTIONS)
        .into_iter()
        .map(|m| Suggestion {
            name: m.to_string(),
            href: format!("/heatmap?map={}", encode_component(m)),
        })
        .collect();
    Err(WebError::NotFound {
        what: format!("map called “{}”", shorten(input)),
        suggestions,
    })
}

/// A player by GUID, exact cleaned name, or a name part / GUID prefix only one player matches;
/// otherwise a 404 suggesting the players it matches or the closest names.
pub async fn resolve_player(pool: &PgPool, input: &str) -> Result<PlayerRow, WebError> {
    let input = input.trim();
    let not_found = |suggestions: Vec<Suggestion>| WebError::NotFound {
        what: format!("player called “{}”", shorten(input)),
        suggestions,
    };
    let link = |p: &PlayerRow| Suggestion {
        name: clean_name(&p.name),
        href: format!("/players/{}", encode_component(&p.guid)),
    };
    if input.len() > MAX_NAME {
        return Err(not_found(Vec::new()));
    }
    match queries::match_player(pool, input).await? {
        queries::PlayerMatch::One(p) => Ok(p),
        queries::PlayerMatch::None => {
            let all = queries::all_player_names(pool).await?;
            let names: Vec<String> = all.iter().map(|p| clean_name(&p.name)).collect();
            let near = closest(input, names.iter().map(String::as_str), SUGGESTIONS);
            let suggestions = near
                .iter()
                .filter_map(|n| all.iter().zip(&names).find(|(_, name)| name == n))
                .map(|(p, _)| link(p))
                .collect();
            Err(not_found(suggestions))
        }
        queries::PlayerMatch::Several(many) => {
            Err(not_found(many.iter().take(SUGGESTIONS).map(link).collect()))
        }
    }
}

/// What was typed, cut for a message.
fn shorten(input: &str) -> String {
    input.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(days: &str, limit: &str, kind: &str) -> Filters {
        Filters {
            days: Some(days.into()),
            limit: Some(limit.into()),
            kind: Some(kind.into()),
            ..Filters::default()
        }
    }

    #[test]
    fn parameters_are_checked() {
        let f = filters("30", "5", "Deaths");
        assert_eq!(f.days().unwrap(), Some(30));
        assert_eq!(f.limit(10, 50).unwrap(), 5);
        assert_eq!(f.kind().unwrap(), HeatKind::Deaths);
        let f = filters("0", "500", "heat");
        assert!(matches!(f.days(), Err(WebError::BadRequest(m)) if m.contains("1 to 3650")));
        assert!(matches!(f.limit(10, 50), Err(WebError::BadRequest(_))));
        assert!(matches!(f.kind(), Err(WebError::BadRequest(_))));
        let f = filters(" ", "", "");
        assert_eq!(f.days().unwrap(), None);
        assert_eq!(f.limit(10, 50).unwrap(), 10);
        assert_eq!(f.kind().unwrap(), HeatKind::Kills);
    }

    #[test]
    fn components_are_encoded() {
        assert_eq!(encode_component("sw_goldrush_te"), "sw_goldrush_te");
        assert_eq!(encode_component("a b/c?&é"), "a%20b%2Fc%3F%26%C3%A9");
    }
}

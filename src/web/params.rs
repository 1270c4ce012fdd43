//! The query parameters the API and the pages take, checked and resolved as the slash commands
//! resolve theirs: `map` (a map with rounds or a known map), `days` (1–3650), `server` (a
//! configured game server or one of stored rounds), `player` (GUID or name), `kind` and `limit`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use sqlx::PgPool;

use super::WebState;
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
    pub server: Option<String>,
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

    /// `server` when given, checked for the form of a label (its case aside).
    pub fn server(&self) -> Result<Option<&str>, WebError> {
        match present(&self.server) {
            None => Ok(None),
            Some(v) if crate::servers::check_label(&v.to_ascii_lowercase()).is_ok() => Ok(Some(v)),
            Some(v) => Err(WebError::BadRequest(format!(
                "server: `{}` is not a server label (1 to 32 letters, digits, - and _)",
                shorten(v)
            ))),
        }
    }

    /// The scope of `map`, `days` and `server`, the map and the server resolved.
    pub async fn scope(&self, state: &WebState) -> Result<Scope, WebError> {
        // The known servers are only read when one is asked for.
        let known = match self.server()? {
            Some(_) => known_servers(state).await?,
            None => Vec::new(),
        };
        self.scope_among(state, &known).await
    }

    /// [`Filters::scope`] when the `known` servers ([`known_servers`]) have been read already.
    pub async fn scope_among(
        &self,
        state: &WebState,
        known: &[(String, i64)],
    ) -> Result<Scope, WebError> {
        let days = self.days()?;
        let server = self.server()?;
        let map = match present(&self.map) {
            Some(m) => Some(resolve_map(&state.pool, m).await?),
            None => None,
        };
        let server = match server {
            Some(s) => Some(resolve_server(known, s)?),
            None => None,
        };
        Ok(Scope {
            map,
            days,
            now: None,
            bots: state.bots,
            server,
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

/// The game servers a `server` filter can name, with their rounds stored: the configured ones
/// first (one whose files have not come yet has none), then those only stored rounds name (a
/// server removed from `SERVERS` keeps its rounds).
pub async fn known_servers(state: &WebState) -> Result<Vec<(String, i64)>, WebError> {
    let stored = queries::rounds_per_server(&state.pool).await?;
    let rounds = |label: &str| {
        stored
            .iter()
            .find(|(l, _)| l == label)
            .map_or(0, |(_, n)| *n)
    };
    let mut known: Vec<(String, i64)> = Vec::new();
    for label in &state.servers {
        if !known.iter().any(|(l, _)| l == label) {
            known.push((label.clone(), rounds(label)));
        }
    }
    for (label, n) in stored {
        if !known.iter().any(|(l, _)| *l == label) {
            known.push((label, n));
        }
    }
    Ok(known)
}

/// A server label among the `known` ones, case-insensitively; otherwise a 404 suggesting them
/// all, the closest first.
pub fn resolve_server(known: &[(String, i64)], input: &str) -> Result<String, WebError> {
    let input = input.trim();
    if let Some((label, _)) = known.iter().find(|(l, _)| l.eq_ignore_ascii_case(input)) {
        return Ok(label.clone());
    }
    let suggestions = closest(input, known.iter().map(|(l, _)| l.as_str()), known.len())
        .into_iter()
        .map(|l| Suggestion {
            name: l.to_string(),
            href: format!("/?server={}", encode_component(l)),
        })
        .collect();
    Err(WebError::NotFound {
        what: format!("server called “{}”", shorten(input)),
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
    fn a_server_is_a_known_label_whatever_its_case() {
        let known = [("eu".to_string(), 3), ("default".to_string(), 2)];
        assert_eq!(resolve_server(&known, " EU ").unwrap(), "eu");
        let Err(WebError::NotFound { what, suggestions }) = resolve_server(&known, "e") else {
            panic!("an unknown server is not found");
        };
        assert_eq!(what, "server called “e”");
        assert_eq!(
            suggestions,
            [
                Suggestion {
                    name: "eu".into(),
                    href: "/?server=eu".into()
                },
                Suggestion {
                    name: "default".into(),
                    href: "/?server=default".into()
                }
            ]
        );
        let f = |v: &str| Filters {
            server: Some(v.into()),
            ..Filters::default()
        };
        assert_eq!(f("Eu-1_x").server().unwrap(), Some("Eu-1_x"));
        assert_eq!(f(" ").server().unwrap(), None);
        for bad in ["eu west", "é", &"x".repeat(33)] {
            assert!(
                matches!(f(bad).server(), Err(WebError::BadRequest(m)) if m.starts_with("server: ")),
                "{bad}"
            );
        }
    }

    #[test]
    fn components_are_encoded() {
        assert_eq!(encode_component("sw_goldrush_te"), "sw_goldrush_te");
        assert_eq!(encode_component("a b/c?&é"), "a%20b%2Fc%3F%26%C3%A9");
    }
}

//! What a question covers (a map, the last N days) and how its period is read: whole years and
//! months from the totals, the rest from per-round rows.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use sqlx::{Postgres, QueryBuilder};

use crate::metrics::PlayerSums;
use crate::store::totals::ALL_SERVERS;

/// The map and period a query covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub map: Option<String>,
    /// Only rounds played in the last N days (relative to `now`).
    pub days: Option<i64>,
    pub now: Option<DateTime<Utc>>,
    /// Count Omni-bots among the players (`PROXIMITY_INCLUDE_BOTS`); by default rankings, duos
    /// and medians are of people only.
    pub bots: bool,
    /// Only the rounds of the game server with this label; `None`: every server.
    pub server: Option<String>,
}

/// How a period is read: whole years and whole months from the totals
/// (`player_totals`, `pair_totals`, `heat_totals`), and the per-round rows of the part of a month where the
/// period starts. Buckets are UTC calendar periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// Rounds played at or after this instant count (`None`: all rounds).
    pub since: Option<DateTime<Utc>>,
    /// The first month bucket at or after `since`: rounds in `[since, month_from)` are read
    /// from their per-round rows.
    pub month_from: Option<DateTime<Utc>>,
    /// The first year bucket at or after `since`: month totals are read in
    /// `[month_from, year_from)`, year totals from `year_from` on.
    pub year_from: Option<DateTime<Utc>>,
}

impl Periods {
    pub fn since(since: Option<DateTime<Utc>>) -> Periods {
        let Some(since) = since else {
            return Periods {
                since: None,
                month_from: None,
                year_from: None,
            };
        };
        let month_start = |y: i32, m: u32| {
            Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
                .single()
                .unwrap_or(since)
        };
        let (y, m) = (since.year(), since.month());
        let this_month = month_start(y, m);
        let month_from = if this_month == since {
            since
        } else if m == 12 {
            month_start(y + 1, 1)
        } else {
            month_start(y, m + 1)
        };
        let this_year = month_start(y, 1);
        let year_from = if this_year == since {
            since
        } else {
            month_start(y + 1, 1)
        };
        Periods {
            since: Some(since),
            month_from: Some(month_from),
            year_from: Some(year_from),
        }
    }
}

impl Periods {
    /// The instants `[since, month_from)` whose rounds are read from their per-round rows.
    pub fn raw_range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match (self.since, self.month_from) {
            (Some(since), Some(month_from)) if since < month_from => Some((since, month_from)),
            _ => None,
        }
    }
}

impl Scope {
    pub fn all() -> Self {
        Scope::default()
    }

    /// ` AND NOT is_bot_guid(column)` unless bots count.
    pub(super) fn people_only(&self, column: &str) -> String {
        if self.bots {
            String::new()
        } else {
            format!(" AND NOT is_bot_guid({column})")
        }
    }

    fn since(&self) -> Option<DateTime<Utc>> {
        self.days
            .map(|d| self.now.unwrap_or_else(Utc::now) - Duration::days(d))
    }

    pub fn periods(&self) -> Periods {
        Periods::since(self.since())
    }

    /// Appends ` AND r.map = … AND r.played_at >= …` for a query that joins `rounds r`.
    pub(super) fn push_filters(&self, q: &mut QueryBuilder<Postgres>) {
        if let Some(map) = &self.map {
            q.push(" AND r.map = ").push_bind(map.clone());
        }
        if let Some(server) = &self.server {
            q.push(" AND r.server = ").push_bind(server.clone());
        }
        if let Some(since) = self.since() {
            q.push(" AND r.played_at >= ").push_bind(since);
        }
    }

    /// Appends the filters of the totals rows (alias `t`) that lie inside the scope.
    pub(super) fn push_totals_filters(&self, q: &mut QueryBuilder<Postgres>, p: &Periods) {
        if let Some(map) = &self.map {
            q.push(" AND t.map = ").push_bind(map.clone());
        }
        // The totals are kept per server and for all servers together.
        let scope = self.server.as_deref().unwrap_or(ALL_SERVERS);
        q.push(" AND t.server = ").push_bind(scope.to_string());
        match (p.month_from, p.year_from) {
            (Some(month_from), Some(year_from)) => {
                q.push(" AND (t.months = 12 AND t.bucket >= ")
                    .push_bind(year_from)
                    .push(" OR t.months = 1 AND t.bucket >= ")
                    .push_bind(month_from)
                    .push(" AND t.bucket < ")
                    .push_bind(year_from)
                    .push(")");
            }
            _ => {
                q.push(" AND t.months = 12");
            }
        }
    }

    /// Appends the filters of the rounds (alias `r`) read from their per-round rows rather than
    /// from the totals: those played in the part of a month where the period starts, and those
    /// in scope that are not in the totals yet (`totals_pending`, see store::totals).
    pub(super) fn push_raw_filters(&self, q: &mut QueryBuilder<Postgres>, p: &Periods) {
        if let Some(map) = &self.map {
            q.push(" AND r.map = ").push_bind(map.clone());
        }
        if let Some(server) = &self.server {
            q.push(" AND r.server = ").push_bind(server.clone());
        }
        // The pending rounds as an array, which the rounds' key can look up; `IN (SELECT …)`
        // under an OR would be checked against every round.
        q.push(" AND (r.id = ANY (ARRAY(SELECT round_id FROM totals_pending))");
        if let Some(month_from) = p.month_from {
            q.push(" AND r.played_at >= ").push_bind(month_from);
        }
        if let Some((since, month_from)) = p.raw_range() {
            q.push(" OR r.played_at >= ")
                .push_bind(since)
                .push(" AND r.played_at < ")
                .push_bind(month_from);
        }
        q.push(")");
    }

    /// Appends `(… ) x`: the player figures in scope, one row per total row or per-round row
    /// (`guid` and the columns of [`PlayerSums::COLUMNS`]), of one player when `guid` is given.
    pub(super) fn push_player_figures(&self, q: &mut QueryBuilder<Postgres>, guid: Option<&str>) {
        let p = self.periods();
        let cols = |alias: &str| {
            PlayerSums::COLUMNS
                .iter()
                .map(|c| format!("{alias}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        q.push(format!(
            "(SELECT t.guid, {} FROM player_totals t WHERE true",
            cols("t")
        ));
        if let Some(g) = guid {
            q.push(" AND t.guid = ").push_bind(g.to_string());
        }
        self.push_totals_filters(q, &p);
        q.push(format!(
            " UNION ALL SELECT f.guid, {} FROM player_round_totals f
              JOIN rounds r ON r.id = f.round_id WHERE true",
            cols("f")
        ));
        if let Some(g) = guid {
            q.push(" AND f.guid = ").push_bind(g.to_string());
        }
        self.push_raw_filters(q, &p);
        q.push(") x");
    }
}

impl Scope {
    /// Appends `(… ) x`: the pair figures in scope (`guid_a`, `guid_b`, `rounds`, `together`,
    /// `crossfires`, `crossfire_kills`, `combined_damage`), one row per total or per-round row,
    /// of the pairs with `guid` when given.
    pub(super) fn push_pair_figures(&self, q: &mut QueryBuilder<Postgres>, guid: Option<&str>) {
        let p = self.periods();
        let with = |q: &mut QueryBuilder<Postgres>, alias: &str| {
            if let Some(g) = guid {
                q.push(format!(" AND ({alias}.guid_a = "))
                    .push_bind(g.to_string())
                    .push(format!(" OR {alias}.guid_b = "))
                    .push_bind(g.to_string())
                    .push(")");
            }
        };
        q.push(
            "(SELECT t.guid_a, t.guid_b, t.rounds, t.together, t.crossfires, t.crossfire_kills,
                     t.combined_damage
              FROM pair_totals t WHERE true",
        );
        with(q, "t");
        self.push_totals_filters(q, &p);
        q.push(
            " UNION ALL SELECT s.guid_a, s.guid_b, 1, s.together::int4, s.crossfires::int8,
                     s.crossfire_kills::int8, s.combined_damage::int8
              FROM pair_stats s JOIN rounds r ON r.id = s.round_id WHERE true",
        );
        with(q, "s");
        self.push_raw_filters(q, &p);
        q.push(") x");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_split_at_month_and_year_starts() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let p = Periods::since(Some(at("2025-03-15T10:00:00Z")));
        assert_eq!(
            (p.month_from, p.year_from),
            (
                Some(at("2025-04-01T00:00:00Z")),
                Some(at("2026-01-01T00:00:00Z"))
            )
        );
        assert_eq!(
            p.raw_range(),
            Some((at("2025-03-15T10:00:00Z"), at("2025-04-01T00:00:00Z")))
        );
        let p = Periods::since(Some(at("2025-12-31T23:59:59Z")));
        assert_eq!(
            (p.month_from, p.year_from),
            (
                Some(at("2026-01-01T00:00:00Z")),
                Some(at("2026-01-01T00:00:00Z"))
            )
        );
        let p = Periods::since(Some(at("2025-05-01T00:00:00Z")));
        assert_eq!(p.month_from, Some(at("2025-05-01T00:00:00Z")));
        assert_eq!(
            p.raw_range(),
            None,
            "a period starting on a month start reads only totals"
        );
        let p = Periods::since(Some(at("2025-01-01T00:00:00Z")));
        assert_eq!(p.year_from, Some(at("2025-01-01T00:00:00Z")));
        assert_eq!(Periods::since(None).raw_range(), None);
    }
}

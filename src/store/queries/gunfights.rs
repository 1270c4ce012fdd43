//! Weapons (`/weapons`) and medics (`/medics`): the reads behind medics, gunfights and spawn
//! timing that a single figure does not cover.

use sqlx::{FromRow, PgPool, QueryBuilder};

use super::scope::Scope;
use crate::store::StoreError;

/// One weapon's use in scope, by one player or by everyone.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct WeaponRow {
    pub weapon: i16,
    /// Player-rounds the weapon was used in.
    pub rounds: i64,
    pub shots: i64,
    pub hits: i64,
    pub kills: i64,
    pub headshots: i64,
    /// Hits by region: head, arms, body, legs (HIT_REGIONS; 0 when not recorded).
    pub head: i64,
    pub arms: i64,
    pub body: i64,
    pub legs: i64,
}

/// Every weapon used in scope, of `guid` or of everyone (people only unless bots count), most
/// kills first, then most shots, then weapon number.
pub async fn weapons(
    pool: &PgPool,
    guid: Option<&str>,
    scope: &Scope,
) -> Result<Vec<WeaponRow>, StoreError> {
    let p = scope.periods();
    let who = |q: &mut QueryBuilder<sqlx::Postgres>, alias: &str| match guid {
        Some(g) => {
            q.push(format!(" AND {alias}.guid = "))
                .push_bind(g.to_string());
        }
        None => {
            q.push(scope.people_only(&format!("{alias}.guid")));
        }
    };
    let mut q = QueryBuilder::new(
        "SELECT x.weapon, sum(x.rounds)::int8 AS rounds, sum(x.shots)::int8 AS shots,
                sum(x.hits)::int8 AS hits, sum(x.kills)::int8 AS kills,
                sum(x.headshots)::int8 AS headshots, sum(x.head)::int8 AS head,
                sum(x.arms)::int8 AS arms, sum(x.body)::int8 AS body, sum(x.legs)::int8 AS legs
         FROM (SELECT t.weapon, t.rounds::int8 AS rounds, t.shots, t.hits, t.kills, t.headshots,
                      t.head, t.arms, t.body, t.legs
               FROM weapon_totals t WHERE true",
    );
    who(&mut q, "t");
    scope.push_totals_filters(&mut q, &p);
    q.push(
        " UNION ALL SELECT w.weapon, 1, w.shots, w.hits, w.kills, w.headshots, w.head, w.arms,
                 w.body, w.legs
          FROM round_weapons w JOIN rounds r ON r.id = w.round_id WHERE true",
    );
    who(&mut q, "w");
    scope.push_raw_filters(&mut q, &p);
    q.push(
        ") x GROUP BY x.weapon
         ORDER BY sum(x.kills) DESC, sum(x.shots) DESC, x.weapon",
    );
    Ok(q.build_query_as().fetch_all(pool).await?)
}

/// A player's medic figures in scope.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct MedicRow {
    pub guid: String,
    pub name: Vec<u8>,
    pub revives_given: i64,
    pub revives_under_fire: i64,
    /// Teammates downed by enemies in the player's rounds, and those of them the player revived.
    pub team_downs: i64,
    pub downs_revived: i64,
    /// Rounds played that recorded revives.
    pub rounds: i64,
}

impl MedicRow {
    /// The share of the team's downs this player revived, in percent; `None` without downs.
    pub fn revive_share_pct(&self) -> Option<f64> {
        (self.team_downs > 0).then(|| 100.0 * self.downs_revived as f64 / self.team_downs as f64)
    }
}

/// The players who revived most in scope (then the most revives under fire, then GUID), people
/// only unless bots count.
pub async fn medics(pool: &PgPool, scope: &Scope, limit: i64) -> Result<Vec<MedicRow>, StoreError> {
    let mut q = QueryBuilder::new(
        "SELECT s.guid, marked_name(p.name, s.guid) AS name, s.revives_given,
                s.revives_under_fire, s.team_downs, s.downs_revived, s.rounds
         FROM (SELECT x.guid, sum(x.revives_given)::int8 AS revives_given,
                      sum(x.revives_under_fire)::int8 AS revives_under_fire,
                      sum(x.team_downs)::int8 AS team_downs,
                      sum(x.downs_revived)::int8 AS downs_revived,
                      sum(x.rv_rounds)::int8 AS rounds
               FROM ",
    );
    scope.push_player_figures(&mut q, None);
    q.push(format!(
        " GROUP BY x.guid) s LEFT JOIN players p ON p.guid = s.guid
          WHERE s.revives_given > 0{people}
          ORDER BY s.revives_given DESC, s.revives_under_fire DESC, s.guid LIMIT ",
        people = scope.people_only("s.guid"),
    ));
    q.push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

//! Pairs of players: the best duos of a scope and one player's crossfire partners.

use sqlx::{PgPool, QueryBuilder};

use super::rounds::DuoFigures;
use super::scope::Scope;
use crate::store::StoreError;

/// Pairs ranked by crossfire kills, then crossfires, among pairs with at least
/// `min_crossfires` crossfires in scope.
pub async fn best_duos(
    pool: &PgPool,
    scope: &Scope,
    min_crossfires: i64,
    limit: i64,
) -> Result<Vec<DuoFigures>, StoreError> {
    let mut q = QueryBuilder::new(
        "SELECT s.guid_a, s.guid_b, marked_name(pa.name, s.guid_a) AS name_a,
                marked_name(pb.name, s.guid_b) AS name_b, s.crossfires, s.crossfire_kills,
                s.rounds_together, s.combined_damage
         FROM (SELECT guid_a, guid_b, sum(crossfires)::int8 AS crossfires,
                      sum(crossfire_kills)::int8 AS crossfire_kills,
                      sum(together)::int8 AS rounds_together,
                      sum(combined_damage)::int8 AS combined_damage
               FROM ",
    );
    scope.push_pair_figures(&mut q, None);
    q.push(" GROUP BY guid_a, guid_b HAVING sum(crossfires) >= ")
        .push_bind(min_crossfires)
        .push(format!(
            ") s LEFT JOIN players pa ON pa.guid = s.guid_a LEFT JOIN players pb ON pb.guid = s.guid_b
             WHERE true{}{}
             ORDER BY s.crossfire_kills DESC, s.crossfires DESC, s.guid_a, s.guid_b LIMIT ",
            scope.people_only("s.guid_a"),
            scope.people_only("s.guid_b")
        ))
        .push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

/// A player's crossfire partners, most crossfires first (`name_a`/`guid_a` is the partner).
pub async fn crossfire_partners(
    pool: &PgPool,
    guid: &str,
    scope: &Scope,
    limit: i64,
) -> Result<Vec<DuoFigures>, StoreError> {
    let mut q = QueryBuilder::new("SELECT s.partner AS guid_a, ");
    q.push_bind(guid.to_string()).push(
        "::text AS guid_b, marked_name(pp.name, s.partner) AS name_a, coalesce(me.name, ''::bytea) AS name_b,
                s.crossfires, s.crossfire_kills, s.rounds_together, s.combined_damage
         FROM (SELECT CASE WHEN guid_a = ",
    );
    q.push_bind(guid.to_string()).push(
        " THEN guid_b ELSE guid_a END AS partner,
                      sum(crossfires)::int8 AS crossfires, sum(crossfire_kills)::int8 AS crossfire_kills,
                      sum(together)::int8 AS rounds_together,
                      sum(combined_damage)::int8 AS combined_damage
               FROM ",
    );
    scope.push_pair_figures(&mut q, Some(guid));
    q.push(
        " GROUP BY 1 HAVING sum(crossfires) > 0) s
         LEFT JOIN players pp ON pp.guid = s.partner LEFT JOIN players me ON me.guid = ",
    )
    .push_bind(guid.to_string())
    .push(format!(
        " WHERE true{} ORDER BY s.crossfires DESC, s.crossfire_kills DESC, s.partner LIMIT ",
        scope.people_only("s.partner")
    ))
    .push_bind(limit);
    Ok(q.build_query_as().fetch_all(pool).await?)
}

/// Two players together in scope: the rounds both played (either team), and their pair figures
/// (crossfires, crossfire kills, rounds on the same team).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Together {
    pub shared_rounds: i64,
    pub crossfires: i64,
    pub crossfire_kills: i64,
    pub rounds_together: i64,
}

pub async fn together(
    pool: &PgPool,
    a: &str,
    b: &str,
    scope: &Scope,
) -> Result<Together, StoreError> {
    let mut q = QueryBuilder::new(
        "SELECT (SELECT count(*) FROM round_players pa
                 JOIN round_players pb ON pb.round_id = pa.round_id AND pb.guid = ",
    );
    q.push_bind(b.to_string())
        .push(" JOIN rounds r ON r.id = pa.round_id WHERE pa.guid = ")
        .push_bind(a.to_string());
    scope.push_filters(&mut q);
    q.push(
        ") AS shared_rounds,
         coalesce(sum(x.crossfires), 0)::int8 AS crossfires,
         coalesce(sum(x.crossfire_kills), 0)::int8 AS crossfire_kills,
         coalesce(sum(x.together), 0)::int8 AS rounds_together FROM ",
    );
    scope.push_pair_figures(&mut q, Some(a));
    q.push(" WHERE x.guid_a = ")
        .push_bind(b.to_string())
        .push(" OR x.guid_b = ")
        .push_bind(b.to_string());
    Ok(q.build_query_as().fetch_one(pool).await?)
}

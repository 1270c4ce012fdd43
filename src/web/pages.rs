//! The HTML pages: a shell per page (navigation, filters, the elements the script fills) whose
//! parameters are checked here first, so that an unknown map, player or round is a 404 page
//! with suggestions. The script (`assets/web/app.js`) draws everything from the API.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect};

use super::WebState;
use super::api::find_round;
use super::error::{PageError, WebError};
use super::params::{Filters, heat_kind_name, known_servers};
use crate::names::clean_name;
use crate::store::queries::{self, Scope};

type Page = Result<Html<String>, PageError>;

/// Text for HTML content and attribute values. Hand-written: five characters for five pages
/// do not justify a template engine.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page: `data` become the `data-*` attributes of `<main>`, which the script reads.
fn layout(title: &str, page: &str, data: &[(&str, String)], body: &str) -> String {
    let attrs: String = data
        .iter()
        .map(|(k, v)| format!(" data-{k}=\"{}\"", escape(v)))
        .collect();
    let nav = [
        ("/", "Overview", "overview"),
        ("/heatmap", "Heatmap", "heatmap"),
        ("/duos", "Duos", "duos"),
    ]
    .iter()
    .map(|(href, label, p)| {
        let current = if *p == page {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    })
    .collect::<String>();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · proximity</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/assets/app.css\">\
         <script src=\"/assets/app.js\" defer></script></head>\
         <body><header><span class=\"brand\">proximity</span><nav>{nav}</nav>\
         <form class=\"find\" action=\"/players/\" id=\"find-player\">\
         <input name=\"q\" id=\"find-q\" placeholder=\"Find a player\" autocomplete=\"off\" \
         list=\"find-list\" maxlength=\"64\"><datalist id=\"find-list\"></datalist></form>\
         </header><main id=\"app\" data-page=\"{page}\"{attrs}>{body}</main></body></html>",
        title = escape(title),
    )
}

/// The map (/ server) / period (/ kind / player) form of a page; the server selector only when
/// there is more than one server to choose from.
fn filter_form(
    with_kind: bool,
    with_player: bool,
    servers: &[(String, i64)],
    scope: &Scope,
) -> String {
    let server = if servers.len() > 1 {
        let options: String = servers
            .iter()
            .map(|(label, rounds)| {
                let selected = if scope.server.as_deref() == Some(label.as_str()) {
                    " selected"
                } else {
                    ""
                };
                format!(
                    "<option value=\"{0}\"{selected}>{0} ({rounds})</option>",
                    escape(label)
                )
            })
            .collect();
        format!(
            "<label>Server <select name=\"server\" id=\"f-server\">\
             <option value=\"\">all servers</option>{options}</select></label>"
        )
    } else {
        String::new()
    };
    let kind = if with_kind {
        "<label>Kind <select name=\"kind\" id=\"f-kind\">\
         <option>kills</option><option>deaths</option><option>movement</option>\
         <option>objectives</option></select></label>"
    } else {
        ""
    };
    let player = if with_player {
        "<label>Player <input name=\"player\" id=\"f-player\" maxlength=\"64\" \
         placeholder=\"everyone\"></label>"
    } else {
        ""
    };
    format!(
        "<form class=\"filters\" id=\"filters\"><label>Map <select name=\"map\" id=\"f-map\">\
         <option value=\"\">all maps</option></select></label>{server}{kind}{player}\
         <label>Last <input name=\"days\" id=\"f-days\" type=\"number\" min=\"1\" max=\"3650\" \
         placeholder=\"all\"> days</label><button type=\"submit\">Show</button></form>"
    )
}

/// The filters as `data-*` attributes, the server as resolved.
fn filter_data(f: &Filters, scope: &Scope) -> Vec<(&'static str, String)> {
    let mut data = Vec::new();
    for (k, v) in [("map", &f.map), ("days", &f.days), ("player", &f.player)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            data.push((k, v.to_string()));
        }
    }
    if let Some(server) = &scope.server {
        data.push(("server", server.clone()));
    }
    data
}

/// `/`: the overview.
pub async fn overview(State(state): State<WebState>, Query(f): Query<Filters>) -> Page {
    let servers = known_servers(&state).await?;
    let scope = f.scope_among(&state, &servers).await?;
    f.player(&state.pool).await?;
    let body = format!(
        "<h1>Overview</h1>{}\
         <section class=\"tiles\" id=\"summary\"></section>\
         <section><h2>Engagements over time</h2><canvas id=\"timeline\" width=\"900\" \
         height=\"200\"></canvas></section>\
         <div class=\"cols\"><section><h2>Hotzones <a id=\"hot-link\" href=\"/heatmap\">open</a></h2>\
         <canvas id=\"hot\" width=\"400\" height=\"400\"></canvas></section>\
         <section><h2>Latest rounds</h2><table id=\"rounds\"></table></section></div>\
         <section><h2>Movement</h2><div class=\"boards\" id=\"movers\"></div></section>\
         <section><h2>Team play: crossfires, trades, support uptime</h2>\
         <div class=\"boards\" id=\"teamplay\"></div></section>",
        filter_form(false, true, &servers, &scope)
    );
    Ok(Html(layout(
        "Overview",
        "overview",
        &filter_data(&f, &scope),
        &body,
    )))
}

/// `/heatmap`: the interactive heatmap (the most played map when none is given).
pub async fn heatmap(State(state): State<WebState>, Query(mut f): Query<Filters>) -> Page {
    let kind = f.kind()?;
    let servers = known_servers(&state).await?;
    if f.map.as_deref().is_none_or(|m| m.trim().is_empty()) {
        // The most played map of the server asked for.
        let server = f.scope_among(&state, &servers).await?.server;
        f.map = queries::maps_on(&state.pool, server.as_deref())
            .await?
            .into_iter()
            .next()
            .map(|m| m.0);
    }
    let scope = f.scope_among(&state, &servers).await?;
    f.player(&state.pool).await?;
    let mut data = filter_data(&f, &scope);
    data.retain(|(k, _)| *k != "map");
    if let Some(map) = &scope.map {
        data.push(("map", map.clone()));
    }
    data.push(("kind", heat_kind_name(kind).to_string()));
    let body = format!(
        "<h1>Heatmap</h1>{}<p class=\"hint\">Scroll to zoom, drag to pan, double-click to \
         reset.</p><div class=\"heatwrap\"><canvas id=\"heat\" width=\"800\" height=\"800\">\
         </canvas><aside id=\"heat-info\"></aside></div>",
        filter_form(true, true, &servers, &scope)
    );
    Ok(Html(layout("Heatmap", "heatmap", &data, &body)))
}

/// `/players/{player}`: one player's card, partners and rounds.
pub async fn player(
    State(state): State<WebState>,
    Path(who): Path<String>,
    Query(f): Query<Filters>,
) -> Page {
    let servers = known_servers(&state).await?;
    let scope = f.scope_among(&state, &servers).await?;
    let p = super::params::resolve_player(&state.pool, &who).await?;
    let name = clean_name(&crate::names::marked(&p.name, &p.guid));
    let mut data = filter_data(&f, &scope);
    data.push(("guid", p.guid.clone()));
    let body = format!(
        "<h1 id=\"player-name\">{}</h1>{}\
         <section><h2>Figures</h2><table id=\"figures\"></table></section>\
         <div class=\"cols\"><section><h2>Crossfire partners</h2><table id=\"partners\"></table>\
         </section><section><h2>Latest rounds</h2><table id=\"rounds\"></table></section></div>",
        escape(&name),
        filter_form(false, false, &servers, &scope)
    );
    Ok(Html(layout(&name, "player", &data, &body)))
}

/// `/players/?q=…` (the search box): the player's page, or a 404 with suggestions.
pub async fn find(
    State(state): State<WebState>,
    Query(f): Query<Filters>,
) -> Result<Redirect, PageError> {
    let q = f.q.clone().unwrap_or_default();
    let p = super::params::resolve_player(&state.pool, &q).await?;
    Ok(Redirect::to(&format!(
        "/players/{}",
        super::params::encode_component(&p.guid)
    )))
}

/// `/duos`: the synergy graph of the best pairs.
pub async fn duos(State(state): State<WebState>, Query(f): Query<Filters>) -> Page {
    let servers = known_servers(&state).await?;
    let scope = f.scope_among(&state, &servers).await?;
    let body = format!(
        "<h1>Duos</h1>{}<p class=\"hint\">Each line is a pair that crossfired; the thicker, \
         the more kills together.</p><canvas id=\"graph\" width=\"900\" height=\"600\"></canvas>\
         <table id=\"duo-table\"></table>",
        filter_form(false, false, &servers, &scope)
    );
    Ok(Html(layout(
        "Duos",
        "duos",
        &filter_data(&f, &scope),
        &body,
    )))
}

/// `/rounds/{id}`: the round's replay.
pub async fn round(State(state): State<WebState>, Path(raw): Path<String>) -> Page {
    let r = find_round(&state, &raw).await?;
    let title = format!("{} round {}", r.map, r.round_number);
    let body = format!(
        "<h1>{} <small>{}</small></h1>\
         <div class=\"replay\"><canvas id=\"replay\" width=\"800\" height=\"800\"></canvas>\
         <aside><div class=\"controls\"><button id=\"play\" type=\"button\">Play</button>\
         <select id=\"speed\"><option value=\"1\">1×</option><option value=\"4\" selected>4×\
         </option><option value=\"16\">16×</option></select> <span id=\"clock\">0:00</span>\
         </div><input id=\"slider\" type=\"range\" min=\"0\" max=\"{}\" step=\"200\" value=\"0\">\
         <p id=\"follow\">Click a name to follow a player.</p><ul id=\"players\"></ul>\
         <h2>Events</h2><ol id=\"events\"></ol></aside></div>",
        escape(&title),
        escape(&r.played_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        r.duration_ms.max(0)
    );
    Ok(Html(layout(
        &title,
        "round",
        &[("round", r.id.to_string()), ("map", r.map.clone())],
        &body,
    )))
}

/// The page of a failed request: what went wrong, and the suggestions as links.
pub fn error_page(e: &WebError) -> Html<String> {
    let suggestions = e.suggestions();
    let list = if suggestions.is_empty() {
        String::new()
    } else {
        let items: String = suggestions
            .iter()
            .map(|s| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    escape(&s.href),
                    escape(&s.name)
                )
            })
            .collect();
        format!("<p>Did you mean:</p><ul class=\"suggestions\">{items}</ul>")
    };
    let heading = match e.status() {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::BAD_REQUEST => "Bad request",
        _ => "Unavailable",
    };
    Html(layout(
        heading,
        "error",
        &[],
        &format!(
            "<h1>{heading}</h1><p class=\"error\">{}</p>{list}<p><a href=\"/\">Back to the \
             overview</a></p>",
            escape(&e.message())
        ),
    ))
}

/// Any other address.
pub async fn not_found() -> PageError {
    PageError(WebError::NotFound {
        what: "page here".into(),
        suggestions: vec![
            super::error::Suggestion {
                name: "Overview".into(),
                href: "/".into(),
            },
            super::error::Suggestion {
                name: "Heatmap".into(),
                href: "/heatmap".into(),
            },
            super::error::Suggestion {
                name: "Duos".into(),
                href: "/duos".into(),
            },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}

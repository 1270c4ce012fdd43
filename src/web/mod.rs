//! The web dashboard: a read-only JSON API ([`api`]) and the pages that draw it ([`pages`]),
//! served by axum on the bot's runtime. Public by design: GET only, parameters validated,
//! queries bounded (limits and a statement timeout), responses with ETags, a request limit per
//! client and security headers ([`guard`]); every script and style is embedded ([`assets`]).

pub mod api;
pub mod assets;
mod error;
pub mod frame;
pub mod guard;
pub mod pages;
mod params;
pub mod replay;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub use error::WebError;

/// What every handler reaches.
#[derive(Clone)]
pub struct WebState(Arc<Shared>);

pub struct Shared {
    /// The dashboard's connections: statements are cancelled after [`STATEMENT_TIMEOUT`].
    pub pool: PgPool,
    /// `PROXIMITY_INCLUDE_BOTS`: bots in rankings and duos.
    pub bots: bool,
    /// The server's command maps (`MAPS_DIR`), shared with the bot's heatmaps.
    pub command_maps: Arc<crate::command_map::CommandMaps>,
    /// Each command map's image as PNG, kept with the map it was encoded from: encoding takes
    /// longer than any query, and the image only changes when the server's files do.
    pub command_map_pngs: std::sync::Mutex<
        std::collections::HashMap<String, (Arc<crate::command_map::CommandMap>, bytes::Bytes)>,
    >,
    /// The labels of the configured game servers (`SERVERS`): a `server` filter may name one
    /// before any of its rounds is stored.
    pub servers: Vec<String>,
}

/// No dashboard query runs longer than this: a public page must not tie up the database.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

impl WebState {
    pub fn new(
        pool: &PgPool,
        bots: bool,
        command_maps: Arc<crate::command_map::CommandMaps>,
    ) -> WebState {
        WebState::with_servers(pool, bots, command_maps, Vec::new())
    }

    /// The state of a bot serving the game servers labelled `servers`.
    pub fn with_servers(
        pool: &PgPool,
        bots: bool,
        command_maps: Arc<crate::command_map::CommandMaps>,
        servers: Vec<String>,
    ) -> WebState {
        WebState(Arc::new(Shared {
            pool: crate::store::with_statement_timeout(pool, STATEMENT_TIMEOUT),
            bots,
            command_maps,
            command_map_pngs: Default::default(),
            servers,
        }))
    }
}

impl std::ops::Deref for WebState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Every route, with the guards around them.
pub fn router(state: WebState, limit: guard::RequestLimit) -> Router {
    let api = Router::new()
        .route("/proximity/summary", get(api::summary))
        .route("/proximity/engagements", get(api::engagements))
        .route("/proximity/hotzones", get(api::hotzones))
        .route("/proximity/movers", get(api::movers))
        .route("/proximity/teamplay", get(api::teamplay))
        .route("/proximity/duos", get(api::duos))
        .route("/maps", get(api::maps))
        .route("/servers", get(api::servers))
        .route("/maps/{map}", get(api::map))
        .route("/maps/{map}/command-map.png", get(api::command_map_image))
        .route("/players", get(api::players))
        .route("/players/{player}", get(api::player))
        .route("/rounds", get(api::rounds))
        .route("/rounds/{id}/replay", get(api::replay))
        .fallback(api::not_found);
    Router::new()
        .route("/", get(pages::overview))
        .route("/heatmap", get(pages::heatmap))
        .route("/players/", get(pages::find))
        .route("/players/{player}", get(pages::player))
        .route("/duos", get(pages::duos))
        .route("/rounds/{id}", get(pages::round))
        .route("/assets/{file}", get(assets::asset))
        .nest("/api/v1", api)
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(guard::etag))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(limit),
            guard::limit_requests,
        ))
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Binds `addr` and serves the dashboard on `pool` for the game servers labelled `servers` in
/// the background; returns the address it listens on (the port chosen when `addr` has port 0).
pub async fn start(
    addr: SocketAddr,
    pool: &PgPool,
    bots: bool,
    command_maps: Arc<crate::command_map::CommandMaps>,
    servers: Vec<String>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>)> {
    use anyhow::Context as _;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("WEB_BIND: cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let router = router(
        WebState::with_servers(pool, bots, command_maps, servers),
        guard::RequestLimit::default(),
    );
    let task = tokio::spawn(serve(listener, router, std::future::pending()));
    Ok((local, task))
}

/// The address to print for a listening address: `localhost`-style when bound to all
/// interfaces.
pub fn display_url(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        match addr {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        }
    };
    format!("http://{host}:{}/", addr.port())
}

/// The replay page of round `id` under the public address `base` (no trailing slash).
pub fn replay_url(base: &str, id: i64) -> String {
    format!("{base}/rounds/{id}")
}

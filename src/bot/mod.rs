//! The Discord side: the poise framework on serenity, the shared [`Data`], the error handler
//! that turns failures into short messages, and the post-round summaries.

pub mod discord_state;
pub mod limits;
pub mod registration;
pub mod round_posts;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use poise::serenity_prelude as serenity;
use sqlx::PgPool;
use thiserror::Error;
use tracing::{error, info, warn};

use self::discord_state::DiscordState;
use crate::command_map::CommandMaps;
use crate::commands::proximity_import::FolderListing;
use crate::commands::reply::AnswerCache;
use crate::config::Config;
use crate::metrics::MetricParams;
use crate::scanner::{Scanner, ScannerConfig};
use crate::servers::runtime::ServerRuntime;
use crate::store::{self, StoreError};

pub type Error = anyhow::Error;
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// What every command can reach.
pub struct Data {
    /// The commands' connections: their statements are cancelled after
    /// [`Timing::command_statement`], so a stuck query becomes an answer, not a silence.
    pub pool: PgPool,
    pub config: Config,
    /// Exists even with `PROXIMITY_ENABLED=false`, so that `/proximity_status` can say what it
    /// does; it never scans then. The first server's scanner (`servers[0]`).
    pub scanner: Scanner,
    /// Every game server (`SERVERS`), with its scanner and, when remote, its puller.
    pub servers: Vec<ServerRuntime>,
    pub params: MetricParams,
    /// Recent answers of the player commands.
    pub answers: AnswerCache,
    /// Registration and the last refused request, shared with the background tasks.
    pub discord: Arc<DiscordState>,
    pub timing: Timing,
    /// Each server's folder of round files (the spool of a remote one), in the order of
    /// `servers`, for `/proximity_import`.
    pub folders: Vec<FolderListing>,
    /// The maps' command maps from `MAPS_DIR`, loaded on first use and kept per map version.
    pub command_maps: Arc<CommandMaps>,
}

/// The bot's waits and deadlines; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// First wait after a refused registration or summary post; it doubles per failure.
    pub retry_min: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// How often the summary poster looks for rounds imported by another process (the CLI).
    pub poster_poll: Duration,
    /// How long an interaction's token lets the bot edit its reply (Discord: 15 minutes),
    /// less a margin for the last edit.
    pub interaction_token: Duration,
    /// The statement timeout of command queries.
    pub command_statement: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            retry_min: Duration::from_secs(15),
            retry_max: Duration::from_secs(600),
            poster_poll: Duration::from_secs(60),
            interaction_token: Duration::from_secs(14 * 60),
            command_statement: Duration::from_secs(10),
        }
    }
}

impl Data {
    pub fn new(pool: PgPool, config: Config, scanner: Scanner, params: MetricParams) -> Data {
        let timing = Timing::default();
        let servers = vec![ServerRuntime {
            label: scanner.config().server.clone(),
            scanner: scanner.clone(),
            puller: None,
        }];
        Data {
            pool: store::with_statement_timeout(&pool, timing.command_statement),
            folders: folders_of(&servers),
            scanner,
            servers,
            params,
            answers: AnswerCache::default(),
            discord: Arc::default(),
            timing,
            command_maps: Arc::new(CommandMaps::new(config.maps_dirs.clone())),
            config,
        }
    }

    /// The same, with every configured server; the first one's scanner becomes `scanner`.
    pub fn with_servers(mut self, servers: Vec<ServerRuntime>) -> Data {
        if let Some(first) = servers.first() {
            self.scanner = first.scanner.clone();
            self.folders = folders_of(&servers);
            self.servers = servers;
        }
        self
    }

    /// Every server's scan results in one stream, for the summary poster; it closes when every
    /// scanner has stopped.
    pub fn scan_events(&self) -> tokio::sync::broadcast::Receiver<crate::scanner::ScanEvent> {
        if self.servers.len() <= 1 {
            return self.scanner.subscribe();
        }
        let (merged, events) = tokio::sync::broadcast::channel(256);
        for server in &self.servers {
            let mut from = server.scanner.subscribe();
            let to = merged.clone();
            tokio::spawn(async move {
                loop {
                    match from.recv().await {
                        Ok(event) => {
                            let _ = to.send(event);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    }
                }
            });
        }
        events
    }

    /// Starts every server's pulls and scans, and reads again the rounds whose figures come
    /// from an older version (with the feature and automatic imports on).
    pub fn start_servers(&self) {
        for s in &self.servers {
            s.start();
        }
        if self.config.enabled && self.config.auto_import {
            let pool = self.scanner.pool().clone();
            let params = self.params.clone();
            tokio::spawn(async move { rederive_stale_rounds(pool, params).await });
        }
    }

    /// The same, with other waits and deadlines.
    pub fn with_timing(mut self, timing: Timing) -> Data {
        self.pool = store::with_statement_timeout(&self.pool, timing.command_statement);
        self.timing = timing;
        self
    }
}

/// A folder listing per server.
fn folders_of(servers: &[ServerRuntime]) -> Vec<FolderListing> {
    servers
        .iter()
        .map(|s| FolderListing::new(&s.label, s.import_dir().to_path_buf()))
        .collect()
}

/// Acknowledges the interaction before the command does any IO: Discord drops an interaction
/// not acknowledged within 3 s, answer and error alike. The reply's visibility is decided
/// here, once per command: private for commands declared `ephemeral`, public otherwise.
pub async fn acknowledge(ctx: Context<'_>) -> Result<(), Error> {
    if ctx.command().ephemeral {
        ctx.defer_ephemeral().await?;
    } else {
        ctx.defer().await?;
    }
    Ok(())
}

/// A problem with what the user asked for, shown to them as it is (unknown map, bad name…).
#[derive(Debug, Error)]
#[error("{0}")]
pub struct UserError(pub String);

/// Shorthand for a [`UserError`].
pub fn user_error(message: impl Into<String>) -> Error {
    UserError(message.into()).into()
}

/// The message a user sees for a failed command: theirs for a [`UserError`], "database
/// unavailable" when PostgreSQL cannot be reached, otherwise a short apology (the detail goes to
/// the log, never a stack trace to the user).
pub fn user_message(e: &Error) -> String {
    if let Some(u) = e.downcast_ref::<UserError>() {
        return u.0.clone();
    }
    let unavailable = e.chain().any(|cause| {
        cause
            .downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_unavailable)
            || cause
                .downcast_ref::<crate::import::ImportError>()
                .is_some_and(crate::import::ImportError::is_transient)
            || cause
                .downcast_ref::<sqlx::Error>()
                .is_some_and(store::is_connection_error)
    });
    let too_slow = e.chain().any(|cause| {
        cause
            .downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_timeout)
            || cause
                .downcast_ref::<sqlx::Error>()
                .is_some_and(store::is_statement_timeout)
    });
    if unavailable {
        "The database is unavailable right now. Try again in a minute.".to_string()
    } else if too_slow {
        "The database is too busy to answer right now. Try again in a minute.".to_string()
    } else {
        "Something went wrong while answering. The details are in the bot's log.".to_string()
    }
}

/// `PROXIMITY_ENABLED=false` turns every command off but `/proximity_status`, which says so,
/// and `/help`.
async fn switched_on(ctx: Context<'_>) -> Result<bool, Error> {
    if ctx.data().config.enabled || matches!(&*ctx.command().name, "proximity_status" | "help") {
        Ok(true)
    } else {
        Err(user_error(TURNED_OFF))
    }
}

/// What the switched-off commands answer.
pub const TURNED_OFF: &str =
    "Proximity is turned off on this server (PROXIMITY_ENABLED=false). An admin can turn it on.";

async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::CommandCheckFailed {
            error: Some(error),
            ctx,
            ..
        } => {
            // An autocomplete can only answer choices: it offers none.
            let autocomplete = matches!(ctx, poise::Context::Application(a)
                if a.interaction_type == poise::CommandInteractionType::Autocomplete);
            let reply = poise::CreateReply::default()
                .content(limits::content(&user_message(&error)))
                .ephemeral(true);
            if !autocomplete && let Err(e) = ctx.send(reply).await {
                warn!("could not send the check's reply: {e}");
            }
        }
        poise::FrameworkError::Command { error, ctx, .. } => {
            if error.downcast_ref::<UserError>().is_none() {
                error!(command = %ctx.command().qualified_name, "command failed: {error:#}");
            }
            // A public defer fixes the reply's visibility: the first follow-up would replace
            // the public "thinking…" message. Removing it first lets the error stay private.
            if let poise::Context::Application(actx) = ctx
                && actx.has_sent_initial_response.load(Ordering::SeqCst)
                && !ctx.command().ephemeral
                && let Err(e) = actx.interaction.delete_response(ctx.http()).await
            {
                warn!("could not remove the public reply before the error: {e}");
            }
            let reply = poise::CreateReply::default()
                .content(limits::content(&user_message(&error)))
                .ephemeral(true);
            if let Err(e) = ctx.send(reply).await {
                warn!("could not send the error reply: {e}");
            }
        }
        poise::FrameworkError::CooldownHit {
            remaining_cooldown,
            ctx,
            ..
        } => {
            let reply = poise::CreateReply::default()
                .content(format!(
                    "Please wait {} s before using /{} again.",
                    remaining_cooldown.as_secs().max(1),
                    ctx.command().name
                ))
                .ephemeral(true);
            if let Err(e) = ctx.send(reply).await {
                warn!("could not send the cooldown reply: {e}");
            }
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                warn!("error while handling an error: {e}");
            }
        }
    }
}

/// Builds the framework: commands (unless `PROXIMITY_DISCORD_COMMANDS=false`), registered in
/// `GUILD_ID` or globally, allowed mentions off for every reply, and the summary poster started
/// once connected.
pub fn framework(data: Data) -> poise::Framework<Data, Error> {
    let commands = if data.config.discord_commands {
        crate::commands::all()
    } else {
        Vec::new()
    };
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands,
            on_error: |e| Box::pin(on_error(e)),
            command_check: Some(|ctx| Box::pin(switched_on(ctx))),
            allowed_mentions: Some(serenity::CreateAllowedMentions::new()),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                info!("connected to Discord as {}", ready.user.name);
                // Registration runs beside the scanner and retries on its own: a refusal
                // (wrong GUILD_ID, missing scope) must not stop imports or hang the bot.
                if data.config.discord_commands {
                    let commands =
                        poise::builtins::create_application_commands(&framework.options().commands);
                    tokio::spawn(registration::register_until_done(
                        ctx.http.clone(),
                        commands,
                        data.config.guild_id.map(serenity::GuildId::new),
                        Arc::clone(&data.discord),
                        data.timing,
                    ));
                } else {
                    data.discord
                        .set_registration(discord_state::Registration::Off);
                }
                if let (Some(channel), true) = (data.config.summary_channel_id, data.config.enabled)
                {
                    let poster = round_posts::Poster {
                        http: ctx.http.clone(),
                        pool: data.pool.clone(),
                        channel: serenity::ChannelId::new(channel),
                        state: Arc::clone(&data.discord),
                        timing: data.timing,
                        scanner: data.scanner.clone(),
                        bots: data.config.include_bots,
                        public_url: data.config.web_public_url.clone(),
                    };
                    tokio::spawn(poster.run(data.scan_events()));
                }
                // Scanning starts once summaries can be posted, so the backlog is announced.
                // (Does nothing when the feature or automatic imports are off, or if started.)
                data.start_servers();
                Ok(data)
            })
        })
        .build()
}

/// Reads again the rounds whose figures come from an older version, logging each outcome.
async fn rederive_stale_rounds(pool: PgPool, params: MetricParams) {
    let result = crate::import::rederive::rederive_all(&pool, &params, |round, result| {
        if result.is_done() {
            info!("{}", result.describe(round));
        } else {
            tracing::warn!("{}", result.describe(round));
        }
    })
    .await;
    match result {
        Ok((0, 0)) => {}
        Ok((done, left)) => {
            info!("{done} rounds read again for this version's figures, {left} left as they were")
        }
        Err(e) => tracing::warn!("reading rounds again stopped: {e}; the next start goes on"),
    }
}

/// Connects to the database and starts the scanner (when enabled): everything but Discord.
pub async fn start_services(config: Config) -> anyhow::Result<Data> {
    let pool = store::connect(&config.database_url)
        .await
        .context("connecting to the database")?;
    // The scanner always exists so that /proximity_status can say what it is doing; with
    // PROXIMITY_ENABLED=false it says "turned off" and never scans.
    let servers = ServerRuntime::all(&pool, &config);
    let scanner = match servers.first() {
        Some(s) => s.scanner.clone(),
        None => Scanner::new(pool.clone(), ScannerConfig::from_config(&config)),
    };
    if !config.enabled {
        info!("PROXIMITY_ENABLED=false: the scanner is off");
    }
    Ok(Data::new(pool, config, scanner, MetricParams::default()).with_servers(servers))
}

/// Runs the bot until Ctrl-C, then finishes the current import and stops.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let token = config.discord_token.clone().ok_or_else(|| {
        anyhow!(
            "DISCORD_TOKEN is not set: put your bot's token in .env (see .env.example), \
             or try `proximity demo`, which needs no Discord"
        )
    })?;
    // serenity sends any string and reports a bad token only as a failed connection.
    serenity::utils::validate_token(&token).map_err(|_| {
        anyhow!(
            "DISCORD_TOKEN is not a bot token (three parts separated by dots): copy it from \
             the Discord developer portal, Bot page, into .env"
        )
    })?;
    let data = start_services(config).await?;
    // The dashboard runs beside the bot, on the same runtime and database.
    let (addr, _web) = crate::web::start(
        data.config.web_bind,
        &data.pool,
        data.config.include_bots,
        Arc::clone(&data.command_maps),
        data.servers.iter().map(|s| s.label.clone()).collect(),
    )
    .await?;
    info!("web dashboard on {}", crate::web::display_url(addr));
    let servers = data.servers.clone();
    let intents = serenity::GatewayIntents::non_privileged();
    let mut client = serenity::ClientBuilder::new(token, intents)
        .framework(framework(data))
        .await
        .context("creating the Discord client")?;
    let shards = Arc::clone(&client.shard_manager);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            info!("Ctrl-C: finishing the current import, then stopping");
            for s in &servers {
                s.shutdown().await;
            }
            shards.shutdown_all().await;
        }
    });
    client.start().await.map_err(|e| match e {
        serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication) => anyhow!(
            "Discord refused DISCORD_TOKEN (invalid authentication): reset the token on the \
             developer portal's Bot page and put the new one in .env"
        ),
        other => anyhow::Error::from(other).context("running the Discord client"),
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_users_see() {
        assert_eq!(
            user_message(&user_error("No map called x.")),
            "No map called x."
        );
        let down: Error = StoreError::Unavailable("refused".into()).into();
        assert!(user_message(&down).contains("database is unavailable"));
        let wrapped = anyhow::Error::from(sqlx::Error::PoolTimedOut).context("querying");
        assert!(user_message(&wrapped).contains("database is unavailable"));
        let other = anyhow!("index out of bounds at src/x.rs:1");
        assert!(!user_message(&other).contains("src/"));
    }
}

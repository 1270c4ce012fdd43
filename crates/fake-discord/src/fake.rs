//! A fake Discord (REST + gateway) on 127.0.0.1 for end-to-end tests of the bot.
//!
//! [`FakeDiscord::start`] binds an ephemeral port and serves:
//! - REST under `/api/v10/...` (serenity reaches it through `HttpBuilder::proxy`, with the
//!   ratelimiter disabled, see [`FakeDiscord::http`]). Every request is recorded and
//!   validated against Discord's OpenAPI spec (see [`crate::openapi`]); a request that fails
//!   validation, hits an unknown route or a route the fake does not serve is a *violation*.
//! - The gateway at `/gateway`: HELLO → IDENTIFY → READY + GUILD_CREATE, heartbeat ACKs,
//!   RESUME → RESUMED. Dispatches injected before IDENTIFY are queued.
//!
//! The world: guild [`GUILD_ID`] with channels [`GENERAL_CHANNEL`] and [`SUMMARY_CHANNEL`],
//! members [`ALICE`] (no extra permissions), [`BOB`] (the Admin role, MANAGE_GUILD) and the bot
//! [`BOT`]. The application id is [`APP_ID`].
//!
//! Every helper that waits (`wait_for`, `reply`, `choices`, ...) panics at once when a
//! violation has been recorded, and panics with the recorded requests when its timeout (a
//! failure guard only) runs out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use poise::serenity_prelude as serenity;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::openapi::{self, BodyRef};

/// Application id (also the bot's user id, as on Discord).
pub const APP_ID: u64 = 1000;
/// The guild every interaction comes from.
pub const GUILD_ID: u64 = 2000;
/// `#general`: where interactions are invoked by default.
pub const GENERAL_CHANNEL: u64 = 5000;
/// `#summary`: the channel for the bot's own posts.
pub const SUMMARY_CHANNEL: u64 = 5001;
/// The Admin role (MANAGE_GUILD).
pub const ADMIN_ROLE: u64 = 8000;
/// The guild owner (not a member of the fake guild).
const OWNER_ID: u64 = 6000;
/// The token the helpers give serenity; the fake sees `Authorization: Bot fake.bot.token`.
const TOKEN: &str = "fake.bot.token";

/// VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY.
pub const EVERYONE_PERMISSIONS: u64 = 117_760;
/// The MANAGE_GUILD permission bit.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// The ADMINISTRATOR permission bit.
const ADMINISTRATOR: u64 = 1 << 3;
/// `flags` bit of an ephemeral message.
pub const EPHEMERAL: u64 = 1 << 6;

/// How long [`InteractionHandle::reply`] waits for another `@original` edit before taking the
/// last one as final.
const EDIT_SETTLE: Duration = Duration::from_millis(750);

/// A member of the fake guild.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeUser {
    pub id: u64,
    pub name: &'static str,
    pub roles: &'static [u64],
    pub bot: bool,
}

/// A member with no roles: only the @everyone permissions.
pub const ALICE: FakeUser = FakeUser {
    id: 7000,
    name: "alice",
    roles: &[],
    bot: false,
};
/// A member with the Admin role (MANAGE_GUILD).
pub const BOB: FakeUser = FakeUser {
    id: 7001,
    name: "bob",
    roles: &[ADMIN_ROLE],
    bot: false,
};
/// The bot itself.
pub const BOT: FakeUser = FakeUser {
    id: APP_ID,
    name: "fakebot",
    roles: &[],
    bot: true,
};

impl FakeUser {
    /// The guild-level permissions computed from @everyone and the member's roles (what
    /// Discord puts in `member.permissions`; there are no channel overwrites in the fake).
    pub fn permissions(&self) -> u64 {
        self.roles
            .iter()
            .fold(EVERYONE_PERMISSIONS, |acc, r| acc | role_permissions(*r))
    }

    fn user_json(&self) -> Value {
        json!({"id": self.id.to_string(), "username": self.name, "discriminator": "0",
               "global_name": null, "avatar": null, "bot": self.bot})
    }

    fn member_json(&self) -> Value {
        json!({"user": self.user_json(),
               "roles": self.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
               "joined_at": "2024-01-01T00:00:00.000000+00:00",
               "deaf": false, "mute": false, "flags": 0})
    }
}

fn role_permissions(role: u64) -> u64 {
    match role {
        ADMIN_ROLE => MANAGE_GUILD,
        _ => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Recorded requests
// ---------------------------------------------------------------------------------------------

/// One file part of a multipart request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePart {
    /// The form field name, e.g. `files[0]`.
    pub name: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A request body as received.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    Empty,
    Json(Value),
    /// `multipart/form-data`: the file parts in order, and the parsed `payload_json` part.
    Multipart {
        files: Vec<FilePart>,
        payload_json: Option<Value>,
    },
    /// Anything else (including JSON that does not parse), verbatim.
    Raw(Vec<u8>),
}

/// One REST request the bot made, with the fake's verdict and reply status.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Position in the recording, from 0.
    pub index: usize,
    /// Upper-case method, e.g. `POST`.
    pub method: String,
    /// The path as received, without the query, e.g. `/api/v10/channels/5001/messages`.
    pub path: String,
    pub authorization: Option<String>,
    pub body: RequestBody,
    /// The OpenAPI route template the request matched, e.g. `/channels/{channel_id}/messages`.
    pub route: Option<&'static str>,
    /// `Err` with the reasons when the request does not satisfy the spec.
    pub validation: Result<(), String>,
    /// The status code the fake answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// The path without `/api/v10`, e.g. `/channels/5001/messages`.
    pub fn api_path(&self) -> &str {
        openapi::strip_api_prefix(&self.path)
    }

    /// True when the method and the path (without `/api/v10`) are exactly these.
    fn is(&self, method: &str, api_path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.api_path() == api_path
    }

    /// The JSON body, or the `payload_json` of a multipart body.
    pub fn json(&self) -> Option<&Value> {
        match &self.body {
            RequestBody::Json(v) => Some(v),
            RequestBody::Multipart { payload_json, .. } => payload_json.as_ref(),
            _ => None,
        }
    }

    /// The files of a multipart body (empty otherwise).
    pub fn files(&self) -> &[FilePart] {
        match &self.body {
            RequestBody::Multipart { files, .. } => files,
            _ => &[],
        }
    }

    /// True for a `multipart/form-data` request.
    pub fn is_multipart(&self) -> bool {
        matches!(self.body, RequestBody::Multipart { .. })
    }

    fn summary(&self) -> String {
        let verdict = match &self.validation {
            Ok(()) => "valid".to_owned(),
            Err(e) => format!("INVALID: {e}"),
        };
        let body = match &self.body {
            RequestBody::Empty => String::new(),
            RequestBody::Json(v) => truncate(&v.to_string()),
            RequestBody::Multipart {
                files,
                payload_json,
            } => format!(
                "multipart files={:?} payload_json={}",
                files.iter().map(|f| &f.filename).collect::<Vec<_>>(),
                payload_json
                    .as_ref()
                    .map_or("none".into(), |v| truncate(&v.to_string()))
            ),
            RequestBody::Raw(b) => format!("<{} raw bytes>", b.len()),
        };
        format!(
            "#{} {} {} -> {} [{verdict}] {body}",
            self.index, self.method, self.path, self.status
        )
    }
}

fn truncate(s: &str) -> String {
    if s.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        format!("{}…", &s[..cut])
    } else {
        s.to_owned()
    }
}

/// How a bot message reached Discord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The interaction callback (type 4, or 7 for a component update).
    Callback,
    /// `POST /webhooks/{app}/{token}` after a deferral or an earlier response.
    Followup,
    /// `PATCH /webhooks/{app}/{token}/messages/@original`.
    EditOriginal,
    /// `PATCH /webhooks/{app}/{token}/messages/{id}` of a followup.
    EditFollowup,
    /// `POST /channels/{id}/messages`.
    ChannelMessage,
}

/// A message the bot sent (or edited), decoded from the request.
#[derive(Debug, Clone)]
pub struct BotMessage {
    pub via: Via,
    pub content: Option<String>,
    pub embeds: Vec<Value>,
    pub flags: u64,
    pub allowed_mentions: Option<Value>,
    /// The attached files, in order.
    pub files: Vec<FilePart>,
    /// The message payload (the callback's `data`, otherwise the body / `payload_json`).
    pub payload: Value,
}

impl BotMessage {
    fn from_request(request: &RecordedRequest, via: Via) -> Self {
        let json = request.json().cloned().unwrap_or(Value::Null);
        let payload = if via == Via::Callback {
            json["data"].clone()
        } else {
            json
        };
        Self {
            via,
            content: payload["content"].as_str().map(str::to_owned),
            embeds: payload["embeds"].as_array().cloned().unwrap_or_default(),
            flags: payload["flags"].as_u64().unwrap_or(0),
            allowed_mentions: payload.get("allowed_mentions").cloned(),
            files: request.files().to_vec(),
            payload,
        }
    }

    /// True when the message carries the EPHEMERAL flag.
    pub fn ephemeral(&self) -> bool {
        self.flags & EPHEMERAL != 0
    }

    /// The content, or `""`.
    pub fn text(&self) -> &str {
        self.content.as_deref().unwrap_or("")
    }

    /// The attached file with this filename.
    pub fn file(&self, filename: &str) -> Option<&FilePart> {
        self.files.iter().find(|f| f.filename == filename)
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway payloads (public so tests can check that serenity parses each of them)
// ---------------------------------------------------------------------------------------------

/// `HELLO` (op 10).
pub fn hello_payload(heartbeat_interval_ms: u64) -> Value {
    json!({"op": 10, "d": {"heartbeat_interval": heartbeat_interval_ms}, "s": null, "t": null})
}

/// `HEARTBEAT_ACK` (op 11).
pub fn heartbeat_ack_payload() -> Value {
    json!({"op": 11})
}

/// `RECONNECT` (op 7): asks the client to reconnect and resume.
pub fn reconnect_payload() -> Value {
    json!({"op": 7, "d": null, "s": null, "t": null})
}

/// A dispatch (op 0) frame.
pub fn dispatch_frame(seq: u64, event: &str, data: Value) -> Value {
    json!({"op": 0, "s": seq, "t": event, "d": data})
}

/// `READY.d` for a fake listening on `port`.
pub fn ready_data(port: u16) -> Value {
    json!({"v": 10, "user": BOT.user_json(), "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
           "session_id": "fake-session", "resume_gateway_url": format!("ws://127.0.0.1:{port}/gateway"),
           "shard": [0, 1], "application": {"id": APP_ID.to_string(), "flags": 0}})
}

/// `RESUMED.d`.
pub fn resumed_data() -> Value {
    json!({})
}

fn role_json(id: u64, name: &str, permissions: u64, position: u64) -> Value {
    json!({"id": id.to_string(), "name": name, "color": 0,
           "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
           "hoist": false, "managed": false, "mentionable": false,
           "permissions": permissions.to_string(), "position": position,
           "icon": null, "unicode_emoji": null, "flags": 0})
}

fn channel_json(id: u64) -> Option<Value> {
    let (name, position) = match id {
        GENERAL_CHANNEL => ("general", 0),
        SUMMARY_CHANNEL => ("summary", 1),
        _ => return None,
    };
    Some(
        json!({"id": id.to_string(), "type": 0, "guild_id": GUILD_ID.to_string(), "name": name,
                "position": position, "permission_overwrites": [], "nsfw": false, "topic": null,
                "parent_id": null, "last_message_id": null, "rate_limit_per_user": 0}),
    )
}

fn guild_base_json() -> Value {
    json!({"id": GUILD_ID.to_string(), "name": "Fake Guild", "icon": null, "splash": null,
           "discovery_splash": null, "banner": null, "description": null,
           "owner_id": OWNER_ID.to_string(), "afk_channel_id": null, "afk_timeout": 300,
           "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
           "roles": [role_json(GUILD_ID, "@everyone", EVERYONE_PERMISSIONS, 0),
                     role_json(ADMIN_ROLE, "Admin", MANAGE_GUILD, 1)],
           "emojis": [], "stickers": [], "features": [], "mfa_level": 0, "application_id": null,
           "system_channel_id": null, "system_channel_flags": 0, "rules_channel_id": null,
           "vanity_url_code": null, "premium_tier": 0, "preferred_locale": "en-US",
           "public_updates_channel_id": null, "nsfw_level": 0, "premium_progress_bar_enabled": false,
           "safety_alerts_channel_id": null})
}

/// `GUILD_CREATE.d`: the full guild with its members and channels.
pub fn guild_create_data() -> Value {
    let mut g = guild_base_json();
    let extra = json!({"joined_at": "2024-01-01T00:00:00.000000+00:00", "large": false,
        "unavailable": false, "member_count": 3, "voice_states": [], "presences": [], "threads": [],
        "stage_instances": [], "guild_scheduled_events": [],
        "members": [BOT.member_json(), ALICE.member_json(), BOB.member_json()],
        "channels": [channel_json(GENERAL_CHANNEL), channel_json(SUMMARY_CHANNEL)]});
    g.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    g
}

/// `INTERACTION_CREATE.d` for an application command (`kind` 2) or an autocomplete (`kind` 4)
/// from `user` in `channel`, with the permissions Discord computes: `member.permissions` from
/// the user's roles, `app_permissions` from the bot's.
pub fn interaction_data(
    id: u64,
    token: &str,
    kind: u8,
    user: FakeUser,
    channel: u64,
    data: Value,
) -> Value {
    let mut member = user.member_json();
    member["permissions"] = json!(user.permissions().to_string());
    json!({"id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind, "data": data,
           "guild_id": GUILD_ID.to_string(), "channel_id": channel.to_string(),
           "channel": {"id": channel.to_string(), "type": 0},
           "member": member, "token": token, "version": 1,
           "app_permissions": BOT.permissions().to_string(), "locale": "en-US", "guild_locale": "en-US",
           "entitlements": [], "authorizing_integration_owners": {"0": GUILD_ID.to_string()},
           "context": 0, "attachment_size_limit": 10_485_760})
}

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

/// Options for [`FakeDiscord::start_with`].
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// The heartbeat interval sent in HELLO (Discord uses 41250 ms).
    pub heartbeat_interval_ms: u64,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            heartbeat_interval_ms: 41_250,
        }
    }
}

struct Shared {
    port: u16,
    options: FakeOptions,
    inner: Mutex<Inner>,
    /// Bumped on every recorded event, to wake waiters.
    changed: watch::Sender<u64>,
}

#[derive(Default)]
struct Inner {
    requests: Vec<RecordedRequest>,
    violations: Vec<String>,
    /// Every JSON frame the bot sent over the gateway, with the connection number.
    gateway_frames: Vec<(usize, Value)>,
    connections: usize,
    /// The identified/resumed connection dispatches go to.
    conn: Option<mpsc::UnboundedSender<WsMessage>>,
    seq: u64,
    pending: Vec<(String, Value)>,
    next_id: u64,
    global_commands: Option<Vec<Value>>,
    guild_commands: Option<Vec<Value>>,
    /// Interaction token -> channel id.
    interaction_channels: HashMap<String, u64>,
    /// Messages by id, and the `@original` message id per interaction token.
    messages: HashMap<u64, Value>,
    originals: HashMap<String, u64>,
}

impl Inner {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        100_000 + self.next_id
    }

    fn send_dispatch(&mut self, event: &str, data: Value) {
        if let Some(conn) = &self.conn {
            self.seq += 1;
            let frame = dispatch_frame(self.seq, event, data.clone());
            if conn.send(text(&frame)).is_ok() {
                return;
            }
            self.seq -= 1;
            self.conn = None;
        }
        self.pending.push((event.to_owned(), data));
    }

    fn flush_pending(&mut self) {
        for (event, data) in std::mem::take(&mut self.pending) {
            self.send_dispatch(&event, data);
        }
    }

    fn registered(&self, name: &str) -> Option<&Value> {
        self.guild_commands
            .iter()
            .chain(&self.global_commands)
            .flatten()
            .find(|c| c["name"] == name)
    }
}

fn panic_violations(violations: &[String]) -> ! {
    panic!(
        "fake Discord recorded {} violation(s):\n{}",
        violations.len(),
        violations.join("\n")
    )
}

fn text(v: &Value) -> WsMessage {
    WsMessage::Text(v.to_string().into())
}

/// The fake Discord server. Cheap to clone; all clones share the recording.
///
/// When the value returned by [`FakeDiscord::start`] is dropped (normally at the end of the
/// test) it panics if violations were recorded, so a test fails on any spec mismatch even
/// without an explicit [`FakeDiscord::assert_no_violations`]. Clones do not check.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    /// True only for the value returned by `start`.
    primary: bool,
}

impl Clone for FakeDiscord {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            primary: false,
        }
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        if self.primary && !std::thread::panicking() {
            self.assert_no_violations();
        }
    }
}

impl FakeDiscord {
    /// Starts a fake on `127.0.0.1:0` with default options.
    pub async fn start() -> Self {
        Self::start_with(FakeOptions::default()).await
    }

    /// Starts a fake on `127.0.0.1:0`.
    pub async fn start_with(options: FakeOptions) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            port,
            options,
            inner: Mutex::new(Inner::default()),
            changed: watch::channel(0).0,
        });
        let app = Router::new()
            .route("/gateway", get(gateway_upgrade))
            .fallback(rest)
            .with_state(shared.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("fake Discord server");
        });
        Self {
            shared,
            primary: true,
        }
    }

    /// `http://127.0.0.1:PORT`, the value for `serenity::HttpBuilder::proxy` (no `/api`).
    fn http_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    /// A serenity `Http` pointed at the fake (ratelimiter disabled, or the proxy is ignored).
    pub fn http(&self) -> serenity::Http {
        serenity::HttpBuilder::new(TOKEN)
            .proxy(self.http_base())
            .ratelimiter_disabled(true)
            .build()
    }

    /// Builds a serenity client for `framework` (e.g. a `poise::Framework`) talking to the fake.
    ///
    /// Does not call `ClientBuilder::token`, which would replace the proxied `Http`.
    async fn client<F>(&self, framework: F, intents: serenity::GatewayIntents) -> serenity::Client
    where
        F: serenity::Framework + 'static,
    {
        serenity::ClientBuilder::new_with_http(self.http(), intents)
            .framework(framework)
            .await
            .expect("build the serenity client")
    }

    /// Builds a client for `framework` and runs it in a background task.
    pub async fn start_bot<F>(&self, framework: F, intents: serenity::GatewayIntents) -> RunningBot
    where
        F: serenity::Framework + 'static,
    {
        let mut client = self.client(framework, intents).await;
        let shard_manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await });
        RunningBot {
            shard_manager,
            task,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ----- recording ------------------------------------------------------------------------

    /// Every REST request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Every violation so far: requests that fail the spec or hit an unknown route, routes the
    /// fake does not serve, and fake replies serenity could not parse.
    fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Removes and returns the violations recorded so far (for tests that provoke them on
    /// purpose).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().violations)
    }

    /// Panics listing every violation, if there is any.
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        if !violations.is_empty() {
            panic_violations(&violations);
        }
    }

    /// The recorded requests, one line each, for failure messages.
    fn request_log(&self) -> String {
        self.lock()
            .requests
            .iter()
            .map(RecordedRequest::summary)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits for the first recorded request (from the beginning of the recording) matching
    /// `pred`. Panics on a violation or when `timeout` runs out.
    async fn wait_for(
        &self,
        pred: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> RecordedRequest {
        self.wait_until("a matching request", timeout, |inner| {
            inner.requests.iter().find(|r| pred(r)).cloned()
        })
        .await
    }

    /// Waits until `check` returns `Some`, re-checking on every recorded event. Panics on a
    /// violation or when `timeout` runs out (with `what` and the request log).
    async fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Inner) -> Option<T>,
    ) -> T {
        let mut rx = self.shared.changed.subscribe();
        let deadline = Instant::now() + timeout;
        loop {
            {
                let inner = self.lock();
                if !inner.violations.is_empty() {
                    let violations = inner.violations.clone();
                    drop(inner);
                    panic_violations(&violations);
                }
                if let Some(found) = check(&inner) {
                    return found;
                }
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; recorded requests:\n{}",
                    self.request_log()
                );
            }
        }
    }

    /// How many gateway connections the bot has opened.
    pub fn gateway_connections(&self) -> usize {
        self.lock().connections
    }

    /// Waits until the bot has sent `count` gateway frames with opcode `op` (2 IDENTIFY,
    /// 1 HEARTBEAT, 6 RESUME) and returns them.
    pub async fn wait_gateway_op(&self, op: u64, count: usize, timeout: Duration) -> Vec<Value> {
        self.wait_until(
            &format!("{count} gateway frame(s) with op {op}"),
            timeout,
            |inner| {
                let frames: Vec<Value> = inner
                    .gateway_frames
                    .iter()
                    .filter(|(_, f)| f["op"] == op)
                    .map(|(_, f)| f.clone())
                    .collect();
                (frames.len() >= count).then_some(frames)
            },
        )
        .await
    }

    // ----- commands ---------------------------------------------------------------------------

    /// Waits for the first bulk command registration (`PUT .../commands`, global or guild) and
    /// returns its body. When it is seen, poise's `setup` has (nearly) completed.
    pub async fn wait_for_registration(&self, timeout: Duration) -> Vec<Value> {
        let req = self
            .wait_for(
                |r| r.method == "PUT" && r.api_path().ends_with("/commands"),
                timeout,
            )
            .await;
        req.json()
            .and_then(Value::as_array)
            .cloned()
            .expect("registration body is an array")
    }

    /// The last registered command set: guild (`Some(GUILD_ID)`) or global (`None`).
    pub fn registered_commands(&self, guild: Option<u64>) -> Option<Vec<Value>> {
        let inner = self.lock();
        match guild {
            Some(_) => inner.guild_commands.clone(),
            None => inner.global_commands.clone(),
        }
    }

    /// Whether Discord would show the registered command `name` to `user`, given its
    /// `default_member_permissions` (unset: everyone; `"0"`: administrators only).
    /// Panics if no such command is registered.
    pub fn command_visible_to(&self, user: FakeUser, name: &str) -> bool {
        let inner = self.lock();
        let command = inner
            .registered(name)
            .unwrap_or_else(|| panic!("command {name:?} is not registered"));
        let required = match &command["default_member_permissions"] {
            Value::Null => return true,
            Value::String(s) => s.parse::<u64>().expect("permission bitfield"),
            v => v.as_u64().expect("permission bitfield"),
        };
        let perms = user.permissions();
        perms & ADMINISTRATOR != 0 || (required != 0 && perms & required == required)
    }

    // ----- interactions -----------------------------------------------------------------------

    /// Sends an application command `INTERACTION_CREATE` from `user` in `#general`.
    ///
    /// `command` is the command name, or `"parent sub"` for a subcommand. `options` is either
    /// Discord's option array (`[{"name":..,"type":..,"value":..}]`) or an object
    /// `{"name": value}`; object values get the option type of the registered command when it
    /// is known, else one inferred from the JSON type (string 3, integer 4, bool 5, number 10).
    ///
    /// The interaction is delivered regardless of `default_member_permissions` (as for a
    /// client with stale permissions); see [`Self::command_visible_to`] for what Discord
    /// would show.
    pub fn invoke(&self, user: FakeUser, command: &str, options: Value) -> InteractionHandle {
        self.invoke_in(GENERAL_CHANNEL, user, command, options)
    }

    /// [`Self::invoke`] in another channel of the fake guild.
    fn invoke_in(
        &self,
        channel: u64,
        user: FakeUser,
        command: &str,
        options: Value,
    ) -> InteractionHandle {
        self.send_interaction(2, channel, user, command, options)
    }

    /// Sends an autocomplete `INTERACTION_CREATE` (type 4) from `user` in `#general`.
    ///
    /// `options` as for [`Self::invoke`]; in the array form exactly one option carries
    /// `"focused": true`, in the object form there must be a single key, which is focused.
    /// Values are sent as strings, as Discord does for autocomplete.
    pub fn autocomplete(&self, user: FakeUser, command: &str, options: Value) -> InteractionHandle {
        self.send_interaction(4, GENERAL_CHANNEL, user, command, options)
    }

    fn send_interaction(
        &self,
        kind: u8,
        channel: u64,
        user: FakeUser,
        command: &str,
        options: Value,
    ) -> InteractionHandle {
        let mut inner = self.lock();
        let id = 9000 + inner.next_id();
        let token = format!("tok-{id}");
        let mut path = command.split_whitespace();
        let name = path.next().expect("a command name").to_owned();
        let subs: Vec<&str> = path.collect();
        let registered = inner.registered(&name).cloned();
        if registered.is_none()
            && (inner.guild_commands.is_some() || inner.global_commands.is_some())
        {
            panic!("command {name:?} is not among the registered commands");
        }
        // The registered option list at the (sub)command level, for type lookup.
        let mut level: Option<Value> = registered.as_ref().map(|c| c["options"].clone());
        for sub in &subs {
            level = level.and_then(|opts| {
                opts.as_array()?
                    .iter()
                    .find(|o| o["name"] == *sub)
                    .map(|o| o["options"].clone())
            });
        }
        let mut opts = build_options(options, level.as_ref(), kind == 4);
        for (i, sub) in subs.iter().enumerate().rev() {
            // SUB_COMMAND_GROUP (2) wraps SUB_COMMAND (1).
            let sub_type = if i == 0 && subs.len() == 2 { 2 } else { 1 };
            opts = vec![json!({"name": sub, "type": sub_type, "options": opts})];
        }
        let command_id = registered
            .as_ref()
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "4000".into());
        let data = json!({"id": command_id, "name": name, "type": 1, "options": opts,
                          "guild_id": GUILD_ID.to_string()});
        inner.interaction_channels.insert(token.clone(), channel);
        inner.send_dispatch(
            "INTERACTION_CREATE",
            interaction_data(id, &token, kind, user, channel, data),
        );
        drop(inner);
        InteractionHandle {
            fake: self.clone(),
            id,
            token,
            command: command.to_owned(),
        }
    }

    /// Sends RECONNECT (op 7) on the current connection; dispatches are queued until the bot
    /// has resumed (or identified) on a new connection.
    pub fn force_reconnect(&self) {
        let mut inner = self.lock();
        if let Some(conn) = inner.conn.take() {
            let _ = conn.send(text(&reconnect_payload()));
        }
    }

    // ----- channel messages -------------------------------------------------------------------

    /// The messages the bot posted with `POST /channels/{channel}/messages` so far.
    pub fn channel_messages(&self, channel: u64) -> Vec<BotMessage> {
        let path = format!("/channels/{channel}/messages");
        self.lock()
            .requests
            .iter()
            .filter(|r| r.is("POST", &path))
            .map(|r| BotMessage::from_request(r, Via::ChannelMessage))
            .collect()
    }

    /// Waits until the bot has posted at least `count` messages to `channel` and returns them.
    pub async fn wait_channel_messages(
        &self,
        channel: u64,
        count: usize,
        timeout: Duration,
    ) -> Vec<BotMessage> {
        let path = format!("/channels/{channel}/messages");
        self.wait_until(
            &format!("{count} message(s) in channel {channel}"),
            timeout,
            |inner| {
                let msgs: Vec<BotMessage> = inner
                    .requests
                    .iter()
                    .filter(|r| r.is("POST", &path))
                    .map(|r| BotMessage::from_request(r, Via::ChannelMessage))
                    .collect();
                (msgs.len() >= count).then_some(msgs)
            },
        )
        .await
    }
}

/// Converts the `options` argument of [`FakeDiscord::invoke`] into Discord's option array.
fn build_options(options: Value, registered: Option<&Value>, autocomplete: bool) -> Vec<Value> {
    let registered_type = |name: &str| {
        registered
            .and_then(Value::as_array)
            .and_then(|opts| opts.iter().find(|o| o["name"] == name))
            .and_then(|o| o["type"].as_u64())
    };
    let mut opts: Vec<Value> = match options {
        Value::Null => Vec::new(),
        Value::Array(a) => a,
        Value::Object(map) => {
            assert!(
                !autocomplete || map.len() == 1,
                "autocomplete with several options needs the array form with \"focused\": true"
            );
            map.into_iter()
                .map(|(name, value)| {
                    let kind = registered_type(&name).unwrap_or(match &value {
                        Value::Bool(_) => 5,
                        Value::Number(n) if n.is_i64() || n.is_u64() => 4,
                        Value::Number(_) => 10,
                        _ => 3,
                    });
                    let mut o = json!({"name": name, "type": kind, "value": value});
                    if autocomplete {
                        o["focused"] = json!(true);
                    }
                    o
                })
                .collect()
        }
        other => panic!("options must be an array, an object or null, not {other}"),
    };
    if autocomplete {
        for o in &mut opts {
            if let Some(v) = o.get_mut("value")
                && !v.is_string()
            {
                *v = json!(v.to_string());
            }
        }
    }
    opts
}

/// A running bot client; see [`FakeDiscord::start_bot`].
pub struct RunningBot {
    shard_manager: Arc<serenity::ShardManager>,
    task: tokio::task::JoinHandle<Result<(), serenity::Error>>,
}

impl RunningBot {
    /// Shuts the shards down and waits for the client task to end.
    pub async fn shutdown(self) {
        self.shard_manager.shutdown_all().await;
        let _ = self.task.await;
    }
}

// ---------------------------------------------------------------------------------------------
// Interaction handles
// ---------------------------------------------------------------------------------------------

/// An interaction the fake sent; use it to await the bot's answer.
#[derive(Clone)]
pub struct InteractionHandle {
    fake: FakeDiscord,
    pub id: u64,
    pub token: String,
    command: String,
}

impl InteractionHandle {
    fn belongs(&self, r: &RecordedRequest) -> bool {
        let p = r.api_path();
        p == format!("/interactions/{}/{}/callback", self.id, self.token)
            || p == format!("/webhooks/{APP_ID}/{}", self.token)
            || p.starts_with(&format!("/webhooks/{APP_ID}/{}/", self.token))
    }

    fn mine(&self, inner: &Inner) -> Vec<RecordedRequest> {
        inner
            .requests
            .iter()
            .filter(|r| self.belongs(r))
            .cloned()
            .collect()
    }

    /// Every request for this interaction so far: the callback, followups, edits, deletes.
    pub fn all_requests(&self) -> Vec<RecordedRequest> {
        self.mine(&self.fake.lock())
    }

    /// Every visible message for this interaction so far, in order (callback type 4/7,
    /// followups, edits).
    pub fn messages(&self) -> Vec<BotMessage> {
        self.all_requests()
            .iter()
            .filter_map(|r| self.as_message(r))
            .collect()
    }

    fn as_message(&self, r: &RecordedRequest) -> Option<BotMessage> {
        let p = r.api_path();
        let via = if p.ends_with("/callback") {
            match r.json()?["type"].as_u64()? {
                4 | 7 => Via::Callback,
                _ => return None,
            }
        } else if r.method == "POST" {
            Via::Followup
        } else if r.method == "PATCH" && p.ends_with("/messages/@original") {
            Via::EditOriginal
        } else if r.method == "PATCH" {
            Via::EditFollowup
        } else {
            return None;
        };
        Some(BotMessage::from_request(r, via))
    }

    /// Waits for the interaction callback and returns it.
    pub async fn callback(&self, timeout: Duration) -> RecordedRequest {
        let what = format!(
            "the callback of /{} (interaction {})",
            self.command, self.id
        );
        self.fake
            .wait_until(&what, timeout, |inner| {
                self.mine(inner)
                    .into_iter()
                    .find(|r| r.api_path().ends_with("/callback"))
            })
            .await
    }

    /// Waits for the bot's final visible reply to this command.
    ///
    /// - callback type 4 (or 7): that message;
    /// - callback type 5 (deferred): the first followup (`POST /webhooks/{app}/{token}`), or,
    ///   when the bot only edits `@original`, the last such edit once no further request for
    ///   this interaction has arrived for `EDIT_SETTLE` (750 ms). When the final content is known,
    ///   [`Self::reply_where`] is exact and does not wait for the settle time.
    ///
    /// Panics on a violation, on an autocomplete/modal callback, or after `timeout`.
    pub async fn reply(&self, timeout: Duration) -> BotMessage {
        let mut rx = self.fake.shared.changed.subscribe();
        let deadline = Instant::now() + timeout;
        // (number of requests seen, when they settle, the last @original edit)
        let mut settling: Option<(usize, Instant, BotMessage)> = None;
        loop {
            let requests = {
                let inner = self.fake.lock();
                if !inner.violations.is_empty() {
                    let violations = inner.violations.clone();
                    drop(inner);
                    panic_violations(&violations);
                }
                self.mine(&inner)
            };
            if let Some(callback) = requests
                .iter()
                .find(|r| r.api_path().ends_with("/callback"))
            {
                let kind = callback.json().and_then(|j| j["type"].as_u64());
                match kind {
                    Some(4 | 7) => return BotMessage::from_request(callback, Via::Callback),
                    Some(5 | 6) => {
                        if let Some(followup) = requests
                            .iter()
                            .find(|r| r.method == "POST" && !r.api_path().ends_with("/callback"))
                        {
                            return BotMessage::from_request(followup, Via::Followup);
                        }
                        if let Some(edit) = requests.iter().rev().find(|r| {
                            r.method == "PATCH" && r.api_path().ends_with("/messages/@original")
                        }) && settling
                            .as_ref()
                            .is_none_or(|(n, _, _)| *n != requests.len())
                        {
                            settling = Some((
                                requests.len(),
                                Instant::now() + EDIT_SETTLE,
                                BotMessage::from_request(edit, Via::EditOriginal),
                            ));
                        }
                    }
                    other => panic!(
                        "/{}: callback type {other:?} is not a message reply (use choices() \
                         for autocomplete):\n{}",
                        self.command,
                        callback.summary()
                    ),
                }
            }
            let wake = settling
                .as_ref()
                .map_or(deadline, |(_, at, _)| (*at).min(deadline));
            if tokio::time::timeout_at(wake, rx.changed()).await.is_err() {
                if let Some((_, at, msg)) = settling.take()
                    && Instant::now() >= at
                {
                    return msg;
                }
                panic!(
                    "timed out after {timeout:?} waiting for the reply to /{} (interaction {}); \
                     recorded requests:\n{}",
                    self.command,
                    self.id,
                    self.fake.request_log()
                );
            }
        }
    }

    /// Waits for the first visible message for this interaction (callback, followup or edit)
    /// that satisfies `pred`.
    pub async fn reply_where(
        &self,
        pred: impl Fn(&BotMessage) -> bool,
        timeout: Duration,
    ) -> BotMessage {
        let what = format!(
            "a matching reply to /{} (interaction {})",
            self.command, self.id
        );
        self.fake
            .wait_until(&what, timeout, |inner| {
                self.mine(inner)
                    .iter()
                    .filter_map(|r| self.as_message(r))
                    .find(|m| pred(m))
            })
            .await
    }

    /// Waits for the autocomplete callback (type 8) and returns its choices
    /// (`[{"name":..,"value":..}]`).
    pub async fn choices(&self, timeout: Duration) -> Vec<Value> {
        let callback = self.callback(timeout).await;
        let body = callback.json().cloned().unwrap_or(Value::Null);
        assert_eq!(
            body["type"],
            8,
            "/{}: expected an autocomplete callback (type 8): {}",
            self.command,
            callback.summary()
        );
        body["data"]["choices"]
            .as_array()
            .cloned()
            .expect("autocomplete callback without data.choices")
    }
}

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

/// What serenity parses a reply as; the fake checks its own replies against it.
#[derive(Clone, Copy)]
enum Shape {
    None,
    Gateway,
    BotGateway,
    AppInfo,
    User,
    Commands,
    Command,
    Message,
    Channel,
    PartialGuild,
    Member,
}

fn check_shape(shape: Shape, v: &Value) -> Result<(), String> {
    fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
        serde_json::from_value::<T>(v.clone())
            .map(drop)
            .map_err(|e| e.to_string())
    }
    match shape {
        Shape::None => Ok(()),
        Shape::Gateway => parse::<serenity::Gateway>(v),
        Shape::BotGateway => parse::<serenity::BotGateway>(v),
        Shape::AppInfo => parse::<serenity::CurrentApplicationInfo>(v),
        Shape::User => parse::<serenity::User>(v),
        Shape::Commands => parse::<Vec<serenity::Command>>(v),
        Shape::Command => parse::<serenity::Command>(v),
        Shape::Message => parse::<serenity::Message>(v),
        Shape::Channel => parse::<serenity::Channel>(v),
        Shape::PartialGuild => parse::<serenity::PartialGuild>(v),
        Shape::Member => parse::<serenity::Member>(v),
    }
}

async fn parse_body(content_type: Option<&str>, bytes: Bytes) -> RequestBody {
    if bytes.is_empty() {
        return RequestBody::Empty;
    }
    let ct = content_type.unwrap_or("");
    if ct.starts_with("multipart/form-data") {
        if let Ok(boundary) = multer::parse_boundary(ct) {
            let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
            let mut multipart = multer::Multipart::new(stream, boundary);
            let mut files = Vec::new();
            let mut payload_json = None;
            while let Ok(Some(field)) = multipart.next_field().await {
                let name = field.name().unwrap_or("").to_owned();
                let filename = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(|m| m.to_string());
                let data = field.bytes().await.unwrap_or_default();
                if name == "payload_json" {
                    payload_json = serde_json::from_slice(&data).ok();
                } else {
                    files.push(FilePart {
                        name,
                        filename: filename.unwrap_or_default(),
                        content_type,
                        bytes: data.to_vec(),
                    });
                }
            }
            return RequestBody::Multipart {
                files,
                payload_json,
            };
        }
        return RequestBody::Raw(bytes.to_vec());
    }
    match serde_json::from_slice(&bytes) {
        Ok(v) if ct.is_empty() || ct.contains("json") => RequestBody::Json(v),
        _ => RequestBody::Raw(bytes.to_vec()),
    }
}

async fn rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header_str(header::CONTENT_TYPE);
    let authorization = header_str(header::AUTHORIZATION);
    let body = parse_body(content_type.as_deref(), bytes).await;
    let path = uri.path().to_owned();

    let body_ref = match &body {
        RequestBody::Empty => BodyRef::Empty,
        RequestBody::Json(v) => BodyRef::Json(v),
        RequestBody::Multipart { payload_json, .. } => BodyRef::Multipart(payload_json.as_ref()),
        RequestBody::Raw(_) => BodyRef::Other(content_type.as_deref().unwrap_or("")),
    };
    let validated =
        openapi::validate_request(method.as_str(), &path, content_type.as_deref(), body_ref);
    let route = openapi::match_route(method.as_str(), &path);

    let fake = FakeDiscord {
        shared: shared.clone(),
        primary: false,
    };
    let mut inner = fake.lock();
    let (status, reply, shape) = respond(&shared, &mut inner, &method, &path, &body);
    let index = inner.requests.len();
    let request = RecordedRequest {
        index,
        method: method.as_str().to_owned(),
        path: path.clone(),
        authorization,
        body,
        route,
        validation: validated.map(drop),
        status: status.as_u16(),
    };
    if let Err(e) = &request.validation {
        inner
            .violations
            .push(format!("#{index} {} {path}: {e}", request.method));
    }
    if status == StatusCode::NOT_IMPLEMENTED {
        inner.violations.push(format!(
            "#{index} {} {path}: the fake does not serve this route (extend fake_discord::respond)",
            request.method
        ));
    }
    if let Some(reply) = &reply
        && let Err(e) = check_shape(shape, reply)
    {
        inner.violations.push(format!(
            "#{index} {} {path}: fake bug, serenity cannot parse the reply: {e}\n  reply: {reply}",
            request.method
        ));
    }
    inner.requests.push(request);
    drop(inner);
    shared.changed.send_modify(|n| *n += 1);

    match reply {
        Some(v) => (status, axum::Json(v)).into_response(),
        None => status.into_response(),
    }
}

fn error_json(message: &str, code: u64) -> Option<Value> {
    Some(json!({"message": message, "code": code}))
}

/// The fake's answer to one REST request: status, JSON body, and what serenity parses it as.
fn respond(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    path: &str,
    body: &RequestBody,
) -> (StatusCode, Option<Value>, Shape) {
    let api = openapi::strip_api_prefix(path);
    let segs: Vec<&str> = api.trim_matches('/').split('/').collect();
    let payload = match body {
        RequestBody::Json(v) => v.clone(),
        RequestBody::Multipart { payload_json, .. } => payload_json.clone().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let files: &[FilePart] = match body {
        RequestBody::Multipart { files, .. } => files,
        _ => &[],
    };
    let app = APP_ID.to_string();
    let ok = |v: Value, shape| (StatusCode::OK, Some(v), shape);
    let no_content = (StatusCode::NO_CONTENT, None, Shape::None);
    let not_found = |msg: &str, code| (StatusCode::NOT_FOUND, error_json(msg, code), Shape::None);

    match (method.as_str(), segs.as_slice()) {
        ("GET", ["gateway"]) => ok(
            json!({"url": format!("ws://127.0.0.1:{}/gateway", shared.port)}),
            Shape::Gateway,
        ),
        ("GET", ["gateway", "bot"]) => ok(
            json!({"url": format!("ws://127.0.0.1:{}/gateway", shared.port), "shards": 1,
                   "session_start_limit": {"total": 1000, "remaining": 1000,
                                           "reset_after": 0, "max_concurrency": 1}}),
            Shape::BotGateway,
        ),
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => ok(
            json!({"id": app, "name": "fakebot", "icon": null, "description": "",
                   "bot_public": false, "bot_require_code_grant": false,
                   "owner": {"id": OWNER_ID.to_string(), "username": "owner"},
                   "verify_key": "00", "team": null, "flags": 0}),
            Shape::AppInfo,
        ),
        ("GET", ["users", "@me"]) => ok(BOT.user_json(), Shape::User),
        ("GET", ["users", id]) => {
            match [ALICE, BOB, BOT].iter().find(|u| u.id.to_string() == *id) {
                Some(u) => ok(u.user_json(), Shape::User),
                None => not_found("Unknown User", 10013),
            }
        }
        ("PUT", ["applications", a, "commands"]) if *a == app => {
            let cmds = payload.as_array().cloned().unwrap_or_default();
            let reply: Vec<Value> = cmds.iter().map(|c| command_json(inner, c, None)).collect();
            inner.global_commands = Some(reply.clone());
            ok(json!(reply), Shape::Commands)
        }
        ("PUT", ["applications", a, "guilds", g, "commands"]) if *a == app => {
            let guild = g.parse().ok();
            let cmds = payload.as_array().cloned().unwrap_or_default();
            let reply: Vec<Value> = cmds.iter().map(|c| command_json(inner, c, guild)).collect();
            inner.guild_commands = Some(reply.clone());
            ok(json!(reply), Shape::Commands)
        }
        ("GET", ["applications", a, "commands"]) if *a == app => ok(
            json!(inner.global_commands.clone().unwrap_or_default()),
            Shape::Commands,
        ),
        ("GET", ["applications", a, "guilds", _, "commands"]) if *a == app => ok(
            json!(inner.guild_commands.clone().unwrap_or_default()),
            Shape::Commands,
        ),
        ("POST", ["applications", a, "commands"]) if *a == app => {
            let c = command_json(inner, &payload, None);
            upsert(inner.global_commands.get_or_insert_default(), c.clone());
            ok(c, Shape::Command)
        }
        ("POST", ["applications", a, "guilds", g, "commands"]) if *a == app => {
            let c = command_json(inner, &payload, g.parse().ok());
            upsert(inner.guild_commands.get_or_insert_default(), c.clone());
            ok(c, Shape::Command)
        }
        ("POST", ["interactions", _, token, "callback"]) => {
            let kind = payload["type"].as_u64();
            if matches!(kind, Some(4 | 5)) {
                let channel = channel_of(inner, token);
                let msg = message_json(shared, inner, channel, &payload["data"], files, None);
                let id = msg_id(&msg);
                inner.messages.insert(id, msg);
                inner.originals.insert((*token).to_owned(), id);
            }
            no_content
        }
        ("POST", ["webhooks", a, token]) if *a == app => {
            let channel = channel_of(inner, token);
            let msg = message_json(shared, inner, channel, &payload, files, None);
            inner.messages.insert(msg_id(&msg), msg.clone());
            ok(msg, Shape::Message)
        }
        ("GET" | "PATCH", ["webhooks", a, token, "messages", m]) if *a == app => {
            let id = if *m == "@original" {
                inner.originals.get(*token).copied()
            } else {
                m.parse().ok().filter(|id| inner.messages.contains_key(id))
            };
            let Some(id) = id else {
                return not_found("Unknown Message", 10008);
            };
            let msg = if method == Method::PATCH {
                let old = inner.messages[&id].clone();
                let channel = old["channel_id"].as_str().and_then(|c| c.parse().ok());
                let new = message_json(
                    shared,
                    inner,
                    channel.unwrap_or(GENERAL_CHANNEL),
                    &merge(&old, &payload),
                    files,
                    Some(id),
                );
                inner.messages.insert(id, new.clone());
                new
            } else {
                inner.messages[&id].clone()
            };
            ok(msg, Shape::Message)
        }
        ("DELETE", ["webhooks", a, _, "messages", _]) if *a == app => no_content,
        ("GET", ["channels", c]) => match c.parse().ok().and_then(channel_json) {
            Some(ch) => ok(ch, Shape::Channel),
            None => not_found("Unknown Channel", 10003),
        },
        ("POST", ["channels", c, "messages"]) => {
            match c.parse::<u64>().ok().filter(|c| channel_json(*c).is_some()) {
                Some(channel) => {
                    let msg = message_json(shared, inner, channel, &payload, files, None);
                    inner.messages.insert(msg_id(&msg), msg.clone());
                    ok(msg, Shape::Message)
                }
                None => not_found("Unknown Channel", 10003),
            }
        }
        ("PATCH", ["channels", _, "messages", m]) => {
            match m
                .parse()
                .ok()
                .and_then(|id| inner.messages.get(&id).cloned().map(|o| (id, o)))
            {
                Some((id, old)) => {
                    let channel = old["channel_id"].as_str().and_then(|c| c.parse().ok());
                    let new = message_json(
                        shared,
                        inner,
                        channel.unwrap_or(GENERAL_CHANNEL),
                        &merge(&old, &payload),
                        files,
                        Some(id),
                    );
                    inner.messages.insert(id, new.clone());
                    ok(new, Shape::Message)
                }
                None => not_found("Unknown Message", 10008),
            }
        }
        ("DELETE", ["channels", _, "messages", _]) => no_content,
        ("POST", ["channels", _, "typing"]) => no_content,
        ("GET", ["guilds", g]) if *g == GUILD_ID.to_string() => {
            ok(guild_base_json(), Shape::PartialGuild)
        }
        ("GET", ["guilds", g, "members", u]) if *g == GUILD_ID.to_string() => {
            match [ALICE, BOB, BOT].iter().find(|m| m.id.to_string() == *u) {
                Some(m) => ok(m.member_json(), Shape::Member),
                None => not_found("Unknown Member", 10007),
            }
        }
        _ => (
            StatusCode::NOT_IMPLEMENTED,
            error_json("the fake Discord does not serve this route", 0),
            Shape::None,
        ),
    }
}

fn channel_of(inner: &Inner, token: &str) -> u64 {
    inner
        .interaction_channels
        .get(token)
        .copied()
        .unwrap_or(GENERAL_CHANNEL)
}

fn msg_id(msg: &Value) -> u64 {
    msg["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn upsert(list: &mut Vec<Value>, command: Value) {
    list.retain(|c| c["name"] != command["name"]);
    list.push(command);
}

/// `old` message fields overlaid with the keys the edit sets.
fn merge(old: &Value, edit: &Value) -> Value {
    let mut out = old.clone();
    if let (Some(o), Some(e)) = (out.as_object_mut(), edit.as_object()) {
        for (k, v) in e {
            if k != "attachments" {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// A registered Command as Discord returns it, from the registration request `cmd`.
fn command_json(inner: &mut Inner, cmd: &Value, guild: Option<u64>) -> Value {
    let mut c = cmd.clone();
    c["id"] = json!(inner.next_id().to_string());
    c["application_id"] = json!(APP_ID.to_string());
    c["version"] = json!("1");
    c["guild_id"] = guild.map_or(Value::Null, |g| json!(g.to_string()));
    if c.get("type").is_none() {
        c["type"] = json!(1);
    }
    if c.get("description").is_none() {
        c["description"] = json!("");
    }
    c
}

/// A Message as Discord returns it, with `payload`'s content/embeds/flags and one attachment
/// per file.
fn message_json(
    shared: &Shared,
    inner: &mut Inner,
    channel: u64,
    payload: &Value,
    files: &[FilePart],
    id: Option<u64>,
) -> Value {
    let id = id.unwrap_or_else(|| inner.next_id());
    let mut attachments: Vec<Value> = payload["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["id"].is_string() && a.get("url").is_some())
        .cloned()
        .collect();
    for f in files {
        let aid = inner.next_id();
        let url = format!(
            "http://127.0.0.1:{}/attachments/{channel}/{aid}/{}",
            shared.port, f.filename
        );
        attachments.push(
            json!({"id": aid.to_string(), "filename": f.filename, "size": f.bytes.len(),
                                "url": url, "proxy_url": url, "content_type": f.content_type}),
        );
    }
    json!({"id": id.to_string(), "channel_id": channel.to_string(), "guild_id": GUILD_ID.to_string(),
           "author": BOT.user_json(),
           "content": payload["content"].as_str().unwrap_or(""),
           "timestamp": "2024-01-01T00:00:00.000000+00:00", "edited_timestamp": null,
           "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
           "attachments": attachments,
           "embeds": payload["embeds"].as_array().cloned().unwrap_or_default(),
           "components": payload["components"].as_array().cloned().unwrap_or_default(),
           "pinned": false, "type": 0, "flags": payload["flags"].as_u64().unwrap_or(0)})
}

// ---------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------

async fn gateway_upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run_gateway(shared, socket))
}

async fn run_gateway(shared: Arc<Shared>, socket: WebSocket) {
    let fake = FakeDiscord {
        shared: shared.clone(),
        primary: false,
    };
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<WsMessage>();
    let writer = tokio::spawn(async move {
        while let Some(msg) = rx.recv().await {
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });
    let connection = {
        let mut inner = fake.lock();
        inner.connections += 1;
        inner.connections
    };
    let _ = tx.send(text(&hello_payload(shared.options.heartbeat_interval_ms)));
    shared.changed.send_modify(|n| *n += 1);

    // Keep reading until the stream ends, so tungstenite flushes its close reply.
    while let Some(Ok(msg)) = stream.next().await {
        let frame: Value = match &msg {
            WsMessage::Text(t) => match serde_json::from_str(t.as_str()) {
                Ok(v) => v,
                Err(_) => continue,
            },
            _ => continue,
        };
        let op = frame["op"].as_u64();
        {
            let mut inner = fake.lock();
            inner.gateway_frames.push((connection, frame));
            match op {
                Some(2) => {
                    // IDENTIFY: a new session.
                    inner.seq = 2;
                    let _ = tx.send(text(&dispatch_frame(1, "READY", ready_data(shared.port))));
                    let _ = tx.send(text(&dispatch_frame(
                        2,
                        "GUILD_CREATE",
                        guild_create_data(),
                    )));
                    inner.conn = Some(tx.clone());
                    inner.flush_pending();
                }
                Some(1) => {
                    let _ = tx.send(text(&heartbeat_ack_payload()));
                }
                Some(6) => {
                    inner.conn = Some(tx.clone());
                    inner.send_dispatch("RESUMED", resumed_data());
                    inner.flush_pending();
                }
                _ => {}
            }
        }
        shared.changed.send_modify(|n| *n += 1);
    }
    {
        let mut inner = fake.lock();
        if inner.conn.as_ref().is_some_and(|c| c.same_channel(&tx)) {
            inner.conn = None;
        }
    }
    drop(tx);
    let _ = writer.await;
}

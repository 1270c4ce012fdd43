//! A fake Discord (REST + gateway) on 127.0.0.1 for end-to-end tests of the bot.
//!
//! [`FakeDiscord::start`] binds an ephemeral port and serves:
//! - REST under `/api/v10/...` (serenity reaches it through `HttpBuilder::proxy`, with the
//!   ratelimiter disabled, see [`FakeDiscord::http`]). Every request is recorded and
//!   validated against Discord's OpenAPI spec (see [`crate::openapi`]); a request that fails
//!   validation, hits an unknown route or a route the fake does not serve is a *violation*.
//! - The gateway at `/gateway`: HELLO → IDENTIFY → READY + GUILD_CREATE, heartbeat ACKs,
//!   RESUME → (the missed dispatches again) RESUMED. Dispatches injected before IDENTIFY, or
//!   while the bot is reconnecting, are queued.
//!
//! The world: guild [`GUILD_ID`] with channels [`GENERAL_CHANNEL`] and [`SUMMARY_CHANNEL`],
//! members [`ALICE`] (no extra permissions), [`BOB`] (the Admin role, MANAGE_GUILD) and the bot
//! [`BOT`]. The application id is [`APP_ID`].
//!
//! Every helper that waits (`wait_for`, `reply`, `choices`, ...) panics at once when a
//! violation has been recorded, and panics with the recorded requests when its timeout (a
//! failure guard only) runs out. [`FakeDiscord::wait_violations`] and
//! [`InteractionHandle::wait_requests`] do not, for tests that provoke violations on purpose.
//!
//! # Discord's behaviour the fake models
//! - Routes of a guild other than [`GUILD_ID`] answer 403 `{"message":"Missing Access","code":50001}`
//!   (the bot is not in that guild). Not a violation.
//! - An interaction callback later than [`FakeOptions::initial_response_deadline`] (3 s) after
//!   the INTERACTION_CREATE went out on the websocket answers 404 Unknown interaction (10062)
//!   and is a violation: the user saw "The application did not respond".
//! - Webhook requests with an interaction token older than
//!   [`FakeOptions::interaction_token_lifetime`] (15 min) answer 401 Invalid Webhook Token
//!   (50027). Not a violation: the bot must cope.
//! - Visibility is fixed at the defer: after a type-5 callback the first followup replaces the
//!   deferred original and takes the defer's flags (its own EPHEMERAL is ignored), unless the
//!   bot edited or deleted `@original` first. [`InteractionHandle::shown`] is what users see.
//! - `POST /channels/{id}/messages` with `nonce` and `enforce_nonce: true` returns the message
//!   created with that nonce in the last 5 minutes instead of creating another.
//! - Discord's real limits (see [`crate::limits`]): a message, autocomplete answer or command
//!   registration over a limit answers 400 Invalid Form Body (50035, with the `errors` tree)
//!   and is a violation naming the limit, the field path and the length.
//!
//! # Faults
//! [`FakeDiscord::inject`] makes chosen routes fail: [`Fault::on`]`("POST",
//! "/channels/{channel_id}/messages")` with [`Fault::status`] (Discord's error body for it),
//! [`Fault::rate_limited`] (a faithful 429), [`Fault::delay`] (a slow answer), [`Fault::held`]
//! (no answer until the test clears the fault), optionally only [`Fault::times`] times. A
//! request answered with an error fault is recorded and validated but changes nothing in the
//! fake. [`FakeDiscord::drop_gateway`] cuts the gateway connection like a network drop; serenity
//! reconnects and RESUMEs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::{SinkExt, StreamExt};
use poise::serenity_prelude as serenity;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

use crate::limits::{self, LimitViolation};
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
    /// `Err` with the reasons when the request does not satisfy the spec or exceeds one of
    /// Discord's limits ([`crate::limits`]).
    pub validation: Result<(), String>,
    /// The status code the fake answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// True when the fake answered 2xx (Discord accepted the request).
    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }

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

/// A message as users see it; see [`InteractionHandle::shown`].
#[derive(Debug, Clone, PartialEq)]
pub struct ShownMessage {
    /// The effective EPHEMERAL flag (only the invoking user sees it).
    pub ephemeral: bool,
    pub content: String,
    pub embeds: Vec<Value>,
    /// The attached files' names, in order.
    pub attachments: Vec<String>,
}

impl ShownMessage {
    fn from_json(m: &Value) -> Self {
        Self {
            ephemeral: m["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0,
            content: m["content"].as_str().unwrap_or("").to_owned(),
            embeds: m["embeds"].as_array().cloned().unwrap_or_default(),
            attachments: m["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["filename"].as_str().map(str::to_owned))
                .collect(),
        }
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
///
/// Build with struct update syntax: `FakeOptions { heartbeat_interval_ms: 100,
/// ..Default::default() }`.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// The heartbeat interval sent in HELLO (Discord uses 41250 ms).
    pub heartbeat_interval_ms: u64,
    /// How long after the INTERACTION_CREATE went out Discord accepts the interaction callback
    /// (3 s on Discord). A later callback answers 404 Unknown interaction and is a violation.
    pub initial_response_deadline: Duration,
    /// How long the interaction token is valid for webhook requests (followups, edits,
    /// deletes): 15 minutes on Discord. Later requests answer 401 Invalid Webhook Token.
    pub interaction_token_lifetime: Duration,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            heartbeat_interval_ms: 41_250,
            initial_response_deadline: Duration::from_secs(3),
            interaction_token_lifetime: Duration::from_secs(15 * 60),
        }
    }
}

/// How long Discord remembers a message nonce for `enforce_nonce`.
const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

/// A failure to inject on one REST route; see [`FakeDiscord::inject`].
///
/// ```ignore
/// fake.inject(Fault::on("POST", "/channels/{channel_id}/messages").status(503).times(2));
/// fake.inject(Fault::on("POST", "/webhooks/{webhook_id}/{webhook_token}")
///     .rate_limited(Duration::from_millis(1500)));
/// fake.inject(Fault::on("GET", "/channels/{channel_id}").delay(Duration::from_secs(1)));
/// ```
#[derive(Debug, Clone)]
pub struct Fault {
    /// Upper case.
    method: String,
    /// An OpenAPI route template.
    route: String,
    answer: FaultAnswer,
    delay: Option<Duration>,
    /// `None`: until cleared.
    times: Option<usize>,
    /// Answers wait until the fault is cleared ([`Self::held`]).
    held: bool,
    /// Opens when the held fault is cleared; set by [`FakeDiscord::inject`].
    release: Option<watch::Receiver<bool>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FaultAnswer {
    /// Answer as usual (only the delay applies).
    Normal,
    Status(u16),
    RateLimited(Duration),
}

impl Fault {
    /// Requests `METHOD` to the OpenAPI route template `route` (e.g.
    /// `"/channels/{channel_id}/messages"`, `"/applications/{application_id}/guilds/{guild_id}/commands"`,
    /// `"/interactions/{interaction_id}/{interaction_token}/callback"`,
    /// `"/webhooks/{webhook_id}/{webhook_token}"`), matched with [`openapi::match_route`].
    ///
    /// Panics when the spec has no such operation (a misspelled template would never match).
    pub fn on(method: &str, route: &str) -> Fault {
        let method = method.to_ascii_uppercase();
        let route = openapi::strip_api_prefix(route).to_owned();
        assert!(
            openapi::has_operation(&method, &route),
            "Fault::on: the OpenAPI spec has no operation {method} {route} (give the route \
             template as the spec spells it, e.g. /channels/{{channel_id}}/messages)"
        );
        Fault {
            method,
            route,
            answer: FaultAnswer::Normal,
            delay: None,
            times: None,
            held: false,
            release: None,
        }
    }

    /// Answer with this status (400..=599) and Discord's JSON error body for it: 401
    /// `{"message":"401: Unauthorized","code":0}`, 403 `{"message":"Missing Access","code":50001}`,
    /// 404 the route's "Unknown …" error (e.g. `{"message":"Unknown Channel","code":10003}`,
    /// otherwise `"404: Not Found"`, code 0), 5xx `{"message":"Internal Server Error","code":0}`,
    /// other 4xx `"{status}: {reason}"`, code 0. 429 is [`Self::rate_limited`] for 1 s.
    pub fn status(mut self, status: u16) -> Fault {
        assert!(
            (400..=599).contains(&status),
            "Fault::status: {status} is not an error status"
        );
        self.answer = if status == 429 {
            FaultAnswer::RateLimited(Duration::from_secs(1))
        } else {
            FaultAnswer::Status(status)
        };
        self
    }

    /// Answer 429 as Discord does for a per-route limit: body
    /// `{"message":"You are being rate limited.","retry_after":<secs f64>,"global":false}` and the
    /// headers `Retry-After` (whole seconds, rounded up), `X-RateLimit-Limit`,
    /// `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset`, `X-RateLimit-Reset-After`,
    /// `X-RateLimit-Bucket` and `X-RateLimit-Scope: user`.
    pub fn rate_limited(mut self, retry_after: Duration) -> Fault {
        self.answer = FaultAnswer::RateLimited(retry_after);
        self
    }

    /// Answer only after `d` (a slow Discord). Alone, the answer is the normal one (the request
    /// takes effect when it arrives); with [`Self::status`] or [`Self::rate_limited`], the
    /// error comes after `d`.
    pub fn delay(mut self, d: Duration) -> Fault {
        self.delay = Some(d);
        self
    }

    /// Answer only once the fault is cleared ([`FakeDiscord::clear_fault`] or
    /// [`FakeDiscord::clear_faults`]): the request takes effect when it arrives, and the bot's
    /// call waits for its answer as long as the test wants (a Discord that hangs). Alone, the
    /// answer is the normal one. Not with [`Self::times`].
    pub fn held(mut self) -> Fault {
        self.held = true;
        self
    }

    /// Only the next `n` matching requests (default: every one until cleared).
    pub fn times(mut self, n: usize) -> Fault {
        assert!(n > 0, "Fault::times: 0 would never apply");
        self.times = Some(n);
        self
    }
}

/// Identifies an injected [`Fault`], for [`FakeDiscord::clear_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

/// An error answer: status, body, extra headers.
type ErrorAnswer = (StatusCode, Value, Vec<(&'static str, String)>);

/// Discord's error body for `status` on the route `template`.
fn fault_answer(answer: FaultAnswer, method: &str, template: &str) -> Option<ErrorAnswer> {
    match answer {
        FaultAnswer::Normal => None,
        FaultAnswer::RateLimited(retry_after) => {
            Some(rate_limited_answer(retry_after, method, template))
        }
        FaultAnswer::Status(code) => {
            let status = StatusCode::from_u16(code).expect("a valid status code");
            let body = match code {
                401 => json!({"message": "401: Unauthorized", "code": 0}),
                403 => json!({"message": "Missing Access", "code": 50001}),
                404 => {
                    let (message, code) = not_found_error(template);
                    json!({"message": message, "code": code})
                }
                500..=599 => json!({"message": "Internal Server Error", "code": 0}),
                _ => json!({"message": format!("{code}: {}",
                                status.canonical_reason().unwrap_or("Error")), "code": 0}),
            };
            Some((status, body, Vec::new()))
        }
    }
}

/// The "Unknown …" error Discord answers for a missing resource of `template`.
fn not_found_error(template: &str) -> (&'static str, u64) {
    let t = template;
    if t.starts_with("/interactions/") {
        ("Unknown interaction", 10062)
    } else if t.contains("/messages/") {
        ("Unknown Message", 10008)
    } else if t.starts_with("/webhooks/") {
        ("Unknown Webhook", 10015)
    } else if t.starts_with("/channels/") {
        ("Unknown Channel", 10003)
    } else if t.contains("/commands/") {
        ("Unknown application command", 10063)
    } else if t.contains("/members/") {
        ("Unknown Member", 10007)
    } else if t.contains("/guilds/{guild_id}") {
        ("Unknown Guild", 10004)
    } else if t.starts_with("/users/") {
        ("Unknown User", 10013)
    } else if t.starts_with("/applications/") {
        ("Unknown Application", 10002)
    } else {
        ("404: Not Found", 0)
    }
}

/// A per-route 429 as Discord sends it.
fn rate_limited_answer(retry_after: Duration, method: &str, template: &str) -> ErrorAnswer {
    let secs = retry_after.as_secs_f64();
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        + secs;
    // A stable opaque bucket id per route, like Discord's hashes.
    let bucket = format!(
        "{:016x}",
        format!("{method} {template}")
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
    );
    let headers = vec![
        ("retry-after", format!("{}", secs.ceil() as u64)),
        ("x-ratelimit-limit", "5".to_owned()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", format!("{reset:.3}")),
        ("x-ratelimit-reset-after", format!("{secs:.3}")),
        ("x-ratelimit-bucket", bucket),
        ("x-ratelimit-scope", "user".to_owned()),
    ];
    (
        StatusCode::TOO_MANY_REQUESTS,
        json!({"message": "You are being rate limited.", "retry_after": secs, "global": false}),
        headers,
    )
}

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

struct Shared {
    port: u16,
    options: FakeOptions,
    inner: Mutex<Inner>,
    /// Bumped on every recorded event, to wake waiters.
    changed: watch::Sender<u64>,
}

/// What the fake knows about one interaction it sent, by token.
struct InteractionState {
    channel: u64,
    /// When the INTERACTION_CREATE was sent and flushed on the websocket (`None` while
    /// queued, or if the connection died first).
    sent_at: Option<Instant>,
    /// The `@original` message (callback type 4/5), while it exists.
    original: Option<u64>,
    /// The flags of a type-5 defer whose "thinking" original no followup or edit has filled
    /// yet: the first followup replaces it and takes these flags.
    pending_defer: Option<u64>,
}

/// A message as Discord stores it: the Message JSON with its effective flags.
struct StoredMessage {
    json: Value,
    /// The interaction token it belongs to, for interaction responses and followups.
    token: Option<String>,
    deleted: bool,
}

#[derive(Default)]
struct Inner {
    requests: Vec<RecordedRequest>,
    violations: Vec<String>,
    /// Every JSON frame the bot sent over the gateway, with the connection number.
    gateway_frames: Vec<(usize, Value)>,
    connections: usize,
    /// The identified/resumed connection dispatches go to.
    conn: Option<mpsc::UnboundedSender<Outgoing>>,
    /// Cuts the newest gateway connection (see `FakeDiscord::drop_gateway`).
    kill: Option<Arc<Notify>>,
    seq: u64,
    /// The dispatches sent in this session, by sequence number, to replay on RESUME.
    dispatched: Vec<(u64, Value)>,
    pending: Vec<(String, Value)>,
    next_id: u64,
    global_commands: Option<Vec<Value>>,
    guild_commands: Option<Vec<Value>>,
    /// The interactions sent, by token.
    interactions: HashMap<String, InteractionState>,
    /// Messages by id (ids grow, so their order is creation order).
    messages: HashMap<u64, StoredMessage>,
    /// `(channel, nonce)` -> (when, message id), for `enforce_nonce`.
    nonces: HashMap<(u64, String), (Instant, u64)>,
    /// Indexes of the `POST /channels/{id}/messages` requests that created a message.
    channel_posts: Vec<usize>,
    /// Injected faults, in injection order (the first matching one applies).
    faults: Vec<(FaultId, Fault)>,
    next_fault: u64,
    /// Indexes of the requests a fault applied to.
    faulted: Vec<usize>,
    /// What opens each held fault's answers, by fault.
    holds: HashMap<FaultId, watch::Sender<bool>>,
    /// Permissions denied to @everyone in a channel (its permission overwrite), by channel.
    channel_denies: HashMap<u64, u64>,
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
            let interaction = (event == "INTERACTION_CREATE")
                .then(|| data["token"].as_str().map(str::to_owned))
                .flatten();
            if conn.send((text(&frame), interaction)).is_ok() {
                self.dispatched.push((self.seq, frame));
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

    /// The first fault matching `method template`, counted as used.
    fn take_fault(&mut self, method: &str, template: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|(_, f)| f.method.eq_ignore_ascii_case(method) && f.route == template)?;
        let fault = self.faults[i].1.clone();
        if let Some(n) = &mut self.faults[i].1.times {
            *n -= 1;
            if *n == 0 {
                self.faults.remove(i);
            }
        }
        Some(fault)
    }

    /// A live (not deleted) message.
    fn message(&self, id: u64) -> Option<&StoredMessage> {
        self.messages.get(&id).filter(|m| !m.deleted)
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

/// A frame for a connection's writer, with the token when it is an INTERACTION_CREATE (the
/// writer notes when it actually went out, for the deadlines).
type Outgoing = (WsMessage, Option<String>);

fn out(v: &Value) -> Outgoing {
    (text(v), None)
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

    /// Waits until at least `count` violations have been recorded and returns them, without
    /// removing them (call [`Self::take_violations`] once they are checked). Unlike the other
    /// waiting helpers it does not panic on a violation; it panics when `timeout` runs out.
    pub async fn wait_violations(&self, count: usize, timeout: Duration) -> Vec<String> {
        let mut rx = self.shared.changed.subscribe();
        let deadline = Instant::now() + timeout;
        loop {
            {
                let inner = self.lock();
                if inner.violations.len() >= count {
                    return inner.violations.clone();
                }
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                panic!(
                    "timed out after {timeout:?} waiting for {count} violation(s), got {:?}; \
                     recorded requests:\n{}",
                    self.violations(),
                    self.request_log()
                );
            }
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
        inner.interactions.insert(
            token.clone(),
            InteractionState {
                channel,
                sent_at: None,
                original: None,
                pending_defer: None,
            },
        );
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
            let _ = conn.send(out(&reconnect_payload()));
        }
    }

    /// Drops the gateway connection abruptly: no RECONNECT opcode, no close frame, as in a
    /// network drop. The bot reconnects and RESUMEs (op 6); dispatches sent meanwhile are
    /// queued and delivered after RESUMED, and one lost with the connection (sent after the
    /// `seq` the RESUME carries) is replayed before it, as Discord does.
    pub fn drop_gateway(&self) {
        let mut inner = self.lock();
        inner.conn = None;
        if let Some(kill) = &inner.kill {
            kill.notify_one();
        }
    }

    /// Denies `permissions` (bits) to @everyone in `channel`, as a channel permission
    /// overwrite does: `GET /channels/{id}` shows it from then on.
    pub fn deny_in_channel(&self, channel: u64, permissions: u64) {
        self.lock().channel_denies.insert(channel, permissions);
    }

    // ----- faults -----------------------------------------------------------------------------

    /// Injects `fault`: from now on, matching requests are answered with it (the first
    /// injected fault that matches applies). A request answered with an error is recorded
    /// (with its status) and validated like any other (spec and limits, violations included),
    /// but changes nothing in the fake; the fault takes precedence over the fake's own
    /// answers (the 400 of a limit, the deadline's 404, the token lifetime's 401).
    pub fn inject(&self, mut fault: Fault) -> FaultId {
        assert!(
            fault.answer != FaultAnswer::Normal || fault.delay.is_some() || fault.held,
            "Fault::on({}, {}) needs .status(..), .rate_limited(..), .delay(..) or .held()",
            fault.method,
            fault.route
        );
        assert!(
            !(fault.held && fault.times.is_some()),
            "Fault::on({}, {}): .held() answers when cleared, not with .times(..)",
            fault.method,
            fault.route
        );
        let mut inner = self.lock();
        inner.next_fault += 1;
        let id = FaultId(inner.next_fault);
        if fault.held {
            let (open, release) = watch::channel(false);
            fault.release = Some(release);
            inner.holds.insert(id, open);
        }
        inner.faults.push((id, fault));
        id
    }

    /// Removes one injected fault (no-op when it is used up or already cleared); the requests
    /// it held get their answers.
    pub fn clear_fault(&self, id: FaultId) {
        let mut inner = self.lock();
        inner.faults.retain(|(f, _)| *f != id);
        if let Some(open) = inner.holds.remove(&id) {
            open.send_replace(true);
        }
    }

    /// Removes every injected fault; the requests they held get their answers.
    pub fn clear_faults(&self) {
        let mut inner = self.lock();
        inner.faults.clear();
        for (_, open) in inner.holds.drain() {
            open.send_replace(true);
        }
    }

    /// Requests the fake answered with a fault so far (including those a delay-only fault
    /// slowed down), in arrival order.
    pub fn faulted_requests(&self) -> Vec<RecordedRequest> {
        let inner = self.lock();
        inner
            .faulted
            .iter()
            .map(|i| inner.requests[*i].clone())
            .collect()
    }

    /// The fake's address (`127.0.0.1:PORT`), for tests that speak raw HTTP to it (e.g. to
    /// read response headers, which serenity does not expose).
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.shared.port))
    }

    // ----- channel messages -------------------------------------------------------------------

    /// The messages the bot created in `channel` with `POST /channels/{channel}/messages` so
    /// far, as sent. Only messages that were actually created count: not a request the fake
    /// refused (a fault, a limit, an unknown channel) nor one deduplicated by its nonce; see
    /// [`Self::channel_post_attempts`] for every request.
    pub fn channel_messages(&self, channel: u64) -> Vec<BotMessage> {
        channel_messages_in(&self.lock(), channel)
    }

    /// Every `POST /channels/{channel}/messages` request so far, whatever its answer.
    pub fn channel_post_attempts(&self, channel: u64) -> Vec<RecordedRequest> {
        let path = format!("/channels/{channel}/messages");
        self.lock()
            .requests
            .iter()
            .filter(|r| r.is("POST", &path))
            .cloned()
            .collect()
    }

    /// Waits until the bot has created at least `count` messages in `channel` (as counted by
    /// [`Self::channel_messages`]) and returns them.
    pub async fn wait_channel_messages(
        &self,
        channel: u64,
        count: usize,
        timeout: Duration,
    ) -> Vec<BotMessage> {
        self.wait_until(
            &format!("{count} message(s) in channel {channel}"),
            timeout,
            |inner| {
                let msgs = channel_messages_in(inner, channel);
                (msgs.len() >= count).then_some(msgs)
            },
        )
        .await
    }
}

/// The channel messages created in `channel`, as sent.
fn channel_messages_in(inner: &Inner, channel: u64) -> Vec<BotMessage> {
    let path = format!("/channels/{channel}/messages");
    inner
        .channel_posts
        .iter()
        .map(|i| &inner.requests[*i])
        .filter(|r| r.is("POST", &path))
        .map(|r| BotMessage::from_request(r, Via::ChannelMessage))
        .collect()
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

    /// Waits until at least `count` requests for this interaction have been recorded (whatever
    /// their answer) and returns them all. Unlike the other waiting helpers it does not panic
    /// on a violation, for tests that provoke one.
    pub async fn wait_requests(&self, count: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let mut rx = self.fake.shared.changed.subscribe();
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.all_requests();
            if requests.len() >= count {
                return requests;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                panic!(
                    "timed out after {timeout:?} waiting for {count} request(s) for /{} \
                     (interaction {}); recorded requests:\n{}",
                    self.command,
                    self.id,
                    self.fake.request_log()
                );
            }
        }
    }

    /// Every message request for this interaction Discord accepted so far, in order, as sent
    /// (callback type 4/7, followups, edits).
    pub fn messages(&self) -> Vec<BotMessage> {
        self.all_requests()
            .iter()
            .filter_map(|r| self.as_message(r))
            .collect()
    }

    /// The messages of this interaction as users see them now, in creation order: not
    /// deleted, with their effective visibility (a followup that replaced a deferred original
    /// has the defer's). A deferred response still "thinking" is not listed: it has no content
    /// yet.
    pub fn shown(&self) -> Vec<ShownMessage> {
        let inner = self.fake.lock();
        let state = inner.interactions.get(&self.token);
        let mut shown: Vec<(u64, ShownMessage)> = inner
            .messages
            .iter()
            .filter(|(id, m)| {
                !m.deleted
                    && m.token.as_deref() == Some(self.token.as_str())
                    && !state.is_some_and(|s| s.pending_defer.is_some() && s.original == Some(**id))
            })
            .map(|(id, m)| (*id, ShownMessage::from_json(&m.json)))
            .collect();
        shown.sort_by_key(|(id, _)| *id);
        shown.into_iter().map(|(_, m)| m).collect()
    }

    fn as_message(&self, r: &RecordedRequest) -> Option<BotMessage> {
        if !r.accepted() {
            return None;
        }
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

    /// Waits for the interaction callback Discord accepted (2xx) and returns it.
    pub async fn callback(&self, timeout: Duration) -> RecordedRequest {
        let what = format!(
            "the callback of /{} (interaction {})",
            self.command, self.id
        );
        self.fake
            .wait_until(&what, timeout, |inner| {
                self.mine(inner)
                    .into_iter()
                    .find(|r| r.accepted() && r.api_path().ends_with("/callback"))
            })
            .await
    }

    /// Waits for the bot's final visible reply to this command, as sent. Only requests Discord
    /// accepted (2xx) count.
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
                let mut mine = self.mine(&inner);
                mine.retain(RecordedRequest::accepted);
                mine
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
    let (answer, delay, release) = record(
        &shared,
        &method,
        uri.path(),
        content_type.as_deref(),
        authorization,
        body,
    );
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if let Some(mut release) = release {
        // Cleared, or the fake gone: either way the answer goes out.
        let _ = release.wait_for(|open| *open).await;
    }
    let mut response = match answer.body {
        Some(v) => (answer.status, axum::Json(v)).into_response(),
        None => answer.status.into_response(),
    };
    for (name, value) in answer.headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("a header value"),
        );
    }
    response
}

/// Validates, answers and records one REST request; returns the answer, how long to delay it
/// and what it waits for when a held fault applies.
fn record(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    content_type: Option<&str>,
    authorization: Option<String>,
    body: RequestBody,
) -> (Answer, Option<Duration>, Option<watch::Receiver<bool>>) {
    let path = path.to_owned();
    let body_ref = match &body {
        RequestBody::Empty => BodyRef::Empty,
        RequestBody::Json(v) => BodyRef::Json(v),
        RequestBody::Multipart { payload_json, .. } => BodyRef::Multipart(payload_json.as_ref()),
        RequestBody::Raw(_) => BodyRef::Other(content_type.unwrap_or("")),
    };
    let validated = openapi::validate_request(method.as_str(), &path, content_type, body_ref);
    let route = openapi::match_route(method.as_str(), &path);
    let over_limits = route
        .map(|t| check_limits(method.as_str(), t, &body))
        .unwrap_or_default();

    let fake = FakeDiscord {
        shared: shared.clone(),
        primary: false,
    };
    let mut inner = fake.lock();
    let index = inner.requests.len();
    // An injected fault comes first, then Discord's form validation, then the fake's answer.
    let fault = route.and_then(|t| inner.take_fault(method.as_str(), t));
    let fault_error = fault
        .as_ref()
        .zip(route)
        .and_then(|(f, t)| fault_answer(f.answer, method.as_str(), t));
    let answer = if let Some((status, body, headers)) = fault_error {
        Answer {
            status,
            body: Some(body),
            shape: Shape::None,
            headers,
        }
    } else if !over_limits.is_empty() {
        Answer::error(StatusCode::BAD_REQUEST, limits::error_body(&over_limits))
    } else {
        respond(shared, &mut inner, index, method, &path, &body)
    };
    if fault.is_some() {
        inner.faulted.push(index);
    }
    let mut validation = validated.map(drop);
    if !over_limits.is_empty() {
        let over = over_limits
            .iter()
            .map(|v| format!("Discord's {v}: Discord answers 400 Invalid Form Body"))
            .collect::<Vec<_>>()
            .join("\n");
        validation = Err(match validation {
            Ok(()) => over,
            Err(e) => format!("{e}\n{over}"),
        });
    }
    let request = RecordedRequest {
        index,
        method: method.as_str().to_owned(),
        path: path.clone(),
        authorization,
        body,
        route,
        validation,
        status: answer.status.as_u16(),
    };
    if let Err(e) = &request.validation {
        inner
            .violations
            .push(format!("#{index} {} {path}: {e}", request.method));
    }
    if answer.status == StatusCode::NOT_IMPLEMENTED {
        inner.violations.push(format!(
            "#{index} {} {path}: the fake does not serve this route (extend fake_discord::respond)",
            request.method
        ));
    }
    if let Some(reply) = &answer.body
        && let Err(e) = check_shape(answer.shape, reply)
    {
        inner.violations.push(format!(
            "#{index} {} {path}: fake bug, serenity cannot parse the reply: {e}\n  reply: {reply}",
            request.method
        ));
    }
    inner.requests.push(request);
    drop(inner);
    shared.changed.send_modify(|n| *n += 1);
    match fault {
        Some(f) => (answer, f.delay, f.release),
        None => (answer, None, None),
    }
}

/// The JSON body, or the `payload_json` of a multipart body.
fn body_json(body: &RequestBody) -> Option<&Value> {
    match body {
        RequestBody::Json(v) => Some(v),
        RequestBody::Multipart { payload_json, .. } => payload_json.as_ref(),
        _ => None,
    }
}

/// Discord's limits (see [`crate::limits`]) on the message, autocomplete or registration
/// payload of a request to the route `template`.
fn check_limits(method: &str, template: &str, body: &RequestBody) -> Vec<LimitViolation> {
    let Some(p) = body_json(body) else {
        return Vec::new();
    };
    match (method, template) {
        ("POST", "/interactions/{interaction_id}/{interaction_token}/callback") => {
            match p["type"].as_u64() {
                Some(4 | 7) => limits::check_message("data", &p["data"]),
                Some(8) => limits::check_autocomplete("data", &p["data"]),
                _ => Vec::new(),
            }
        }
        ("POST", "/webhooks/{webhook_id}/{webhook_token}")
        | ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
        | ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
        | ("POST", "/channels/{channel_id}/messages")
        | ("PATCH", "/channels/{channel_id}/messages/{message_id}") => limits::check_message("", p),
        (
            "PUT" | "POST",
            "/applications/{application_id}/commands"
            | "/applications/{application_id}/guilds/{guild_id}/commands",
        ) => limits::check_commands(p),
        _ => Vec::new(),
    }
}

/// The fake's answer to one REST request.
struct Answer {
    status: StatusCode,
    body: Option<Value>,
    /// What serenity parses the body as.
    shape: Shape,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn ok(body: Value, shape: Shape) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
            shape,
            headers: Vec::new(),
        }
    }

    fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            shape: Shape::None,
            headers: Vec::new(),
        }
    }

    fn error(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            shape: Shape::None,
            headers: Vec::new(),
        }
    }

    /// `{"message": message, "code": code}`.
    fn discord_error(status: StatusCode, message: &str, code: u64) -> Self {
        Self::error(status, json!({"message": message, "code": code}))
    }
}

/// The fake's answer to one REST request (the `index`-th), applying it to the fake's state.
fn respond(
    shared: &Shared,
    inner: &mut Inner,
    index: usize,
    method: &Method,
    path: &str,
    body: &RequestBody,
) -> Answer {
    let api = openapi::strip_api_prefix(path);
    let segs: Vec<&str> = api.trim_matches('/').split('/').collect();
    let payload = body_json(body).cloned().unwrap_or(Value::Null);
    let files: &[FilePart] = match body {
        RequestBody::Multipart { files, .. } => files,
        _ => &[],
    };
    let app = APP_ID.to_string();
    let ok = Answer::ok;
    let not_found = |msg: &str, code| Answer::discord_error(StatusCode::NOT_FOUND, msg, code);

    // A guild the bot is not in (or lacks the applications.commands scope for).
    if openapi::match_route(method.as_str(), path).is_some()
        && let Some(guild) = segs
            .windows(2)
            .find(|w| w[0] == "guilds")
            .and_then(|w| w[1].parse::<u64>().ok())
        && guild != GUILD_ID
    {
        return Answer::discord_error(StatusCode::FORBIDDEN, "Missing Access", 50001);
    }
    // An expired interaction token.
    if let ["webhooks", a, token, ..] = segs.as_slice()
        && *a == app
        && let Some(sent_at) = inner.interactions.get(*token).and_then(|s| s.sent_at)
        && sent_at.elapsed() > shared.options.interaction_token_lifetime
    {
        return Answer::discord_error(StatusCode::UNAUTHORIZED, "Invalid Webhook Token", 50027);
    }

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
            let deadline = shared.options.initial_response_deadline;
            if let Some(sent_at) = inner.interactions.get(*token).and_then(|s| s.sent_at)
                && sent_at.elapsed() > deadline
            {
                inner.violations.push(format!(
                    "#{index} {method} {path}: callback {:.2?} after the INTERACTION_CREATE, past \
                     the {deadline:?} deadline: Discord answers 404 Unknown interaction and the \
                     user sees 'The application did not respond'",
                    sent_at.elapsed()
                ));
                return not_found("Unknown interaction", 10062);
            }
            let kind = payload["type"].as_u64();
            if matches!(kind, Some(4 | 5)) {
                let channel = channel_of(inner, token);
                let msg = message_json(
                    shared,
                    inner,
                    channel,
                    &payload["data"],
                    Vec::new(),
                    files,
                    None,
                );
                let id = msg_id(&msg);
                inner.messages.insert(
                    id,
                    StoredMessage {
                        json: msg,
                        token: Some((*token).to_owned()),
                        deleted: false,
                    },
                );
                let state = interaction_state(inner, token);
                state.original = Some(id);
                state.pending_defer =
                    (kind == Some(5)).then(|| payload["data"]["flags"].as_u64().unwrap_or(0));
            }
            Answer::no_content()
        }
        ("POST", ["webhooks", a, token]) if *a == app => {
            let channel = channel_of(inner, token);
            // The first followup after a defer fills the deferred original, with the defer's
            // visibility.
            let replaces = inner
                .interactions
                .get(*token)
                .and_then(|s| Some((s.original?, s.pending_defer?)));
            let msg = match replaces {
                Some((id, defer_flags)) => {
                    let mut msg = message_json(
                        shared,
                        inner,
                        channel,
                        &payload,
                        Vec::new(),
                        files,
                        Some(id),
                    );
                    let own = payload["flags"].as_u64().unwrap_or(0);
                    msg["flags"] = json!((defer_flags & EPHEMERAL) | (own & !EPHEMERAL));
                    interaction_state(inner, token).pending_defer = None;
                    msg
                }
                None => message_json(shared, inner, channel, &payload, Vec::new(), files, None),
            };
            inner.messages.insert(
                msg_id(&msg),
                StoredMessage {
                    json: msg.clone(),
                    token: Some((*token).to_owned()),
                    deleted: false,
                },
            );
            ok(msg, Shape::Message)
        }
        ("GET" | "PATCH" | "DELETE", ["webhooks", a, token, "messages", m]) if *a == app => {
            let id = if *m == "@original" {
                inner.interactions.get(*token).and_then(|s| s.original)
            } else {
                m.parse().ok()
            };
            let Some(id) = id.filter(|id| inner.message(*id).is_some()) else {
                return not_found("Unknown Message", 10008);
            };
            let is_original = inner.interactions.get(*token).and_then(|s| s.original) == Some(id);
            match method.as_str() {
                "PATCH" => {
                    let new = edit_message(shared, inner, id, &payload, files);
                    if is_original {
                        // An edit fills a deferred original: later followups are new messages.
                        interaction_state(inner, token).pending_defer = None;
                    }
                    ok(new, Shape::Message)
                }
                "DELETE" => {
                    if let Some(m) = inner.messages.get_mut(&id) {
                        m.deleted = true;
                    }
                    if is_original {
                        let state = interaction_state(inner, token);
                        state.original = None;
                        state.pending_defer = None;
                    }
                    Answer::no_content()
                }
                _ => ok(inner.messages[&id].json.clone(), Shape::Message),
            }
        }
        ("GET", ["channels", c]) => match c.parse::<u64>().ok().and_then(|id| {
            let mut ch = channel_json(id)?;
            if let Some(deny) = inner.channel_denies.get(&id) {
                ch["permission_overwrites"] = json!([{"id": GUILD_ID.to_string(), "type": 0,
                                                      "allow": "0", "deny": deny.to_string()}]);
            }
            Some(ch)
        }) {
            Some(ch) => ok(ch, Shape::Channel),
            None => not_found("Unknown Channel", 10003),
        },
        ("POST", ["channels", c, "messages"]) => {
            let Some(channel) = c.parse::<u64>().ok().filter(|c| channel_json(*c).is_some()) else {
                return not_found("Unknown Channel", 10003);
            };
            let nonce = nonce_key(&payload["nonce"]);
            if payload["enforce_nonce"] == json!(true)
                && let Some(nonce) = &nonce
                && let Some((at, id)) = inner.nonces.get(&(channel, nonce.clone())).copied()
                && at.elapsed() < NONCE_WINDOW
                && let Some(existing) = inner.message(id)
            {
                // Discord's dedupe: the message created then, nothing new.
                return ok(existing.json.clone(), Shape::Message);
            }
            let mut msg = message_json(shared, inner, channel, &payload, Vec::new(), files, None);
            if let Some(n) = payload.get("nonce").filter(|n| !n.is_null()) {
                msg["nonce"] = n.clone();
            }
            let id = msg_id(&msg);
            inner.messages.insert(
                id,
                StoredMessage {
                    json: msg.clone(),
                    token: None,
                    deleted: false,
                },
            );
            inner.channel_posts.push(index);
            if let Some(nonce) = nonce {
                inner.nonces.insert((channel, nonce), (Instant::now(), id));
            }
            ok(msg, Shape::Message)
        }
        ("PATCH" | "DELETE", ["channels", _, "messages", m]) => {
            let Some(id) = m.parse().ok().filter(|id| inner.message(*id).is_some()) else {
                return not_found("Unknown Message", 10008);
            };
            if method == Method::PATCH {
                ok(
                    edit_message(shared, inner, id, &payload, files),
                    Shape::Message,
                )
            } else {
                if let Some(m) = inner.messages.get_mut(&id) {
                    m.deleted = true;
                }
                Answer::no_content()
            }
        }
        ("POST", ["channels", _, "typing"]) => Answer::no_content(),
        ("GET", ["guilds", g]) if *g == GUILD_ID.to_string() => {
            ok(guild_base_json(), Shape::PartialGuild)
        }
        ("GET", ["guilds", g, "members", u]) if *g == GUILD_ID.to_string() => {
            match [ALICE, BOB, BOT].iter().find(|m| m.id.to_string() == *u) {
                Some(m) => ok(m.member_json(), Shape::Member),
                None => not_found("Unknown Member", 10007),
            }
        }
        _ => Answer::discord_error(
            StatusCode::NOT_IMPLEMENTED,
            "the fake Discord does not serve this route",
            0,
        ),
    }
}

/// The state of the interaction with `token`; a token the fake did not send (a test calling
/// the REST API directly) gets one in `#general`.
fn interaction_state<'a>(inner: &'a mut Inner, token: &str) -> &'a mut InteractionState {
    inner
        .interactions
        .entry(token.to_owned())
        .or_insert(InteractionState {
            channel: GENERAL_CHANNEL,
            sent_at: None,
            original: None,
            pending_defer: None,
        })
}

fn channel_of(inner: &Inner, token: &str) -> u64 {
    inner
        .interactions
        .get(token)
        .map_or(GENERAL_CHANNEL, |s| s.channel)
}

/// A message nonce as a key: strings as they are, integers in decimal.
fn nonce_key(nonce: &Value) -> Option<String> {
    match nonce {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn msg_id(msg: &Value) -> u64 {
    msg["id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn upsert(list: &mut Vec<Value>, command: Value) {
    list.retain(|c| c["name"] != command["name"]);
    list.push(command);
}

/// Applies the edit `payload` (+ new `files`) to the stored message `id` and returns it.
///
/// As on Discord: keys the edit does not set stay; `attachments`, when present, lists the
/// existing attachments to keep; the EPHEMERAL flag cannot change.
fn edit_message(
    shared: &Shared,
    inner: &mut Inner,
    id: u64,
    payload: &Value,
    files: &[FilePart],
) -> Value {
    let old = inner.messages[&id].json.clone();
    let channel = old["channel_id"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .unwrap_or(GENERAL_CHANNEL);
    let old_attachments = old["attachments"].as_array().cloned().unwrap_or_default();
    let kept = match payload["attachments"].as_array() {
        Some(keep) => old_attachments
            .into_iter()
            .filter(|a| {
                keep.iter()
                    .any(|k| k["id"].is_string() && k["id"] == a["id"])
            })
            .collect(),
        None => old_attachments,
    };
    let mut new = message_json(
        shared,
        inner,
        channel,
        &merge(&old, payload),
        kept,
        files,
        Some(id),
    );
    let old_flags = old["flags"].as_u64().unwrap_or(0);
    let flags = payload["flags"].as_u64().unwrap_or(old_flags);
    new["flags"] = json!((old_flags & EPHEMERAL) | (flags & !EPHEMERAL));
    if let Some(nonce) = old.get("nonce") {
        new["nonce"] = nonce.clone();
    }
    inner
        .messages
        .get_mut(&id)
        .expect("the edited message exists")
        .json = new.clone();
    new
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

/// A Message as Discord returns it, with `payload`'s content/embeds/flags, the `kept`
/// attachments and one new attachment per file.
fn message_json(
    shared: &Shared,
    inner: &mut Inner,
    channel: u64,
    payload: &Value,
    kept: Vec<Value>,
    files: &[FilePart],
    id: Option<u64>,
) -> Value {
    let id = id.unwrap_or_else(|| inner.next_id());
    let mut attachments = kept;
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
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let writer_shared = shared.clone();
    let writer = tokio::spawn(async move {
        while let Some((msg, interaction)) = rx.recv().await {
            if sink.send(msg).await.is_err() {
                break;
            }
            // Sent and flushed: the interaction's deadlines run from now.
            if let Some(token) = interaction {
                let mut inner = writer_shared
                    .inner
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                // A replayed dispatch keeps its first time: Discord's clock does not restart.
                if let Some(state) = inner.interactions.get_mut(&token) {
                    state.sent_at.get_or_insert_with(Instant::now);
                }
            }
        }
    });
    let kill = Arc::new(Notify::new());
    let connection = {
        let mut inner = fake.lock();
        inner.connections += 1;
        inner.kill = Some(kill.clone());
        inner.connections
    };
    let _ = tx.send(out(&hello_payload(shared.options.heartbeat_interval_ms)));
    shared.changed.send_modify(|n| *n += 1);

    // Keep reading until the stream ends, so tungstenite flushes its close reply, or until
    // `drop_gateway` cuts the connection.
    loop {
        let msg = tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(msg)) => msg,
                _ => break,
            },
            () = kill.notified() => {
                // A network drop: no close frame. Dropping both halves of the socket closes
                // the TCP connection; serenity sees a reset without closing handshake.
                writer.abort();
                let _ = writer.await;
                drop(stream);
                let mut inner = fake.lock();
                if inner.conn.as_ref().is_some_and(|c| c.same_channel(&tx)) {
                    inner.conn = None;
                }
                drop(inner);
                shared.changed.send_modify(|n| *n += 1);
                return;
            }
        };
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
            let resume_seq = frame["d"]["seq"].as_u64().unwrap_or(0);
            inner.gateway_frames.push((connection, frame));
            match op {
                Some(2) => {
                    // IDENTIFY: a new session.
                    inner.seq = 2;
                    inner.dispatched.clear();
                    let _ = tx.send(out(&dispatch_frame(1, "READY", ready_data(shared.port))));
                    let _ = tx.send(out(&dispatch_frame(2, "GUILD_CREATE", guild_create_data())));
                    inner.conn = Some(tx.clone());
                    inner.flush_pending();
                }
                Some(1) => {
                    let _ = tx.send(out(&heartbeat_ack_payload()));
                }
                Some(6) => {
                    // As Discord: replay what the client missed (a dispatch lost in a
                    // dropped connection), then RESUMED, then what was queued meanwhile.
                    for (seq, frame) in &inner.dispatched {
                        if *seq > resume_seq {
                            let interaction = (frame["t"] == "INTERACTION_CREATE")
                                .then(|| frame["d"]["token"].as_str().map(str::to_owned))
                                .flatten();
                            let _ = tx.send((text(frame), interaction));
                        }
                    }
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

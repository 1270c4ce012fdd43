//! Proves the fake Discord (`crates/fake-discord`): a tiny poise bot runs against it end to end, and
//! the recorded requests are asserted exactly and validated against Discord's OpenAPI spec.

use std::time::Duration;

use fake_discord::openapi;
use fake_discord::*;
use poise::serenity_prelude as serenity;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Context<'a> = poise::Context<'a, (), Error>;

/// Failure guard only; every wait ends as soon as its event is recorded.
const T: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// The bot under test
// ---------------------------------------------------------------------------------------------

fn png_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 2, 1);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        w.write_image_data(&[255, 0, 0, 255, 0, 0, 255, 255])
            .expect("png data");
    }
    out
}

/// Defers, then sends a PNG.
#[poise::command(slash_command)]
async fn ping(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    ctx.send(
        poise::CreateReply::default()
            .content("pong")
            .attachment(serenity::CreateAttachment::bytes(png_bytes(), "pong.png")),
    )
    .await?;
    Ok(())
}

/// Admins only.
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
async fn admin(ctx: Context<'_>) -> Result<(), Error> {
    ctx.say("admin ok").await?;
    Ok(())
}

async fn ac_query(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = ["pancake", "pandas", "parrot"]
        .into_iter()
        .filter(|c| c.starts_with(partial))
        .map(serenity::AutocompleteChoice::from)
        .take(25)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Autocompleted search.
#[poise::command(slash_command)]
async fn search(
    ctx: Context<'_>,
    #[description = "what to search"]
    #[autocomplete = "ac_query"]
    query: String,
) -> Result<(), Error> {
    ctx.say(format!("found {query}")).await?;
    Ok(())
}

/// Defers, then edits the deferred response for progress.
#[poise::command(slash_command)]
async fn progress(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    if let poise::Context::Application(actx) = ctx {
        for step in ["working 25%", "working 50%", "working 75%"] {
            actx.interaction
                .edit_response(
                    ctx.http(),
                    serenity::EditInteractionResponse::new().content(step),
                )
                .await?;
        }
        actx.interaction
            .edit_response(
                ctx.http(),
                serenity::EditInteractionResponse::new()
                    .content("done")
                    .new_attachment(serenity::CreateAttachment::bytes(png_bytes(), "chart.png")),
            )
            .await?;
    }
    Ok(())
}

/// Posts a summary in the summary channel without pinging anyone.
#[poise::command(slash_command)]
async fn announce(ctx: Context<'_>) -> Result<(), Error> {
    serenity::ChannelId::new(SUMMARY_CHANNEL)
        .send_message(
            ctx.http(),
            serenity::CreateMessage::new()
                .content("@everyone round summary")
                .allowed_mentions(serenity::CreateAllowedMentions::new()),
        )
        .await?;
    ctx.send(
        poise::CreateReply::default()
            .content("announced")
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// Answers only after 3.5 s, past Discord's 3 s initial response deadline.
#[poise::command(slash_command)]
async fn slow(ctx: Context<'_>) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(3500)).await;
    ctx.say("too late").await?;
    Ok(())
}

/// Defers, then sends its followup after 1.5 s (past a short token lifetime).
#[poise::command(slash_command)]
async fn late_followup(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    ctx.say("done").await?;
    Ok(())
}

/// Defers publicly, then fails: poise's error handler answers with an ephemeral followup.
#[poise::command(slash_command)]
async fn fail_after_defer(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    Err("boom".into())
}

/// Defers publicly, deletes the deferred response, then fails.
#[poise::command(slash_command)]
async fn fail_after_delete(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    if let poise::Context::Application(actx) = ctx {
        actx.interaction.delete_response(ctx.http()).await?;
    }
    Err("boom".into())
}

/// Answers with an embed whose field value is 1025 characters, one over Discord's limit.
#[poise::command(slash_command)]
async fn long_field(ctx: Context<'_>) -> Result<(), Error> {
    ctx.send(
        poise::CreateReply::default().embed(serenity::CreateEmbed::new().title("stats").field(
            "kills",
            "k".repeat(1025),
            false,
        )),
    )
    .await?;
    Ok(())
}

fn framework() -> poise::Framework<(), Error> {
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![
                ping(),
                admin(),
                search(),
                progress(),
                announce(),
                slow(),
                late_followup(),
                fail_after_defer(),
                fail_after_delete(),
                long_field(),
            ],
            ..Default::default()
        })
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_in_guild(
                    ctx,
                    &framework.options().commands,
                    serenity::GuildId::new(GUILD_ID),
                )
                .await?;
                Ok(())
            })
        })
        .build()
}

/// A fake with the bot connected and its commands registered.
async fn start_with(options: FakeOptions) -> (FakeDiscord, RunningBot) {
    let fake = FakeDiscord::start_with(options).await;
    let bot = fake
        .start_bot(framework(), serenity::GatewayIntents::non_privileged())
        .await;
    fake.wait_for_registration(T).await;
    (fake, bot)
}

async fn start() -> (FakeDiscord, RunningBot) {
    start_with(FakeOptions::default()).await
}

fn calls(reqs: &[RecordedRequest]) -> Vec<String> {
    reqs.iter()
        .map(|r| format!("{} {}", r.method, r.api_path()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// End to end
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn startup_registers_commands_with_default_member_permissions() {
    let (fake, bot) = start().await;
    let registration = fake.wait_for_registration(T).await;

    assert_eq!(
        calls(&fake.requests()),
        [
            "GET /gateway",
            "GET /oauth2/applications/@me",
            "PUT /applications/1000/guilds/2000/commands",
        ]
    );
    let names: Vec<&str> = registration
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ping",
            "admin",
            "search",
            "progress",
            "announce",
            "slow",
            "late_followup",
            "fail_after_defer",
            "fail_after_delete",
            "long_field"
        ]
    );
    let admin = &registration[1];
    assert_eq!(admin["default_member_permissions"], json!("32"));
    assert!(registration[0].get("default_member_permissions").is_none());
    assert!(!fake.command_visible_to(ALICE, "admin"));
    assert!(fake.command_visible_to(BOB, "admin"));
    assert!(fake.command_visible_to(ALICE, "ping"));
    let put = &fake.requests()[2];
    assert_eq!(
        put.route,
        Some("/applications/{application_id}/guilds/{guild_id}/commands")
    );
    assert_eq!(put.authorization.as_deref(), Some("Bot fake.bot.token"));

    // The IDENTIFY carries the token and the intents.
    let identify = &fake.wait_gateway_op(2, 1, T).await[0];
    assert_eq!(identify["d"]["token"], json!("Bot fake.bot.token"));
    assert_eq!(
        identify["d"]["intents"],
        json!(serenity::GatewayIntents::non_privileged().bits())
    );

    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn ping_defers_and_sends_the_png_as_a_followup() {
    let (fake, bot) = start().await;
    let ping = fake.invoke(ALICE, "ping", json!({}));
    let reply = ping.reply(T).await;

    assert_eq!(reply.via, Via::Followup);
    assert_eq!(reply.text(), "pong");
    assert!(!reply.ephemeral());
    assert_eq!(reply.files.len(), 1);
    let file = reply.file("pong.png").expect("pong.png attached");
    assert_eq!(file.name, "files[0]");
    assert_eq!(file.content_type.as_deref(), Some("image/png"));
    assert_eq!(file.bytes, png_bytes());
    assert_eq!(
        reply.payload["attachments"],
        json!([{"id": 0, "filename": "pong.png", "description": null}])
    );

    let reqs = ping.all_requests();
    assert_eq!(
        calls(&reqs),
        [
            format!("POST /interactions/{}/{}/callback", ping.id, ping.token),
            format!("POST /webhooks/1000/{}", ping.token),
        ]
    );
    assert_eq!(
        reqs[0].json(),
        Some(&json!({"type": 5, "data": {"flags": 0, "attachments": []}}))
    );
    assert!(reqs[1].is_multipart());
    assert!(reqs.iter().all(|r| r.validation.is_ok()));

    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn admin_is_denied_to_alice_and_allowed_to_bob() {
    let (fake, bot) = start().await;

    let denied = fake.invoke(ALICE, "admin", json!({})).reply(T).await;
    assert_eq!(denied.via, Via::Callback);
    assert_eq!(
        denied.text(),
        "You're lacking permissions for `/admin`: Manage Guild"
    );
    assert!(denied.ephemeral());

    let allowed = fake.invoke(BOB, "admin", json!({})).reply(T).await;
    assert_eq!(allowed.via, Via::Callback);
    assert_eq!(allowed.text(), "admin ok");
    assert!(!allowed.ephemeral());

    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn autocomplete_offers_matching_choices_then_the_command_runs() {
    let (fake, bot) = start().await;

    let ac = fake.autocomplete(ALICE, "search", json!({"query": "pan"}));
    assert_eq!(
        ac.choices(T).await,
        [
            json!({"name": "pancake", "value": "pancake"}),
            json!({"name": "pandas", "value": "pandas"})
        ]
    );

    let found = fake
        .invoke(ALICE, "search", json!({"query": "pancake"}))
        .reply(T)
        .await;
    assert_eq!(found.text(), "found pancake");

    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn progress_edits_are_recorded_in_order() {
    let (fake, bot) = start().await;
    let handle = fake.invoke(BOB, "progress", json!({}));

    let last = handle.reply(T).await;
    assert_eq!(last.via, Via::EditOriginal);
    assert_eq!(last.text(), "done");
    assert_eq!(last.file("chart.png").unwrap().bytes, png_bytes());

    let original = format!("/webhooks/1000/{}/messages/@original", handle.token);
    let reqs = handle.all_requests();
    assert_eq!(
        calls(&reqs),
        [
            format!("POST /interactions/{}/{}/callback", handle.id, handle.token),
            format!("PATCH {original}"),
            format!("PATCH {original}"),
            format!("PATCH {original}"),
            format!("PATCH {original}"),
        ]
    );
    let contents: Vec<String> = handle
        .messages()
        .iter()
        .map(|m| m.text().to_owned())
        .collect();
    assert_eq!(
        contents,
        ["working 25%", "working 50%", "working 75%", "done"]
    );
    assert_eq!(reqs[1].json(), Some(&json!({"content": "working 25%"})));
    // Users see one public message: the last edit, with its file.
    assert_eq!(
        handle.shown(),
        [ShownMessage {
            ephemeral: false,
            content: "done".into(),
            embeds: vec![],
            attachments: vec!["chart.png".into()],
        }]
    );

    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn channel_message_has_empty_allowed_mentions() {
    let (fake, bot) = start().await;
    let handle = fake.invoke(BOB, "announce", json!({}));

    let ack = handle.reply(T).await;
    assert_eq!(ack.text(), "announced");
    assert!(ack.ephemeral());

    let posted = fake.wait_channel_messages(SUMMARY_CHANNEL, 1, T).await;
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].text(), "@everyone round summary");
    assert_eq!(
        posted[0].allowed_mentions,
        Some(json!({"parse": [], "users": [], "roles": []}))
    );
    assert!(posted[0].files.is_empty());
    assert!(fake.channel_messages(GENERAL_CHANNEL).is_empty());

    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn heartbeats_are_acknowledged_on_one_connection() {
    let (fake, bot) = start_with(FakeOptions {
        heartbeat_interval_ms: 100,
        ..Default::default()
    })
    .await;
    // An unacknowledged heartbeat makes the next one reconnect; after two, one connection
    // proves the ACKs arrived.
    fake.wait_gateway_op(1, 2, T).await;
    assert_eq!(fake.gateway_connections(), 1);
    assert_eq!(fake.wait_gateway_op(2, 1, T).await.len(), 1);
    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn reconnect_resumes_and_delivers_queued_interactions() {
    let (fake, bot) = start().await;
    fake.force_reconnect();
    let ping = fake.invoke(ALICE, "ping", json!({}));
    let resume = &fake.wait_gateway_op(6, 1, T).await[0];
    assert_eq!(resume["d"]["session_id"], json!("fake-session"));
    assert_eq!(ping.reply(T).await.text(), "pong");
    assert_eq!(fake.gateway_connections(), 2);
    fake.assert_no_violations();
    bot.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The validator: positive and negative controls
// ---------------------------------------------------------------------------------------------

const CALLBACK: &str = "/api/v10/interactions/9001/tok/callback";

#[test]
fn valid_bodies_pass() {
    for body in [
        json!({"type": 4, "data": {"content": "hi", "flags": 64}}),
        json!({"type": 5, "data": {"flags": 0, "attachments": []}}),
        json!({"type": 8, "data": {"choices": [{"name": "a", "value": "a"}]}}),
    ] {
        assert_eq!(
            openapi::validate_json("POST", CALLBACK, &body),
            Ok("/interactions/{interaction_id}/{interaction_token}/callback")
        );
    }
    assert_eq!(
        openapi::validate_json(
            "POST",
            "/api/v10/channels/5001/messages",
            &json!({"content": "x".repeat(2000), "allowed_mentions": {"parse": []}})
        ),
        Ok("/channels/{channel_id}/messages")
    );
    // The patched quirk: attachment ids are integer indexes in multipart requests.
    assert!(
        openapi::validate_request(
            "POST",
            "/api/v10/webhooks/1000/tok",
            Some("multipart/form-data; boundary=x"),
            openapi::BodyRef::Multipart(Some(&json!({"content": "pong",
                "attachments": [{"id": 0, "filename": "pong.png", "description": null}]}))),
        )
        .is_ok()
    );
}

#[test]
fn unknown_callback_type_fails() {
    let err = openapi::validate_json("POST", CALLBACK, &json!({"type": 42, "data": {}}))
        .expect_err("type 42 is not a callback type");
    assert!(err.contains("/type"), "{err}");
}

#[test]
fn twenty_six_autocomplete_choices_fail() {
    let choices: Vec<Value> = (0..26)
        .map(|i| json!({"name": format!("c{i}"), "value": format!("c{i}")}))
        .collect();
    let err = openapi::validate_json(
        "POST",
        CALLBACK,
        &json!({"type": 8, "data": {"choices": choices}}),
    )
    .expect_err("26 choices exceed maxItems 25");
    assert!(err.contains("/data/choices"), "{err}");
    let ok: Vec<Value> = choices_n(25);
    assert!(
        openapi::validate_json(
            "POST",
            CALLBACK,
            &json!({"type": 8, "data": {"choices": ok}})
        )
        .is_ok()
    );
}

fn choices_n(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("c{i}"), "value": format!("c{i}")}))
        .collect()
}

#[test]
fn content_of_2001_chars_fails() {
    let long = "x".repeat(2001);
    let err = openapi::validate_json(
        "POST",
        "/api/v10/channels/5001/messages",
        &json!({"content": long}),
    )
    .expect_err("2001 chars exceed maxLength 2000");
    assert!(err.contains("/content"), "{err}");
    let err = openapi::validate_json(
        "POST",
        CALLBACK,
        &json!({"type": 4, "data": {"content": long}}),
    )
    .expect_err("2001 chars in a callback");
    assert!(err.contains("/data/content"), "{err}");
}

#[test]
fn unknown_route_fails() {
    let err = openapi::validate_json("POST", "/api/v10/channels/5001/mesages", &json!({}))
        .expect_err("misspelled route");
    assert!(err.starts_with("unknown route"), "{err}");
    assert!(
        openapi::validate_request("DELETE", "/api/v10/gateway", None, openapi::BodyRef::Empty)
            .is_err()
    );
}

#[test]
fn route_matching_prefers_literal_segments() {
    assert_eq!(
        openapi::match_route("PATCH", "/api/v10/webhooks/1000/tok/messages/@original"),
        Some("/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    );
    assert_eq!(
        openapi::match_route("PATCH", "/api/v10/webhooks/1000/tok/messages/123"),
        Some("/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
    );
    assert_eq!(
        openapi::match_route("GET", "/api/v10/oauth2/applications/@me?x=1"),
        Some("/oauth2/applications/@me")
    );
}

// ---------------------------------------------------------------------------------------------
// Every gateway payload the fake sends parses into the expected serenity event
// ---------------------------------------------------------------------------------------------

fn parse(frame: Value) -> serenity::GatewayEvent {
    serde_json::from_value(frame).expect("gateway frame parses")
}

fn dispatched(frame: Value) -> serenity::Event {
    match parse(frame) {
        serenity::GatewayEvent::Dispatch(_, event) => event,
        other => panic!("not a dispatch: {other:?}"),
    }
}

#[test]
fn hello_parses() {
    assert!(matches!(
        parse(hello_payload(41_250)),
        serenity::GatewayEvent::Hello(41_250)
    ));
}

#[test]
fn heartbeat_ack_parses() {
    assert!(matches!(
        parse(heartbeat_ack_payload()),
        serenity::GatewayEvent::HeartbeatAck
    ));
}

#[test]
fn reconnect_parses() {
    assert!(matches!(
        parse(reconnect_payload()),
        serenity::GatewayEvent::Reconnect
    ));
}

#[test]
fn ready_parses() {
    let serenity::Event::Ready(ready) = dispatched(dispatch_frame(1, "READY", ready_data(1234)))
    else {
        panic!("READY did not parse as Event::Ready");
    };
    assert_eq!(ready.ready.application.id.get(), APP_ID);
    assert_eq!(ready.ready.user.id.get(), BOT.id);
    assert_eq!(
        ready.ready.resume_gateway_url,
        "ws://127.0.0.1:1234/gateway"
    );
}

#[test]
fn guild_create_parses() {
    let serenity::Event::GuildCreate(gc) =
        dispatched(dispatch_frame(2, "GUILD_CREATE", guild_create_data()))
    else {
        panic!("GUILD_CREATE did not parse as Event::GuildCreate");
    };
    let guild = gc.guild;
    assert_eq!(guild.id.get(), GUILD_ID);
    assert_eq!(guild.members.len(), 3);
    let mut channels: Vec<u64> = guild.channels.keys().map(|c| c.get()).collect();
    channels.sort_unstable();
    assert_eq!(channels, [GENERAL_CHANNEL, SUMMARY_CHANNEL]);
    let bob = &guild.members[&serenity::UserId::new(BOB.id)];
    assert_eq!(bob.roles, [serenity::RoleId::new(ADMIN_ROLE)]);
    assert_eq!(
        guild.roles[&serenity::RoleId::new(ADMIN_ROLE)].permissions,
        serenity::Permissions::MANAGE_GUILD
    );
}

#[test]
fn resumed_parses() {
    assert!(matches!(
        dispatched(dispatch_frame(3, "RESUMED", resumed_data())),
        serenity::Event::Resumed(_)
    ));
}

#[test]
fn command_interaction_parses_with_permissions() {
    for (user, perms) in [
        (ALICE, EVERYONE_PERMISSIONS),
        (BOB, EVERYONE_PERMISSIONS | MANAGE_GUILD),
    ] {
        let data = json!({"id": "4001", "name": "search", "type": 1, "guild_id": "2000",
                          "options": [{"name": "query", "type": 3, "value": "pancake"}]});
        let frame = dispatch_frame(
            3,
            "INTERACTION_CREATE",
            interaction_data(9001, "tok", 2, user, GENERAL_CHANNEL, data),
        );
        let serenity::Event::InteractionCreate(ev) = dispatched(frame) else {
            panic!("INTERACTION_CREATE did not parse as Event::InteractionCreate");
        };
        let serenity::Interaction::Command(cmd) = ev.interaction else {
            panic!("not a command interaction");
        };
        assert_eq!(cmd.data.name, "search");
        assert_eq!(cmd.user.id.get(), user.id);
        let member = cmd.member.expect("member");
        assert_eq!(member.permissions.unwrap().bits(), perms);
        assert_eq!(cmd.app_permissions.unwrap().bits(), BOT.permissions());
        assert_eq!(cmd.channel_id.get(), GENERAL_CHANNEL);
    }
}

#[test]
fn autocomplete_interaction_parses() {
    let data = json!({"id": "4003", "name": "search", "type": 1,
                      "options": [{"name": "query", "type": 3, "value": "pan", "focused": true}]});
    let frame = dispatch_frame(
        3,
        "INTERACTION_CREATE",
        interaction_data(9002, "tok", 4, ALICE, GENERAL_CHANNEL, data),
    );
    let serenity::Event::InteractionCreate(ev) = dispatched(frame) else {
        panic!("INTERACTION_CREATE did not parse as Event::InteractionCreate");
    };
    assert!(matches!(
        ev.interaction,
        serenity::Interaction::Autocomplete(_)
    ));
}

// ---------------------------------------------------------------------------------------------
// Violations surface in tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_invalid_request_is_recorded_and_fails_waiting_helpers_fast() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let too_long = json!({"content": "x".repeat(2001)});
    let channel = serenity::ChannelId::new(SUMMARY_CHANNEL);
    // Discord refuses it as it would (400 Invalid Form Body) and the fake records a violation.
    let err = http
        .send_message(channel, vec![], &too_long)
        .await
        .expect_err("content over 2000 characters is refused");
    let e = unsuccessful(err);
    assert_eq!(e.status_code.as_u16(), 400);
    assert_eq!(e.error.code, 50035);
    assert_eq!(e.error.errors.len(), 1);
    assert_eq!(e.error.errors[0].path, "content");
    assert_eq!(e.error.errors[0].code, "BASE_TYPE_MAX_LENGTH");

    let waiter = fake.clone();
    let outcome = tokio::spawn(async move {
        waiter.wait_channel_messages(SUMMARY_CHANNEL, 2, T).await;
    })
    .await;
    assert!(outcome.expect_err("the wait panics").is_panic());

    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].starts_with("#0 POST /api/v10/channels/5001/messages:"),
        "{}",
        violations[0]
    );
    assert!(violations[0].contains("at '/content'"), "{}", violations[0]);
    assert!(
        violations[0].contains(
            "Discord's message content limit: content is 2001 characters (Discord allows at \
             most 2000): Discord answers 400 Invalid Form Body"
        ),
        "{}",
        violations[0]
    );
    assert!(fake.requests()[0].validation.is_err());
    assert_eq!(fake.requests()[0].status, 400);
    assert!(fake.channel_messages(SUMMARY_CHANNEL).is_empty());
}

/// The `ErrorResponse` of an `HttpError::UnsuccessfulRequest`.
fn unsuccessful(err: serenity::Error) -> serenity::ErrorResponse {
    match err {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(e)) => e,
        other => panic!("not an unsuccessful request: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

const CHANNEL_MESSAGES: &str = "/channels/{channel_id}/messages";

fn hello() -> Value {
    json!({"content": "hello"})
}

#[tokio::test]
async fn status_faults_give_discords_error_bodies_that_serenity_parses() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let channel = serenity::ChannelId::new(SUMMARY_CHANNEL);
    let cases: [(u16, isize, &str); 6] = [
        (401, 0, "401: Unauthorized"),
        (403, 50001, "Missing Access"),
        (404, 10003, "Unknown Channel"),
        (500, 0, "Internal Server Error"),
        (502, 0, "Internal Server Error"),
        (503, 0, "Internal Server Error"),
    ];
    for (status, code, message) in cases {
        fake.inject(Fault::on("POST", CHANNEL_MESSAGES).status(status).times(1));
        let err = http
            .send_message(channel, vec![], &hello())
            .await
            .expect_err("the fault answers an error");
        let e = unsuccessful(err);
        assert_eq!(
            (
                e.status_code.as_u16(),
                e.error.code,
                e.error.message.as_str()
            ),
            (status, code, message)
        );
        assert!(e.error.errors.is_empty());
    }
    // A route without a specific "Unknown …" error gets the generic 404.
    fake.inject(Fault::on("GET", "/gateway").status(404).times(1));
    let e = unsuccessful(http.get_gateway().await.expect_err("404"));
    assert_eq!(
        (
            e.status_code.as_u16(),
            e.error.code,
            e.error.message.as_str()
        ),
        (404, 0, "404: Not Found")
    );

    // Recorded and validated, but nothing was created.
    let statuses: Vec<u16> = fake.faulted_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 403, 404, 500, 502, 503, 404]);
    assert_eq!(fake.channel_post_attempts(SUMMARY_CHANNEL).len(), 6);
    assert!(fake.channel_messages(SUMMARY_CHANNEL).is_empty());
    assert!(fake.requests().iter().all(|r| r.validation.is_ok()));
    fake.assert_no_violations();
}

/// One HTTP/1.1 request over a plain socket, to see the response headers (serenity drops them
/// on errors). Returns the status, the headers (lower-case names) and the JSON body.
async fn raw_request(
    fake: &FakeDiscord,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, std::collections::HashMap<String, String>, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = fake.addr();
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let body = body.to_string();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bot fake.bot.token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    socket.read_to_string(&mut response).await.expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (
        status,
        headers,
        serde_json::from_str(body).expect("a JSON body"),
    )
}

#[tokio::test]
async fn a_rate_limited_fault_is_a_faithful_429() {
    let fake = FakeDiscord::start().await;
    fake.inject(
        Fault::on("POST", CHANNEL_MESSAGES)
            .rate_limited(Duration::from_millis(1500))
            .times(2),
    );

    let (status, headers, body) =
        raw_request(&fake, "POST", "/api/v10/channels/5001/messages", &hello()).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"message": "You are being rate limited.", "retry_after": 1.5, "global": false})
    );
    assert_eq!(headers["retry-after"], "2"); // whole seconds, rounded up
    assert_eq!(headers["x-ratelimit-limit"], "5");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    assert_eq!(headers["x-ratelimit-reset-after"], "1.500");
    assert_eq!(headers["x-ratelimit-scope"], "user");
    assert_eq!(headers["x-ratelimit-bucket"].len(), 16);
    let reset: f64 = headers["x-ratelimit-reset"].parse().expect("epoch seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        reset > now,
        "X-RateLimit-Reset {reset} is in the future of {now}"
    );

    // serenity (ratelimiter disabled) returns the 429 at once. Discord's 429 body has no
    // `code`, which serenity's DiscordJsonError requires: it reports code -1 and a decode
    // message, so the status is the only reliable signal.
    let e = unsuccessful(
        fake.http()
            .send_message(serenity::ChannelId::new(SUMMARY_CHANNEL), vec![], &hello())
            .await
            .expect_err("429"),
    );
    assert_eq!(e.status_code.as_u16(), 429);
    assert_eq!(e.error.code, -1);
    assert!(
        e.error
            .message
            .starts_with("[Serenity] Could not decode json"),
        "{}",
        e.error.message
    );

    // Used up: the next request goes through.
    fake.http()
        .send_message(serenity::ChannelId::new(SUMMARY_CHANNEL), vec![], &hello())
        .await
        .expect("the fault is used up");
    assert_eq!(fake.faulted_requests().len(), 2);
    assert_eq!(fake.channel_messages(SUMMARY_CHANNEL).len(), 1);
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_delay_fault_answers_normally_after_the_delay() {
    let fake = FakeDiscord::start().await;
    let delay = Duration::from_millis(300);
    fake.inject(
        Fault::on("GET", "/channels/{channel_id}")
            .delay(delay)
            .times(1),
    );
    let started = tokio::time::Instant::now();
    let channel = fake
        .http()
        .get_channel(serenity::ChannelId::new(GENERAL_CHANNEL))
        .await
        .expect("a normal answer");
    // A lower bound only: the answer cannot come before the delay.
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!(channel.id().get(), GENERAL_CHANNEL);
    let faulted = fake.faulted_requests();
    assert_eq!(faulted.len(), 1);
    assert_eq!(faulted[0].status, 200);
    fake.assert_no_violations();
}

#[tokio::test]
async fn faults_apply_n_times_or_until_cleared() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let channel = serenity::ChannelId::new(SUMMARY_CHANNEL);
    let body = hello();
    let send = || http.send_message(channel, vec![], &body);
    let status = |r: Result<serenity::Message, serenity::Error>| match r {
        Ok(_) => 200,
        Err(e) => unsuccessful(e).status_code.as_u16(),
    };

    fake.inject(Fault::on("POST", CHANNEL_MESSAGES).status(503).times(2));
    assert_eq!(
        [
            status(send().await),
            status(send().await),
            status(send().await)
        ],
        [503, 503, 200]
    );

    let id = fake.inject(Fault::on("POST", CHANNEL_MESSAGES).status(500));
    assert_eq!([status(send().await), status(send().await)], [500, 500]);
    fake.clear_fault(id);
    assert_eq!(status(send().await), 200);

    fake.inject(Fault::on("POST", CHANNEL_MESSAGES).status(502));
    fake.inject(Fault::on("POST", CHANNEL_MESSAGES).status(401));
    assert_eq!(status(send().await), 502); // the first injected applies
    fake.clear_faults();
    assert_eq!(status(send().await), 200);

    let attempts: Vec<u16> = fake
        .channel_post_attempts(SUMMARY_CHANNEL)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(attempts, [503, 503, 200, 500, 500, 200, 502, 200]);
    assert_eq!(fake.faulted_requests().len(), 5);
    assert_eq!(fake.channel_messages(SUMMARY_CHANNEL).len(), 3);
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_dropped_gateway_is_resumed_and_queued_interactions_delivered() {
    let (fake, bot) = start().await;
    // Possibly still in flight when the connection drops: replayed after the RESUME if the
    // bot had not received it, not if it had.
    let before = fake.invoke(ALICE, "ping", json!({}));
    fake.drop_gateway();
    // Sent while the bot is disconnected: queued until it has resumed.
    let during = fake.invoke(BOB, "ping", json!({}));
    let resume = &fake.wait_gateway_op(6, 1, T).await[0];
    assert_eq!(resume["d"]["session_id"], json!("fake-session"));
    assert_eq!(resume["d"]["token"], json!("Bot fake.bot.token"));
    for ping in [&before, &during] {
        assert_eq!(ping.reply(T).await.text(), "pong");
    }
    assert_eq!(fake.gateway_connections(), 2);
    // Resumed, not identified again.
    assert_eq!(fake.wait_gateway_op(2, 1, T).await.len(), 1);
    // Each interaction was handled exactly once: a defer and one followup.
    bot.shutdown().await;
    for ping in [&before, &during] {
        assert_eq!(
            ping.all_requests().len(),
            2,
            "{:?}",
            calls(&ping.all_requests())
        );
    }
    fake.assert_no_violations();
}

// ---------------------------------------------------------------------------------------------
// Discord's behaviour
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn routes_of_another_guild_answer_missing_access() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    // The bot learns its application id from READY; a bare Http needs it set.
    http.set_application_id(serenity::ApplicationId::new(APP_ID));
    let other = serenity::GuildId::new(GUILD_ID + 1);
    let err = other
        .set_commands(
            &http,
            vec![serenity::CreateCommand::new("ping").description("d")],
        )
        .await
        .expect_err("not in that guild");
    let e = unsuccessful(err);
    assert_eq!(
        (
            e.status_code.as_u16(),
            e.error.code,
            e.error.message.as_str()
        ),
        (403, 50001, "Missing Access")
    );
    assert_eq!(
        unsuccessful(http.get_guild(other).await.expect_err("403"))
            .status_code
            .as_u16(),
        403
    );
    assert_eq!(fake.registered_commands(Some(GUILD_ID)), None);
    // A legitimate request that Discord refuses: not a violation.
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_callback_after_the_deadline_is_refused_and_a_violation() {
    let (fake, bot) = start().await;
    let slow = fake.invoke(ALICE, "slow", json!({}));
    // The late answer, then poise's error handler trying the callback again.
    let reqs = slow.wait_requests(2, T).await;
    let callback = format!("POST /interactions/{}/{}/callback", slow.id, slow.token);
    assert_eq!(calls(&reqs), [callback.clone(), callback]);
    assert!(reqs.iter().all(|r| r.status == 404), "{reqs:?}");

    let violations = fake.take_violations();
    assert_eq!(violations.len(), 2, "{violations:?}");
    for v in &violations {
        assert!(v.contains("past the 3s deadline"), "{v}");
        assert!(v.contains("The application did not respond"), "{v}");
    }
    assert!(slow.shown().is_empty());
    bot.shutdown().await;
}

#[tokio::test]
async fn webhook_requests_after_the_token_lifetime_answer_401() {
    let (fake, bot) = start_with(FakeOptions {
        interaction_token_lifetime: Duration::from_secs(1),
        ..Default::default()
    })
    .await;
    let late = fake.invoke(ALICE, "late_followup", json!({}));
    // The defer, the late followup, then poise's error handler's followup.
    let reqs = late.wait_requests(3, T).await;
    let followup = format!("POST /webhooks/1000/{}", late.token);
    assert_eq!(
        calls(&reqs),
        [
            format!("POST /interactions/{}/{}/callback", late.id, late.token),
            followup.clone(),
            followup
        ]
    );
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [204, 401, 401]);
    // The user still sees the deferred "thinking" response, without content.
    assert!(late.shown().is_empty());
    // The bot has to cope: not a violation.
    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn a_followup_after_a_public_defer_is_public() {
    let (fake, bot) = start().await;
    let handle = fake.invoke(ALICE, "fail_after_defer", json!({}));
    // poise sends its error message as an ephemeral followup…
    let sent = handle.reply(T).await;
    assert_eq!(sent.via, Via::Followup);
    assert_eq!(sent.text(), "boom");
    assert!(sent.ephemeral());
    // …but it replaces the public deferred response: everyone sees it.
    assert_eq!(
        handle.shown(),
        [ShownMessage {
            ephemeral: false,
            content: "boom".into(),
            embeds: vec![],
            attachments: vec![],
        }]
    );
    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn after_deleting_the_deferred_response_a_followup_keeps_its_flags() {
    let (fake, bot) = start().await;
    let handle = fake.invoke(ALICE, "fail_after_delete", json!({}));
    let sent = handle.reply(T).await;
    assert!(sent.ephemeral());
    assert_eq!(
        calls(&handle.all_requests()),
        [
            format!("POST /interactions/{}/{}/callback", handle.id, handle.token),
            format!("DELETE /webhooks/1000/{}/messages/@original", handle.token),
            format!("POST /webhooks/1000/{}", handle.token),
        ]
    );
    // The public deferred response is gone; the error is only for the user.
    assert_eq!(
        handle.shown(),
        [ShownMessage {
            ephemeral: true,
            content: "boom".into(),
            embeds: vec![],
            attachments: vec![],
        }]
    );
    fake.assert_no_violations();
    bot.shutdown().await;
}

#[tokio::test]
async fn enforce_nonce_returns_the_message_created_first() {
    let fake = FakeDiscord::start().await;
    let http = fake.http();
    let channel = serenity::ChannelId::new(SUMMARY_CHANNEL);
    let post = |content: &str, nonce: &str, enforce: bool| json!({"content": content, "nonce": nonce, "enforce_nonce": enforce});
    let first = http
        .send_message(channel, vec![], &post("once", "n1", true))
        .await
        .unwrap();
    let retried = http
        .send_message(channel, vec![], &post("once again", "n1", true))
        .await
        .unwrap();
    assert_eq!(retried.id, first.id);
    assert_eq!(retried.content, "once");
    // Without enforce_nonce, or with another nonce, a new message.
    let unenforced = http
        .send_message(channel, vec![], &post("twice", "n1", false))
        .await
        .unwrap();
    let other = http
        .send_message(channel, vec![], &post("other", "n2", true))
        .await
        .unwrap();
    assert_ne!(unenforced.id, first.id);
    assert_ne!(other.id, unenforced.id);
    // serenity's builder sends the same fields.
    let build = || {
        serenity::CreateMessage::new()
            .content("built")
            .nonce(serenity::Nonce::String("n3".into()))
            .enforce_nonce(true)
    };
    let built = channel.send_message(&http, build()).await.unwrap();
    let rebuilt = channel.send_message(&http, build()).await.unwrap();
    assert_eq!(rebuilt.id, built.id);

    let created: Vec<String> = fake
        .channel_messages(SUMMARY_CHANNEL)
        .iter()
        .map(|m| m.text().to_owned())
        .collect();
    assert_eq!(created, ["once", "twice", "other", "built"]);
    let attempts = fake.channel_post_attempts(SUMMARY_CHANNEL);
    assert_eq!(attempts.len(), 6);
    assert!(attempts.iter().all(|r| r.status == 200));
    fake.assert_no_violations();
}

#[tokio::test]
async fn an_embed_field_over_1024_chars_is_refused_and_a_violation() {
    let (fake, bot) = start().await;
    let handle = fake.invoke(ALICE, "long_field", json!({}));
    // The refused answer, then poise's error handler's (accepted) callback.
    let reqs = handle.wait_requests(2, T).await;
    let statuses: Vec<u16> = reqs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [400, 204]);

    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(
        violations[0].contains(
            "Discord's embed field value limit: data.embeds.0.fields.0.value is 1025 \
             characters (Discord allows 1 to 1024): Discord answers 400 Invalid Form Body"
        ),
        "{}",
        violations[0]
    );
    // serenity parsed Discord's error body: poise shows it to the user.
    let error = handle.reply(T).await;
    assert!(error.ephemeral());
    assert!(
        error.text().starts_with(
            "Invalid Form Body (data.embeds.0.fields.0.value: Must be 1024 or fewer in length.)"
        ),
        "{}",
        error.text()
    );
    assert_eq!(handle.shown().len(), 1);
    bot.shutdown().await;
}

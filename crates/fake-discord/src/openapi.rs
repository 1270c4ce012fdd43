//! Validation of the bot's REST requests against Discord's published OpenAPI spec.
//!
//! The spec (`spec/discord-openapi.json`, built in) is parsed once per process, patched
//! for the two places where it disagrees with what Discord accepts from serenity (see
//! `patch_known_quirks`), and registered as a single resource so every `$ref` resolves
//! across the whole document. Validators are built lazily, one per
//! `(route template, method, media type)`, and cached.
//!
//! What is checked: the route template and method exist; a request with a body goes to an
//! operation that takes one, in a media type it lists; the JSON body (or, for multipart, the
//! JSON of the `payload_json` part) satisfies the request schema. The spec's
//! `x-discord-union: "oneOf"` markers sit on `anyOf` keywords and keep anyOf semantics (the
//! branches overlap, so a real oneOf would reject valid requests). Not checked: path and
//! query parameters, `format` annotations, and unknown keys (the schemas are open).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Registry, ValidationError, Validator};
use serde_json::{Value, json};

/// Base URI under which the spec is registered. Nothing is ever fetched from it.
const BASE: &str = "https://discord.test/openapi.json";

/// The spec as published (`spec/discord-openapi.json`, MIT licensed, see
/// `spec/discord-openapi.LICENSE`), built into the crate.
const SPEC_JSON: &str = include_str!("../spec/discord-openapi.json");

/// The patched spec document.
static SPEC: LazyLock<Value> = LazyLock::new(|| {
    let mut doc: Value = serde_json::from_str(SPEC_JSON).expect("the OpenAPI spec is not JSON");
    patch_known_quirks(&mut doc);
    doc
});

static REGISTRY: LazyLock<Registry<'static>> = LazyLock::new(|| {
    Registry::new()
        .draft(Draft::Draft202012)
        .add(BASE, &*SPEC)
        .expect("register the OpenAPI spec")
        .prepare()
        .expect("prepare the OpenAPI registry")
});

/// One operation of the spec: a route template split into segments, and its method.
struct Route {
    template: String,
    segments: Vec<Segment>,
    method: String,
}

#[derive(Clone)]
enum Segment {
    Literal(String),
    Param,
}

static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    let paths = SPEC["paths"].as_object().expect("spec has paths");
    let mut routes = Vec::new();
    for (template, item) in paths {
        let segments: Vec<Segment> = split(template)
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    Segment::Param
                } else {
                    Segment::Literal(s.to_owned())
                }
            })
            .collect();
        for method in item.as_object().into_iter().flat_map(|m| m.keys()) {
            if method == "parameters" {
                continue;
            }
            routes.push(Route {
                template: template.clone(),
                segments: segments.clone(),
                method: method.clone(),
            });
        }
    }
    routes
});

/// Validators by JSON pointer into the spec.
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<Validator>>>> =
    LazyLock::new(Default::default);

/// Patches the spec where it disagrees with what Discord documents and accepts.
///
/// 1. `MessageAttachmentRequest.id`: serenity sends new attachments' ids as integer indexes
///    (`"id":0`); the spec only allows snowflake strings.
/// 2. `default_member_permissions` in the command create/update requests: serenity sends the
///    bitfield as a string (as the Discord docs say); the spec says `integer|null`.
fn patch_known_quirks(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    schemas["MessageAttachmentRequest"]["properties"]["id"] = json!({"anyOf": [
        {"$ref": "#/components/schemas/SnowflakeType"},
        {"type": "integer", "minimum": 0}
    ]});
    for name in [
        "ApplicationCommandCreateRequest",
        "ApplicationCommandUpdateRequest",
        "ApplicationCommandPatchRequestPartial",
    ] {
        let prop = &mut schemas[name]["properties"]["default_member_permissions"];
        prop["type"] = json!(["integer", "string", "null"]);
        prop["pattern"] = json!("^[0-9]+$");
    }
    // 3. Message content: Discord documents (and enforces for bots) 2000 characters; the spec
    //    allows 4000 in the channel-message create/edit schemas. Be as strict as the docs.
    for name in [
        "MessageCreateRequest",
        "MessageEditRequestPartial",
        "BaseCreateMessageCreateRequest",
    ] {
        if schemas[name]["properties"]["content"]
            .get("maxLength")
            .is_some()
        {
            schemas[name]["properties"]["content"]["maxLength"] = json!(2000);
        }
    }
}

/// A request body as the validator sees it.
#[derive(Debug, Clone, Copy)]
pub enum BodyRef<'a> {
    /// No body at all.
    Empty,
    /// `application/json` (or another JSON media type).
    Json(&'a Value),
    /// `multipart/form-data`: the parsed `payload_json` part, if there was one.
    Multipart(Option<&'a Value>),
    /// A body that is neither JSON nor multipart, with its media type.
    Other(&'a str),
}

/// Matches `method path` against the spec's operations.
///
/// `path` may carry the `/api/v10` prefix and a query string; both are ignored. A `{param}`
/// segment matches any non-empty segment, and among the matches the template with the most
/// literal segments wins (`/messages/@original` beats `/messages/{message_id}`).
/// Returns the route template, e.g. `/channels/{channel_id}/messages`.
pub fn match_route(method: &str, path: &str) -> Option<&'static str> {
    let path = strip_api_prefix(path);
    let parts: Vec<&str> = split(path).collect();
    let method = method.to_ascii_lowercase();
    ROUTES
        .iter()
        .filter(|r| r.method == method && r.segments.len() == parts.len())
        .filter(|r| {
            r.segments.iter().zip(&parts).all(|(s, p)| match s {
                Segment::Literal(l) => l == p,
                Segment::Param => !p.is_empty(),
            })
        })
        .max_by_key(|r| {
            r.segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count()
        })
        .map(|r| r.template.as_str())
}

/// True when the spec has the operation `method template`, e.g.
/// `("POST", "/channels/{channel_id}/messages")` (the template spelled as in the spec, with its
/// parameter names).
pub fn has_operation(method: &str, template: &str) -> bool {
    let method = method.to_ascii_lowercase();
    ROUTES
        .iter()
        .any(|r| r.method == method && r.template == template)
}

/// Validates one request against the spec.
///
/// `content_type` is the request's `Content-Type` header (parameters such as the multipart
/// boundary are ignored). On success returns the matched route template; on failure a
/// human-readable description of every problem found.
pub fn validate_request(
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: BodyRef<'_>,
) -> Result<&'static str, String> {
    let Some(template) = match_route(method, path) else {
        return Err(format!(
            "unknown route: {method} {} matches no operation in the OpenAPI spec",
            strip_api_prefix(path)
        ));
    };
    let op_key = method.to_ascii_lowercase();
    let operation = &SPEC["paths"][template][&op_key];
    let request_body = operation.get("requestBody");
    let media = content_type.map(media_type);
    let instance = match body {
        BodyRef::Empty => {
            return match request_body {
                Some(rb) if rb["required"] == json!(true) => Err(format!(
                    "{method} {template}: the operation requires a request body but none was sent"
                )),
                _ => Ok(template),
            };
        }
        BodyRef::Json(v) => v,
        BodyRef::Multipart(Some(v)) => v,
        BodyRef::Multipart(None) => {
            return Err(format!(
                "{method} {template}: multipart body without a `payload_json` part"
            ));
        }
        BodyRef::Other(ct) => {
            return Err(format!(
                "{method} {template}: unsupported body media type {ct:?}"
            ));
        }
    };
    let Some(request_body) = request_body else {
        return Err(format!(
            "{method} {template}: a body was sent but the operation takes none"
        ));
    };
    let media = media.unwrap_or("application/json");
    if request_body["content"].get(media).is_none() {
        let listed: Vec<&String> = request_body["content"]
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        return Err(format!(
            "{method} {template}: media type {media:?} is not accepted (spec lists {listed:?})"
        ));
    }
    let pointer = format!(
        "/paths/{}/{}/requestBody/content/{}/schema",
        escape_token(template),
        op_key,
        escape_token(media)
    );
    validate_at_pointer(&pointer, instance)
        .map(|()| template)
        .map_err(|e| format!("{method} {template} ({media}) body does not match the spec: {e}"))
}

/// Validates `instance` against the schema at JSON `pointer` inside the spec.
///
/// When an `anyOf` fails, the message lists why each branch failed (recursively), naming the
/// branch by the schema it references where there is one.
fn validate_at_pointer(pointer: &str, instance: &Value) -> Result<(), String> {
    let validator = validator_for(pointer);
    let mut lines = Vec::new();
    for error in validator.iter_errors(instance) {
        render_error(&error, 0, &mut lines);
    }
    if lines.is_empty() {
        Ok(())
    } else {
        Err(lines.join("\n"))
    }
}

fn render_error(error: &ValidationError<'_>, depth: usize, out: &mut Vec<String>) {
    const MAX_PER_BRANCH: usize = 3;
    let pad = "  ".repeat(depth);
    let context = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            Some(context)
        }
        _ => None,
    };
    let Some(branches) = context.filter(|c| !c.is_empty()) else {
        out.push(format!(
            "{pad}at '{}': {}",
            error.instance_path(),
            shorten(&error.to_string())
        ));
        return;
    };
    let names = branch_names(error.schema_path().as_str());
    out.push(format!(
        "{pad}at '{}': matches none of the {} alternatives",
        error.instance_path(),
        branches.len()
    ));
    for (i, branch) in branches.iter().enumerate() {
        let name = names.get(i).map_or_else(|| format!("#{i}"), Clone::clone);
        // A branch rejected on its `type` discriminator is simply another variant.
        if let Some(e) = branch.iter().find(|e| {
            e.instance_path().as_str().ends_with("/type")
                && matches!(
                    e.kind(),
                    ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. }
                )
        }) {
            out.push(format!(
                "{pad}  as {name}: other variant (at '{}': {e})",
                e.instance_path()
            ));
            continue;
        }
        out.push(format!("{pad}  as {name}:"));
        for e in branch.iter().take(MAX_PER_BRANCH) {
            render_error(e, depth + 2, out);
        }
        if branch.len() > MAX_PER_BRANCH {
            out.push(format!(
                "{pad}    … and {} more",
                branch.len() - MAX_PER_BRANCH
            ));
        }
    }
}

/// The names of the `$ref` targets of the `anyOf`/`oneOf` at `schema_path` (a pointer into
/// the spec), where the branches are plain references; `#i` otherwise.
fn branch_names(schema_path: &str) -> Vec<String> {
    resolve_pointer(schema_path)
        .and_then(Value::as_array)
        .map(|branches| {
            branches
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    b["$ref"]
                        .as_str()
                        .and_then(|r| r.rsplit('/').next())
                        .map_or_else(|| format!("#{i}"), str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Cuts the middle out of long messages (jsonschema puts the whole instance first and the
/// reason last).
fn shorten(s: &str) -> String {
    const KEEP: usize = 120;
    if s.len() <= 2 * KEEP + 20 {
        return s.to_owned();
    }
    let head = (0..=KEEP)
        .rev()
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(0);
    let tail = (s.len() - KEEP..s.len())
        .find(|i| s.is_char_boundary(*i))
        .unwrap_or(s.len());
    format!("{} … {}", &s[..head], &s[tail..])
}

/// Validates `body` as the JSON request body of `method path` (convenience for negative
/// controls and ad-hoc checks).
pub fn validate_json(method: &str, path: &str, body: &Value) -> Result<&'static str, String> {
    validate_request(method, path, Some("application/json"), BodyRef::Json(body))
}

/// Removes `/api/v10` (or `/api`) and any query string.
pub(crate) fn strip_api_prefix(path: &str) -> &str {
    let path = path.split('?').next().unwrap_or(path);
    path.strip_prefix("/api/v10")
        .or_else(|| path.strip_prefix("/api"))
        .unwrap_or(path)
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.trim_matches('/').split('/')
}

fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

/// JSON-pointer token escaping plus percent-encoding of the braces, which the URI parser
/// rejects raw.
fn escape_token(s: &str) -> String {
    s.replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

fn unescape_token(s: &str) -> String {
    s.replace("%7B", "{")
        .replace("%7D", "}")
        .replace("~1", "/")
        .replace("~0", "~")
}

/// The node at JSON `pointer` inside the spec.
fn resolve_pointer(pointer: &str) -> Option<&'static Value> {
    let mut node: &Value = &SPEC;
    for token in pointer.trim_start_matches('/').split('/') {
        if token.is_empty() {
            continue;
        }
        let token = unescape_token(token);
        node = node
            .get(&token)
            .or_else(|| token.parse::<usize>().ok().and_then(|i| node.get(i)))?;
    }
    Some(node)
}

fn validator_for(pointer: &str) -> Arc<Validator> {
    if let Some(v) = VALIDATORS.lock().unwrap().get(pointer) {
        return v.clone();
    }
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(&REGISTRY)
        .build(&json!({"$ref": format!("{BASE}#{pointer}")}))
        .unwrap_or_else(|e| panic!("cannot build a validator for {pointer}: {e}"));
    let validator = Arc::new(validator);
    VALIDATORS
        .lock()
        .unwrap()
        .entry(pointer.to_owned())
        .or_insert(validator)
        .clone()
}

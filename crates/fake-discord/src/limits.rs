//! Discord's real limits on what a bot sends, where the published OpenAPI spec is looser or
//! silent.
//!
//! The spec already carries most per-field maximums (embed title 256, field value 1024, 10
//! embeds, 25 choices, ...), but a request that breaks them only fails the spec check; Discord
//! answers `400 Invalid Form Body` (code 50035). These functions restate every limit a message
//! or an autocomplete answer is subject to, and add the ones the spec does not have:
//! - message content 2000 characters (the spec allows 4000 on some schemas; patched in
//!   `openapi.rs` too);
//! - embed field names and values must not be empty (the spec has no `minLength`);
//! - the 6000-character total over all the embeds of a message (not expressible in the spec);
//! - an autocomplete or registered string choice value is at most 100 characters (the spec says
//!   6000);
//! - a chat-input command's description is 1 to 100 characters (the spec allows none).
//!
//! For registrations only the last two are checked here (the spec has the other registration
//! limits); for messages and autocomplete answers every limit is restated, so that any excess
//! gets Discord's 400 and a violation naming it.
//!
//! Each check returns the [`LimitViolation`]s found; [`error_body`] turns them into the body
//! Discord sends, which serenity parses into `DiscordJsonError::errors` (one entry per field,
//! with the dotted path).
//!
//! Lengths are counted in Unicode code points (`chars().count()`). Discord documents its limits
//! in "characters"; code points are close enough for every text the bot produces (they differ
//! from what a user sees only for combined emoji and the like).

use std::fmt;

use serde_json::{Map, Value, json};

/// Message content.
pub const CONTENT_MAX: usize = 2000;
/// Embeds per message.
pub const EMBEDS_MAX: usize = 10;
/// Embed title.
pub const EMBED_TITLE_MAX: usize = 256;
/// Embed description.
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
/// Fields per embed.
pub const EMBED_FIELDS_MAX: usize = 25;
/// Embed field name (at least 1).
pub const FIELD_NAME_MAX: usize = 256;
/// Embed field value (at least 1).
pub const FIELD_VALUE_MAX: usize = 1024;
/// Embed footer text.
pub const FOOTER_TEXT_MAX: usize = 2048;
/// Embed author name.
pub const AUTHOR_NAME_MAX: usize = 256;
/// Title, description, field names and values, footer texts and author names of all the embeds of
/// one message together.
pub const EMBEDS_TOTAL_MAX: usize = 6000;
/// Autocomplete choices per answer (and choices per registered option).
pub const CHOICES_MAX: usize = 25;
/// Choice name (at least 1).
pub const CHOICE_NAME_MAX: usize = 100;
/// String choice value.
pub const CHOICE_VALUE_MAX: usize = 100;
/// Chat-input command description (at least 1).
pub const COMMAND_DESCRIPTION_MAX: usize = 100;

/// One limit a request exceeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitViolation {
    /// The limit, e.g. `"embed field value"`.
    pub limit: &'static str,
    /// Dotted path of the field in the request body, as in Discord's error body, e.g.
    /// `data.embeds.0.fields.2.value`.
    pub path: String,
    /// The measured length: characters for text, items for lists.
    pub length: usize,
    /// The allowed range.
    pub min: usize,
    pub max: usize,
    /// `"characters"` or `"items"`.
    pub unit: &'static str,
}

impl LimitViolation {
    /// Discord's error code and message for this field.
    fn discord_error(&self) -> (&'static str, String) {
        if self.limit == "embeds total" {
            return (
                "MAX_EMBED_SIZE_EXCEEDED",
                format!("Embed size exceeds maximum size of {}", self.max),
            );
        }
        // An embed field's name and value are required, with a maximum length; other texts
        // with a minimum have a length range.
        let embed_field = self.limit.starts_with("embed field ");
        if embed_field && self.length == 0 {
            return ("BASE_TYPE_REQUIRED", "This field is required".to_owned());
        }
        if self.min > 0 && !embed_field {
            (
                "BASE_TYPE_BAD_LENGTH",
                format!("Must be between {} and {} in length.", self.min, self.max),
            )
        } else {
            (
                "BASE_TYPE_MAX_LENGTH",
                format!("Must be {} or fewer in length.", self.max),
            )
        }
    }
}

impl fmt::Display for LimitViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = if self.min > 0 {
            format!("{} to {}", self.min, self.max)
        } else {
            format!("at most {}", self.max)
        };
        write!(
            f,
            "{} limit: {} is {} {} (Discord allows {range})",
            self.limit, self.path, self.length, self.unit
        )
    }
}

/// Code points, see the module doc.
fn chars(s: &str) -> usize {
    s.chars().count()
}

fn check(
    limit: &'static str,
    path: &str,
    length: usize,
    min: usize,
    max: usize,
    unit: &'static str,
) -> Option<LimitViolation> {
    (length < min || length > max).then(|| LimitViolation {
        limit,
        path: path.to_owned(),
        length,
        min,
        max,
        unit,
    })
}

/// `prefix.key`, or `key` at the top level.
fn at(prefix: &str, key: impl fmt::Display) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

// ----- one function per limit ---------------------------------------------------------------

/// Message content: at most 2000 characters.
pub fn content(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "message content",
        path,
        chars(s),
        0,
        CONTENT_MAX,
        "characters",
    )
}

/// At most 10 embeds per message.
pub fn embed_count(path: &str, n: usize) -> Option<LimitViolation> {
    check("embeds per message", path, n, 0, EMBEDS_MAX, "items")
}

/// Embed title: at most 256 characters.
pub fn embed_title(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "embed title",
        path,
        chars(s),
        0,
        EMBED_TITLE_MAX,
        "characters",
    )
}

/// Embed description: at most 4096 characters.
pub fn embed_description(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "embed description",
        path,
        chars(s),
        0,
        EMBED_DESCRIPTION_MAX,
        "characters",
    )
}

/// At most 25 fields per embed.
pub fn embed_field_count(path: &str, n: usize) -> Option<LimitViolation> {
    check("fields per embed", path, n, 0, EMBED_FIELDS_MAX, "items")
}

/// Embed field name: 1 to 256 characters.
pub fn embed_field_name(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "embed field name",
        path,
        chars(s),
        1,
        FIELD_NAME_MAX,
        "characters",
    )
}

/// Embed field value: 1 to 1024 characters.
pub fn embed_field_value(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "embed field value",
        path,
        chars(s),
        1,
        FIELD_VALUE_MAX,
        "characters",
    )
}

/// Embed footer text: at most 2048 characters.
pub fn embed_footer_text(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "embed footer text",
        path,
        chars(s),
        0,
        FOOTER_TEXT_MAX,
        "characters",
    )
}

/// Embed author name: at most 256 characters.
pub fn embed_author_name(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "embed author name",
        path,
        chars(s),
        0,
        AUTHOR_NAME_MAX,
        "characters",
    )
}

/// The counted text of all the embeds of one message: at most 6000 characters.
pub fn embeds_total(path: &str, total: usize) -> Option<LimitViolation> {
    check(
        "embeds total",
        path,
        total,
        0,
        EMBEDS_TOTAL_MAX,
        "characters",
    )
}

/// At most 25 choices (autocomplete answer or registered option).
pub fn choice_count(path: &str, n: usize) -> Option<LimitViolation> {
    check("choices", path, n, 0, CHOICES_MAX, "items")
}

/// Choice name: 1 to 100 characters.
pub fn choice_name(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "choice name",
        path,
        chars(s),
        1,
        CHOICE_NAME_MAX,
        "characters",
    )
}

/// String choice value: at most 100 characters (the spec says 6000).
pub fn choice_value(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "string choice value",
        path,
        chars(s),
        0,
        CHOICE_VALUE_MAX,
        "characters",
    )
}

/// Chat-input command description: 1 to 100 characters (the spec has no minimum).
pub fn command_description(path: &str, s: &str) -> Option<LimitViolation> {
    check(
        "command description",
        path,
        chars(s),
        1,
        COMMAND_DESCRIPTION_MAX,
        "characters",
    )
}

// ----- whole payloads -------------------------------------------------------------------------

/// The limits of one message payload (a callback's `data`, a followup, an edit or a channel
/// message) at `prefix` (`""` at the top level, `"data"` in a callback). Only the keys present
/// are checked, so partial edits pass.
pub fn check_message(prefix: &str, payload: &Value) -> Vec<LimitViolation> {
    let mut out = Vec::new();
    if let Some(s) = payload["content"].as_str() {
        out.extend(content(&at(prefix, "content"), s));
    }
    if let Some(embeds) = payload["embeds"].as_array() {
        let path = at(prefix, "embeds");
        out.extend(embed_count(&path, embeds.len()));
        let mut total = 0;
        for (i, embed) in embeds.iter().enumerate() {
            total += check_embed(&at(&path, i), embed, &mut out);
        }
        out.extend(embeds_total(&path, total));
    }
    out
}

/// Checks one embed's fields into `out` and returns its counted text length.
fn check_embed(path: &str, embed: &Value, out: &mut Vec<LimitViolation>) -> usize {
    let mut total = 0;
    let mut text = |key: &str, s: Option<&str>, f: fn(&str, &str) -> Option<LimitViolation>| {
        if let Some(s) = s {
            total += chars(s);
            out.extend(f(&at(path, key), s));
        }
    };
    text("title", embed["title"].as_str(), embed_title);
    text(
        "description",
        embed["description"].as_str(),
        embed_description,
    );
    text(
        "footer.text",
        embed["footer"]["text"].as_str(),
        embed_footer_text,
    );
    text(
        "author.name",
        embed["author"]["name"].as_str(),
        embed_author_name,
    );
    if let Some(fields) = embed["fields"].as_array() {
        let fields_path = at(path, "fields");
        out.extend(embed_field_count(&fields_path, fields.len()));
        for (i, field) in fields.iter().enumerate() {
            let field_path = at(&fields_path, i);
            // A missing name or value is a spec error; an empty one is only Discord's.
            for (key, f) in [
                (
                    "name",
                    embed_field_name as fn(&str, &str) -> Option<LimitViolation>,
                ),
                ("value", embed_field_value),
            ] {
                if let Some(s) = field[key].as_str() {
                    total += chars(s);
                    out.extend(f(&at(&field_path, key), s));
                }
            }
        }
    }
    total
}

/// The limits of an autocomplete callback's `data` at `prefix`.
pub fn check_autocomplete(prefix: &str, data: &Value) -> Vec<LimitViolation> {
    let mut out = Vec::new();
    if let Some(choices) = data["choices"].as_array() {
        check_choices(&at(prefix, "choices"), choices, &mut out);
    }
    out
}

fn check_choices(path: &str, choices: &[Value], out: &mut Vec<LimitViolation>) {
    out.extend(choice_count(path, choices.len()));
    for (i, choice) in choices.iter().enumerate() {
        let p = at(path, i);
        if let Some(name) = choice["name"].as_str() {
            out.extend(choice_name(&at(&p, "name"), name));
        }
        if let Some(value) = choice["value"].as_str() {
            out.extend(choice_value(&at(&p, "value"), value));
        }
    }
}

/// The limits of a command registration the spec lacks: the body of a bulk `PUT .../commands`
/// (an array) or of a single `POST` (an object). Names (1–32), option descriptions (1–100),
/// 25 options, 25 choices and choice names (1–100) are in the spec already.
pub fn check_commands(body: &Value) -> Vec<LimitViolation> {
    let mut out = Vec::new();
    match body {
        Value::Array(commands) => {
            for (i, c) in commands.iter().enumerate() {
                check_command(&i.to_string(), c, &mut out);
            }
        }
        Value::Object(_) => check_command("", body, &mut out),
        _ => {}
    }
    out
}

fn check_command(path: &str, command: &Value, out: &mut Vec<LimitViolation>) {
    // Only chat-input commands (type 1, the default) have a description; user and message
    // commands send "".
    if command["type"].as_u64().unwrap_or(1) == 1 {
        out.extend(command_description(
            &at(path, "description"),
            command["description"].as_str().unwrap_or(""),
        ));
    }
    check_options(&at(path, "options"), &command["options"], out);
}

fn check_options(path: &str, options: &Value, out: &mut Vec<LimitViolation>) {
    let Some(options) = options.as_array() else {
        return;
    };
    for (i, o) in options.iter().enumerate() {
        let p = at(path, i);
        for (j, choice) in o["choices"].as_array().into_iter().flatten().enumerate() {
            if let Some(value) = choice["value"].as_str() {
                out.extend(choice_value(
                    &at(&at(&at(&p, "choices"), j), "value"),
                    value,
                ));
            }
        }
        check_options(&at(&p, "options"), &o["options"], out);
    }
}

/// Discord's `400 Invalid Form Body` for these violations:
/// `{"message":"Invalid Form Body","code":50035,"errors":{"embeds":{"0":{"title":{"_errors":[..]}}}}}`.
pub fn error_body(violations: &[LimitViolation]) -> Value {
    let mut errors = Map::new();
    for v in violations {
        let mut node = &mut errors;
        for key in v.path.split('.') {
            node = node
                .entry(key)
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("error tree nodes are objects");
        }
        let (code, message) = v.discord_error();
        node.entry("_errors")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("_errors is an array")
            .push(json!({"code": code, "message": message}));
    }
    json!({"message": "Invalid Form Body", "code": 50035, "errors": errors})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: usize) -> String {
        "x".repeat(n)
    }

    /// `f` accepts `ok` and rejects `bad`, naming the limit, the path and the length.
    fn boundary(f: fn(&str, &str) -> Option<LimitViolation>, ok: &str, bad: &str, limit: &str) {
        assert_eq!(f("p", ok), None, "{limit}: {} chars accepted", ok.len());
        let v = f("p", bad).unwrap_or_else(|| panic!("{limit}: {} chars rejected", bad.len()));
        assert_eq!(v.limit, limit);
        assert_eq!(v.path, "p");
        assert_eq!(v.length, bad.chars().count());
    }

    #[test]
    fn content_is_at_most_2000_chars() {
        boundary(content, &s(2000), &s(2001), "message content");
        // Code points, not bytes: 2000 two-byte characters fit.
        assert_eq!(content("content", &"é".repeat(2000)), None);
    }

    #[test]
    fn at_most_10_embeds() {
        assert_eq!(embed_count("embeds", 10), None);
        assert_eq!(embed_count("embeds", 11).unwrap().length, 11);
    }

    #[test]
    fn embed_title_is_at_most_256() {
        boundary(embed_title, &s(256), &s(257), "embed title");
    }

    #[test]
    fn embed_description_is_at_most_4096() {
        boundary(embed_description, &s(4096), &s(4097), "embed description");
    }

    #[test]
    fn at_most_25_fields() {
        assert_eq!(embed_field_count("fields", 25), None);
        assert!(embed_field_count("fields", 26).is_some());
    }

    #[test]
    fn field_name_is_1_to_256() {
        boundary(embed_field_name, &s(256), &s(257), "embed field name");
        boundary(embed_field_name, "n", "", "embed field name");
    }

    #[test]
    fn field_value_is_1_to_1024() {
        boundary(embed_field_value, &s(1024), &s(1025), "embed field value");
        boundary(embed_field_value, "v", "", "embed field value");
    }

    #[test]
    fn footer_text_is_at_most_2048() {
        boundary(embed_footer_text, &s(2048), &s(2049), "embed footer text");
    }

    #[test]
    fn author_name_is_at_most_256() {
        boundary(embed_author_name, &s(256), &s(257), "embed author name");
    }

    #[test]
    fn embeds_total_is_at_most_6000() {
        assert_eq!(embeds_total("embeds", 6000), None);
        assert_eq!(embeds_total("embeds", 6001).unwrap().length, 6001);
    }

    #[test]
    fn at_most_25_choices() {
        assert_eq!(choice_count("choices", 25), None);
        assert!(choice_count("choices", 26).is_some());
    }

    #[test]
    fn choice_name_is_1_to_100() {
        boundary(choice_name, &s(100), &s(101), "choice name");
        boundary(choice_name, "c", "", "choice name");
    }

    #[test]
    fn string_choice_value_is_at_most_100() {
        boundary(choice_value, &s(100), &s(101), "string choice value");
    }

    #[test]
    fn command_description_is_1_to_100() {
        boundary(command_description, &s(100), &s(101), "command description");
        boundary(command_description, "d", "", "command description");
    }

    #[test]
    fn a_message_is_checked_field_by_field_with_paths() {
        let embed = json!({"title": "t", "fields": [
            {"name": "a", "value": "ok"},
            {"name": "", "value": s(1025)}
        ]});
        let found = check_message("data", &json!({"content": s(2001), "embeds": [embed]}));
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "data.content",
                "data.embeds.0.fields.1.name",
                "data.embeds.0.fields.1.value"
            ]
        );
        assert_eq!(
            found[2].to_string(),
            "embed field value limit: data.embeds.0.fields.1.value is 1025 characters \
             (Discord allows 1 to 1024)"
        );
        assert!(check_message("", &json!({"content": "hi", "embeds": []})).is_empty());
        // A partial edit without content or embeds passes.
        assert!(check_message("", &json!({"allowed_mentions": {"parse": []}})).is_empty());
    }

    #[test]
    fn the_6000_total_spans_all_embeds() {
        // One embed of exactly 6000 counted characters fits; two do not.
        let embed = json!({"title": s(1), "description": s(3999), "footer": {"text": s(1000)},
                           "author": {"name": s(0)}, "fields": [{"name": s(100), "value": s(900)}]});
        let one = check_message("", &json!({"embeds": [embed.clone()]}));
        assert!(one.is_empty(), "{one:?}");
        let two = check_message("", &json!({"embeds": [embed.clone(), embed]}));
        assert_eq!(two.len(), 1, "{two:?}");
        assert_eq!(two[0].limit, "embeds total");
        assert_eq!(two[0].path, "embeds");
        assert_eq!(two[0].length, 12_000);
    }

    #[test]
    fn autocomplete_choices_are_checked() {
        let choices: Vec<Value> = (0..26)
            .map(|i| json!({"name": format!("c{i}"), "value": format!("c{i}")}))
            .collect();
        let found = check_autocomplete("data", &json!({"choices": choices}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "data.choices");
        let found = check_autocomplete(
            "data",
            &json!({"choices": [{"name": "", "value": s(101)}, {"name": "n", "value": 7}]}),
        );
        let paths: Vec<&str> = found.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["data.choices.0.name", "data.choices.0.value"]);
    }

    #[test]
    fn registrations_are_checked() {
        let ok = json!([{"name": "ping", "description": "d", "type": 1,
            "options": [{"type": 3, "name": "q", "description": "d",
                         "choices": [{"name": "a", "value": "a"}]}]},
            {"name": "User info", "description": "", "type": 2}]);
        assert!(check_commands(&ok).is_empty());
        let bad = json!([{"name": "ping", "description": "", "options": [
            {"type": 3, "name": "q", "description": "d", "choices": [{"name": "a", "value": s(101)}]}
        ]}]);
        let paths: Vec<String> = check_commands(&bad).into_iter().map(|v| v.path).collect();
        assert_eq!(paths, ["0.description", "0.options.0.choices.0.value"]);
    }

    #[test]
    fn the_error_body_is_discords_and_nests_the_paths() {
        let found = check_message(
            "data",
            &json!({"embeds": [{"fields": [{"name": "n", "value": s(1025)}, {"name": "n", "value": ""}]}]}),
        );
        assert_eq!(
            error_body(&found),
            json!({"message": "Invalid Form Body", "code": 50035, "errors": {"data": {"embeds": {"0": {"fields": {
                "1": {"value": {"_errors": [{"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}]}},
                "0": {"value": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                             "message": "Must be 1024 or fewer in length."}]}}
            }}}}}})
        );
        let total = embeds_total("embeds", 6001).unwrap();
        assert_eq!(
            error_body(&[total])["errors"],
            json!({"embeds": {"_errors": [{"code": "MAX_EMBED_SIZE_EXCEEDED",
                                           "message": "Embed size exceeds maximum size of 6000"}]}})
        );
    }
}

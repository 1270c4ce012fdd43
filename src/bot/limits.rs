//! Discord's limits on message text, applied where the text is built, after escaping: a
//! message or embed over any limit is rejected whole by Discord (400), so the user would see
//! nothing at all. serenity checks only the 6000-character embed total, and only by failing.
//!
//! Lengths are counted in Unicode scalar values (`char`s), which is how Discord counts for the
//! text we write (no combining sequences beyond what names carry).

use poise::serenity_prelude as serenity;

/// A message's content.
pub const CONTENT: usize = 2000;
/// An embed's title.
pub const TITLE: usize = 256;
/// An embed's description.
pub const DESCRIPTION: usize = 4096;
/// A field's name.
pub const FIELD_NAME: usize = 256;
/// A field's value.
pub const FIELD_VALUE: usize = 1024;
/// Fields in one embed.
pub const FIELDS: usize = 25;
/// An embed's footer text.
pub const FOOTER: usize = 2048;
/// Title, description, field names and values, and footer of all a message's embeds together.
pub const EMBED_TOTAL: usize = 6000;
/// An autocomplete choice's name, and a string choice's value.
pub const CHOICE: usize = 100;
/// Autocomplete choices in one answer.
pub const CHOICES: usize = 25;

const ELLIPSIS: char = '…';

/// `text` within `max` characters: whole when it fits, otherwise cut and ended with "…". A cut
/// never leaves a lone markdown escape (`\`) at the end, which would escape the ellipsis.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    // An odd run of trailing backslashes ends in a half escape: drop it.
    let trailing = out.chars().rev().take_while(|c| *c == '\\').count();
    if trailing % 2 == 1 {
        out.pop();
    }
    if max > 0 {
        out.push(ELLIPSIS);
    }
    out
}

/// Whole lines of `lines` joined with newlines, as many as fit in `max` characters; when some
/// do not fit, the last line says how many were left out.
pub fn lines_within(lines: &[String], max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for (i, line) in lines.iter().enumerate() {
        let len = line.chars().count() + usize::from(i > 0);
        let rest = lines.len() - i - 1;
        // Room for this line, and for the "… and N more" line should a later one not fit.
        let tail = if rest > 0 {
            format!("\n… and {rest} more").chars().count()
        } else {
            0
        };
        if used + len + tail > max {
            let more = format!("… and {} more", lines.len() - i);
            if used == 0 {
                return fit(&more, max);
            }
            out.push('\n');
            out.push_str(&more);
            return out;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(line);
        used += len;
    }
    out
}

/// A message's content within [`CONTENT`].
pub fn content(text: &str) -> String {
    fit(text, CONTENT)
}

/// An autocomplete choice's name within [`CHOICE`] (never empty: Discord rejects that too).
pub fn choice_name(text: &str) -> String {
    let name = fit(text.trim(), CHOICE);
    if name.is_empty() {
        "(none)".to_string()
    } else {
        name
    }
}

/// An embed whose texts are brought within Discord's limits when it is built: each text cut
/// to its own limit, at most [`FIELDS`] fields, and the fields that would pass
/// [`EMBED_TOTAL`] left out (the last field kept says so).
#[derive(Debug, Clone, Default)]
pub struct Embed {
    title: Option<String>,
    description: Option<String>,
    fields: Vec<(String, String, bool)>,
    footer: Option<String>,
    colour: Option<u32>,
    image: Option<String>,
    /// The address the title links to.
    url: Option<String>,
    timestamp: Option<serenity::Timestamp>,
}

impl Embed {
    pub fn new() -> Embed {
        Embed::default()
    }

    pub fn title(mut self, title: impl Into<String>) -> Embed {
        self.title = Some(title.into());
        self
    }

    pub fn description(mut self, description: impl Into<String>) -> Embed {
        self.description = Some(description.into());
        self
    }

    /// A field; an empty name or value (which Discord rejects) is shown as "—".
    pub fn field(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
        inline: bool,
    ) -> Embed {
        self.fields.push((name.into(), value.into(), inline));
        self
    }

    pub fn fields(mut self, fields: impl IntoIterator<Item = (String, String, bool)>) -> Embed {
        self.fields.extend(fields);
        self
    }

    pub fn footer(mut self, text: impl Into<String>) -> Embed {
        self.footer = Some(text.into());
        self
    }

    pub fn colour(mut self, colour: u32) -> Embed {
        self.colour = Some(colour);
        self
    }

    pub fn image(mut self, url: impl Into<String>) -> Embed {
        self.image = Some(url.into());
        self
    }

    pub fn url(mut self, url: impl Into<String>) -> Embed {
        self.url = Some(url.into());
        self
    }

    pub fn timestamp(mut self, at: serenity::Timestamp) -> Embed {
        self.timestamp = Some(at);
        self
    }

    /// The texts as they will be sent: each within its limit and all together within
    /// [`EMBED_TOTAL`].
    pub fn fitted(&self) -> Fitted {
        let non_empty = |s: String| {
            if s.trim().is_empty() {
                "—".to_string()
            } else {
                s
            }
        };
        let title = self.title.as_deref().map(|t| fit(t, TITLE));
        let footer = self.footer.as_deref().map(|f| fit(f, FOOTER));
        let len = |s: &Option<String>| s.as_ref().map_or(0, |s| s.chars().count());
        // The description gives way when title and footer leave less than its own limit.
        let room = EMBED_TOTAL - len(&title) - len(&footer);
        let description = self
            .description
            .as_deref()
            .map(|d| fit(d, DESCRIPTION.min(room)));
        let mut total = len(&title) + len(&footer) + len(&description);
        let mut fields = Vec::new();
        let count = self.fields.len();
        for (i, (name, value, inline)) in self.fields.iter().enumerate() {
            let name = non_empty(fit(name, FIELD_NAME));
            let value = non_empty(fit(value, FIELD_VALUE));
            let size = name.chars().count() + value.chars().count();
            let left_out = count - i;
            // Keep room for a last field saying what was left out.
            let note = ("…".to_string(), format!("{left_out} more not shown"));
            let note_size = 1 + note.1.chars().count();
            let last_slot = fields.len() + 1 == FIELDS && i + 1 < count;
            if last_slot || total + size + if i + 1 < count { note_size } else { 0 } > EMBED_TOTAL {
                if total + note_size <= EMBED_TOTAL {
                    fields.push((note.0, note.1, false));
                }
                break;
            }
            total += size;
            fields.push((name, value, *inline));
        }
        Fitted {
            title,
            description,
            fields,
            footer,
        }
    }

    /// The serenity embed, within every limit.
    pub fn build(&self) -> serenity::CreateEmbed {
        let Fitted {
            title,
            description,
            fields,
            footer,
        } = self.fitted();
        let mut e = serenity::CreateEmbed::new();
        if let Some(t) = title {
            e = e.title(t);
        }
        if let Some(d) = description {
            e = e.description(d);
        }
        e = e.fields(fields);
        if let Some(f) = footer {
            e = e.footer(serenity::CreateEmbedFooter::new(f));
        }
        if let Some(c) = self.colour {
            e = e.colour(c);
        }
        if let Some(url) = &self.image {
            e = e.image(url);
        }
        if let Some(url) = &self.url {
            e = e.url(url);
        }
        if let Some(at) = self.timestamp {
            e = e.timestamp(at);
        }
        e
    }
}

/// An embed's texts within the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<(String, String, bool)>,
    pub footer: Option<String>,
}

impl From<Embed> for serenity::CreateEmbed {
    fn from(e: Embed) -> serenity::CreateEmbed {
        e.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn fit_keeps_short_text_and_cuts_long_text_with_an_ellipsis() {
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcd", 3), "ab…");
        assert_eq!(chars(&fit(&"é".repeat(3000), CONTENT)), CONTENT);
        assert_eq!(fit("", 5), "");
    }

    #[test]
    fn a_cut_never_ends_in_half_an_escape() {
        // "ab\_" cut to 4 would keep "ab\" + "…": the backslash would escape the ellipsis.
        assert_eq!(fit("ab\\_cd", 4), "ab…");
        // An escaped backslash ("\\") is whole and stays.
        assert_eq!(fit("a\\\\bcd", 4), "a\\\\…");
    }

    #[test]
    fn lines_within_keeps_whole_lines_and_counts_the_rest() {
        let lines: Vec<String> = (0..100).map(|i| format!("line number {i:03}")).collect();
        let text = lines_within(&lines, 200);
        assert!(chars(&text) <= 200, "{}", chars(&text));
        let shown = text.lines().filter(|l| l.starts_with("line")).count();
        assert!(
            text.ends_with(&format!("… and {} more", 100 - shown)),
            "{text}"
        );
        assert_eq!(
            lines_within(&lines[..2], 200),
            "line number 000\nline number 001"
        );
        assert_eq!(lines_within(&lines, 5), "… an…");
    }

    #[test]
    fn choice_names_are_within_100_and_never_empty() {
        assert_eq!(chars(&choice_name(&"x".repeat(128))), CHOICE);
        assert_eq!(choice_name("  "), "(none)");
    }

    fn embed_total(e: &Embed) -> usize {
        let Fitted {
            title: t,
            description: d,
            fields,
            footer: f,
        } = e.fitted();
        [t, d, f].iter().flatten().map(|s| chars(s)).sum::<usize>()
            + fields
                .iter()
                .map(|(n, v, _)| chars(n) + chars(v))
                .sum::<usize>()
    }

    #[test]
    fn every_text_of_an_embed_is_cut_to_its_own_limit() {
        let e = Embed::new()
            .title("t".repeat(300))
            .description("d".repeat(5000))
            .field("n".repeat(300), "v".repeat(2000), false)
            .field("", "", true);
        let Fitted {
            title: t,
            description: d,
            fields,
            ..
        } = e.fitted();
        assert_eq!(chars(&t.unwrap()), TITLE);
        assert_eq!(chars(&d.unwrap()), DESCRIPTION);
        assert_eq!(chars(&fields[0].0), FIELD_NAME);
        assert_eq!(chars(&fields[0].1), FIELD_VALUE);
        assert_eq!((fields[1].0.as_str(), fields[1].1.as_str()), ("—", "—"));
        let f = Embed::new().footer("f".repeat(3000)).fitted().footer;
        assert_eq!(chars(&f.unwrap()), FOOTER);
    }

    #[test]
    fn the_description_gives_way_to_title_and_footer_within_the_total() {
        let e = Embed::new()
            .title("t".repeat(300))
            .description("d".repeat(5000))
            .footer("f".repeat(3000))
            .field("a", "b", false);
        let Fitted {
            description: d,
            fields,
            ..
        } = e.fitted();
        assert_eq!(chars(&d.unwrap()), EMBED_TOTAL - TITLE - FOOTER);
        assert!(fields.is_empty());
        assert_eq!(embed_total(&e), EMBED_TOTAL);
    }

    #[test]
    fn fields_past_25_or_the_total_are_left_out_and_counted() {
        let many = Embed::new().fields((0..40).map(|i| (format!("f{i}"), "v".to_string(), true)));
        let fields = many.fitted().fields;
        assert_eq!(fields.len(), FIELDS);
        assert_eq!(fields[24].1, "16 more not shown");

        let big = Embed::new()
            .description("d".repeat(4000))
            .fields((0..10).map(|i| (format!("f{i}"), "v".repeat(1000), false)));
        let fields = big.fitted().fields;
        assert!(embed_total(&big) <= EMBED_TOTAL, "{}", embed_total(&big));
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[1].1, "9 more not shown");
    }
}

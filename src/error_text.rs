//! Error texts as they are stored and shown: one function, so that a message quoting a file's
//! bytes can always be written to PostgreSQL (which refuses NUL in `text`) and read by a person.

/// The most characters of an error text that are kept; the rest is cut with "…".
pub const MAX_CHARS: usize = 1000;

/// `message` with control characters other than tab and newline escaped (`\0`, `\u{1b}`, …)
/// and cut to [`MAX_CHARS`] characters. Invalid UTF-8 never reaches here: callers hold a `&str`,
/// and file bytes are quoted through `String::from_utf8_lossy` or `escape_ascii`.
pub fn storable(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_CHARS * 2));
    for (n, c) in message.chars().enumerate() {
        if n == MAX_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\0' => out.push_str("\\0"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_control_characters_are_escaped() {
        assert_eq!(
            storable("line 3: \0x\u{1b}[1m\tok\n"),
            "line 3: \\0x\\u{1b}[1m\tok\n"
        );
        assert_eq!(storable("plain"), "plain");
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_CHARS + 5);
        let cut = storable(&long);
        assert_eq!(cut.chars().count(), MAX_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(storable(&"é".repeat(MAX_CHARS)).chars().count(), MAX_CHARS);
    }
}

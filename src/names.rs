//! Player names: ET colour codes and display cleaning.

/// Removes ET colour codes the way the engine's `Q_CleanStr` does (`^X` where X is a printable
/// character other than `^`, or any byte ≥ 0x80; `^^` stands for a literal `^`), decodes the rest
/// as UTF-8 (invalid bytes become U+FFFD) and drops control characters.
pub fn clean_name(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'^' && i + 1 < raw.len() {
            let next = raw[i + 1];
            if next == b'^' {
                out.push(b'^');
                i += 2;
                continue;
            }
            if next.is_ascii_graphic() || next >= 0x80 {
                i += 2;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out)
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// A key for matching names typed by people: cleaned and lower-cased.
pub fn match_key(raw: &[u8]) -> String {
    clean_name(raw).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_codes() {
        assert_eq!(clean_name(b"^1Red^7Ace"), "RedAce");
        assert_eq!(clean_name(b"^^1caret"), "^1caret");
        assert_eq!(clean_name(b"trail^"), "trail^");
        assert_eq!(clean_name(b"^a^Zx"), "x");
    }

    #[test]
    fn non_utf8_and_controls() {
        assert_eq!(clean_name(b"ab\xffcd"), "ab\u{fffd}cd");
        assert_eq!(clean_name(b"a\tb\x07c"), "abc");
        assert_eq!(clean_name("Jörg".as_bytes()), "Jörg");
    }

    #[test]
    fn match_key_is_lowercase_clean() {
        assert_eq!(match_key(b"^3SnIpEr"), "sniper");
    }
}

/// The mark a bot's name carries wherever it is listed (a colour reset first, so it reads
/// plainly after a coloured name).
pub const BOT_MARK: &[u8] = b"^7 [BOT]";

/// Whether `guid` is an Omni-bot's ("OMNIBOT" and its slot), the one mark round files give
/// bots. The same rule is the database's `is_bot_guid`.
pub fn is_bot_guid(guid: &str) -> bool {
    guid.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("OMNIBOT"))
}

/// `name` with the [`BOT_MARK`] when `guid` is a bot's (the database's `marked_name`).
pub fn marked(name: &[u8], guid: &str) -> Vec<u8> {
    let mut out = name.to_vec();
    if is_bot_guid(guid) {
        out.extend_from_slice(BOT_MARK);
    }
    out
}

#[cfg(test)]
mod bot_tests {
    use super::*;

    #[test]
    fn bots_are_told_by_their_guid_and_marked() {
        assert!(is_bot_guid("OMNIBOT11                       "));
        assert!(is_bot_guid("omnibot03"));
        assert!(!is_bot_guid("000000005EED0009"));
        assert!(!is_bot_guid("OMNI"));
        assert_eq!(marked(b"^1Shadow", "OMNIBOT11"), b"^1Shadow^7 [BOT]");
        assert_eq!(marked(b"Alice", "ABC"), b"Alice");
        assert_eq!(
            clean_name(&marked(b"^1Shadow", "OMNIBOT11")),
            "Shadow [BOT]"
        );
    }
}

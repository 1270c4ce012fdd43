//! The engine's text tokeniser (`COM_ParseExt` with line breaks allowed), shared by the BSP's
//! entity text and the shader scripts, so both are split exactly where the game splits them.

/// The engine keeps at most `MAX_TOKEN_CHARS - 1` bytes of a token.
pub(crate) const MAX_TOKEN_BYTES: usize = 1023;

/// Tokens of Quake text: whitespace-separated words or `"quoted strings"`, with `//` and
/// `/* */` comments skipped. `{` and `}` are ordinary tokens (they need whitespace around them,
/// as in the engine).
pub(crate) struct Tokens<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        Self { text, pos: 0 }
    }

    /// Whitespace is any byte up to `' '`; the engine's `char` is signed, so bytes from 0x80
    /// are below `' '` too.
    fn is_space(b: u8) -> bool {
        b <= b' ' || b >= 0x80
    }

    /// Skips whitespace and comments; false at the end of the text.
    fn skip_to_token(&mut self) -> bool {
        loop {
            while self.pos < self.text.len() && Self::is_space(self.text[self.pos]) {
                self.pos += 1;
            }
            let rest = &self.text[self.pos..];
            if rest.starts_with(b"//") {
                self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            } else if rest.starts_with(b"/*") {
                self.pos += rest[2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(rest.len(), |i| i + 4);
            } else {
                return self.pos < self.text.len();
            }
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if !self.skip_to_token() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let token = if rest[0] == b'"' {
            // A quoted token runs to the next quote (or the end); no escapes.
            let body = &rest[1..];
            let end = body.iter().position(|&b| b == b'"').unwrap_or(body.len());
            self.pos += 1 + end + usize::from(end < body.len());
            &body[..end]
        } else {
            let end = rest
                .iter()
                .position(|&b| Self::is_space(b))
                .unwrap_or(rest.len());
            self.pos += end;
            &rest[..end]
        };
        Some(&token[..token.len().min(MAX_TOKEN_BYTES)])
    }
}

/// Bytes as Latin-1 text: map strings are not guaranteed to be UTF-8, and every byte is a
/// Latin-1 character.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<String> {
        Tokens::new(text.as_bytes()).map(latin1).collect()
    }

    #[test]
    fn splits_like_the_engine() {
        assert_eq!(
            all(
                "{\n\"classname\" \"worldspawn\"\n// a comment \"x\"\n/* block\n } */ key value}\n}"
            ),
            ["{", "classname", "worldspawn", "key", "value}", "}"]
        );
        // An unterminated quote runs to the end; an empty quoted string is an empty token.
        assert_eq!(all("\"\" \"open"), ["", "open"]);
        // Bytes from 0x80 outside quotes separate tokens; inside quotes they are kept.
        let t: Vec<Vec<u8>> = Tokens::new(b"a\xe9b \"c\xe9d\"")
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(t, [b"a".to_vec(), b"b".to_vec(), b"c\xe9d".to_vec()]);
        assert_eq!(latin1(b"c\xe9d"), "c\u{e9}d");
        // A token is cut at 1023 bytes.
        let long = "x".repeat(2000);
        assert_eq!(all(&long)[0].len(), MAX_TOKEN_BYTES);
        assert!(all(" \n\t/* only a comment").is_empty());
    }
}

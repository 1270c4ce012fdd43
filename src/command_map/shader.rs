//! Shader scripts (`scripts/*.shader`): the image a command-map shader draws.
//!
//! The game draws the limbo map with the shader `levelshots/<map>_cc_trans` (the compass with
//! `_cc_automap`), which a map's script usually defines as `clampmap levelshots/<map>_cc.tga`
//! but may point anywhere.

use super::token::{Tokens, latin1};

/// Where a shader is in a script's text, as `FindShaderInShaderText` looks: a top-level name
/// compared without case, each other name's braced body skipped.
///
/// `None` when the text does not define it; `Some(None)` when it does but no stage maps an
/// image (only `$lightmap`, `$whiteimage`…); `Some(Some(image))` for the first stage's
/// `map` / `clampmap` image.
pub fn stage_image(text: &[u8], shader: &str) -> Option<Option<String>> {
    let mut tokens = Tokens::new(text);
    while let Some(token) = tokens.next() {
        if token.eq_ignore_ascii_case(shader.as_bytes()) {
            return Some(first_stage_image(&mut tokens));
        }
        skip_braced_section(&mut tokens);
    }
    None
}

/// `SkipBracedSection(p, 0)`: reads tokens until the braces opened are closed again (one token
/// when the next is not a brace).
fn skip_braced_section(tokens: &mut Tokens<'_>) {
    let mut depth = 0usize;
    for token in tokens.by_ref() {
        match token {
            b"{" => depth += 1,
            b"}" => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            return;
        }
    }
}

/// The body after the shader's name: `{ general keywords { stage } { stage } }`.
fn first_stage_image(tokens: &mut Tokens<'_>) -> Option<String> {
    if tokens.next()? != b"{" {
        return None;
    }
    let mut depth = 1usize;
    while let Some(token) = tokens.next() {
        match token {
            b"{" => depth += 1,
            b"}" => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            t if depth == 2
                && (t.eq_ignore_ascii_case(b"map") || t.eq_ignore_ascii_case(b"clampmap")) =>
            {
                let image = tokens.next()?;
                if !image.starts_with(b"$") && !image.is_empty() {
                    return Some(latin1(image));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = r#"
// levelshots for the map
levelshots/other_cc_trans
{
    nomipmaps
    {
        clampmap levelshots/other_cc.tga
    }
}

levelshots/goldrush_cc_automap { { map $whiteimage } }

Levelshots/Goldrush_CC_Trans
{
    nopicmip
    {
        map $lightmap
    }
    {
        clampmap levelshots/goldrush_tracemap.tga
        blendfunc blend
    }
    {
        map levelshots/second.tga
    }
}
"#;

    #[test]
    fn finds_the_first_stage_image_of_the_named_shader() {
        assert_eq!(
            stage_image(SCRIPT.as_bytes(), "levelshots/goldrush_cc_trans"),
            Some(Some("levelshots/goldrush_tracemap.tga".to_string()))
        );
        assert_eq!(
            stage_image(SCRIPT.as_bytes(), "levelshots/other_cc_trans"),
            Some(Some("levelshots/other_cc.tga".to_string()))
        );
        // Defined, but no image stage.
        assert_eq!(
            stage_image(SCRIPT.as_bytes(), "levelshots/goldrush_cc_automap"),
            Some(None)
        );
        // A name inside another shader's body is not a definition.
        assert_eq!(
            stage_image(SCRIPT.as_bytes(), "levelshots/second.tga"),
            None
        );
        assert_eq!(stage_image(SCRIPT.as_bytes(), "nomipmaps"), None);
        assert_eq!(stage_image(b"", "levelshots/x_cc_trans"), None);
        // Broken text ends the search without a panic.
        assert_eq!(
            stage_image(b"levelshots/x_cc_trans { { map", "levelshots/x_cc_trans"),
            Some(None)
        );
    }
}

//! `/proximity_import file` (admins): import one file of the game server's folder.

use poise::serenity_prelude as serenity;

use crate::bot::{Context, Error, user_error};
use crate::import::is_round_file_name;

/// Import one round file of the game server's folder (also one that was quarantined)
#[poise::command(
    slash_command,
    guild_only,
    ephemeral,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn proximity_import(
    ctx: Context<'_>,
    #[description = "A round file in the folder"]
    #[autocomplete = "autocomplete_file"]
    file: String,
) -> Result<(), Error> {
    if !ctx.data().config.enabled {
        return Err(user_error(
            "Proximity is turned off (PROXIMITY_ENABLED=false).",
        ));
    }
    let scanner = &ctx.data().scanner;
    let dir = scanner.config().dir.clone();
    if !is_plain_file_name(&file) {
        return Err(user_error(format!(
            "`{}` is not a file name: give the name of a file in the folder, without a path.",
            file.replace('`', "'")
        )));
    }
    let path = dir.join(&file);
    if !path.is_file() {
        return Err(user_error(format!(
            "There is no file `{}` in {}.",
            file.replace('`', "'"),
            dir.display()
        )));
    }
    ctx.defer_ephemeral().await?;
    let report = match scanner.import_file(&path).await {
        Ok(report) => report,
        // A bad file is the admin's business: say what is wrong with it.
        Err(e) if !e.is_transient() => return Err(user_error(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    ctx.send(
        poise::CreateReply::default()
            .content(report.describe())
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// A bare file name: no separators, no `..`, no control characters.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.contains(['/', '\\'])
        && !name.contains("..")
        && !name.chars().any(char::is_control)
}

async fn autocomplete_file(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let mut names: Vec<String> = std::fs::read_dir(&ctx.data().scanner.config().dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| is_round_file_name(n))
                .filter(|n| n.to_lowercase().contains(&partial.to_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    // Newest first: the names start with the date.
    names.sort_unstable_by(|a, b| b.cmp(a));
    names.truncate(25);
    serenity::CreateAutocompleteResponse::new().set_choices(
        names
            .into_iter()
            .map(serenity::AutocompleteChoice::from)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_accepted() {
        assert!(is_plain_file_name(
            "2026-01-10-183820-supply-round-1_engagements.txt"
        ));
        for bad in [
            "../../etc/passwd",
            "a/b.txt",
            "a\\b.txt",
            "..",
            "x..txt",
            "",
            "a\nb",
        ] {
            assert!(!is_plain_file_name(bad), "{bad:?}");
        }
    }
}

//! `/proximity_import file` (admins): import one file of the game server's folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use crate::bot::limits::{self, CHOICE, CHOICES};
use crate::bot::{Context, Error, acknowledge, user_error};
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
    acknowledge(ctx).await?;
    let scanner = &ctx.data().scanner;
    let dir = scanner.config().dir.clone();
    if !is_plain_file_name(&file) {
        return Err(user_error(format!(
            "`{}` is not a file name: give the name of a file in the folder, without a path.",
            limits::fit(&file.replace('`', "'"), 200)
        )));
    }
    let Some(path) = ctx.data().folder.resolve(&file).await else {
        return Err(user_error(format!(
            "There is no file `{}` in {}.",
            limits::fit(&file.replace('`', "'"), 300),
            dir.display()
        )));
    };
    let report = match scanner.import_file(&path).await {
        Ok(report) => report,
        // A bad file is the admin's business: say what is wrong with it.
        Err(e) if !e.is_transient() => return Err(user_error(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    ctx.send(
        poise::CreateReply::default()
            .content(limits::content(&report.describe()))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// How long a listing of the folder answers autocomplete: typing a name asks once per key.
const LISTING_TTL: Duration = Duration::from_secs(3);

/// The round files of the game-server folder, read off the async runtime and kept for
/// [`LISTING_TTL`].
pub struct FolderListing {
    dir: PathBuf,
    cached: Mutex<Option<(Instant, Arc<Vec<String>>)>>,
}

impl FolderListing {
    pub fn new(dir: PathBuf) -> FolderListing {
        FolderListing {
            dir,
            cached: Mutex::new(None),
        }
    }

    /// The round files' names, newest first (the names start with the date).
    pub async fn names(&self) -> Arc<Vec<String>> {
        if let Some((at, names)) = &*self.cached.lock().unwrap_or_else(|e| e.into_inner())
            && at.elapsed() < LISTING_TTL
        {
            return Arc::clone(names);
        }
        let dir = self.dir.clone();
        let names = Arc::new(
            tokio::task::spawn_blocking(move || list_round_files(&dir))
                .await
                .unwrap_or_default(),
        );
        *self.cached.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now(), Arc::clone(&names)));
        names
    }

    /// The file `name` names: that file, or, for a name cut to an autocomplete value's 100
    /// characters, the only file starting with it.
    pub async fn resolve(&self, name: &str) -> Option<PathBuf> {
        let exact = self.dir.join(name);
        if tokio::fs::metadata(&exact).await.is_ok_and(|m| m.is_file()) {
            return Some(exact);
        }
        if name.chars().count() != CHOICE {
            return None;
        }
        let names = self.names().await;
        let mut starting = names.iter().filter(|n| n.starts_with(name));
        match (starting.next(), starting.next()) {
            (Some(only), None) => Some(self.dir.join(only)),
            _ => None,
        }
    }
}

fn list_round_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| is_round_file_name(n))
                .collect()
        })
        .unwrap_or_default();
    names.sort_unstable_by(|a, b| b.cmp(a));
    names
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
    let names = ctx.data().folder.names().await;
    let partial = partial.to_lowercase();
    let choices = names
        .iter()
        .filter(|n| n.to_lowercase().contains(&partial))
        .take(CHOICES)
        .map(|n| file_choice(n))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// A file as a choice: its name cut to 100 characters, and as value the name itself, or its
/// first 100 characters, which [`FolderListing::resolve`] takes back.
pub fn file_choice(name: &str) -> serenity::AutocompleteChoice {
    let value: String = name.chars().take(CHOICE).collect();
    serenity::AutocompleteChoice::new(limits::choice_name(name), value)
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

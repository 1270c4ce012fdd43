//! `/proximity_import file [server]` (admins): import one file of a game server's folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use super::autocomplete::autocomplete_server;
use super::resolve::resolve_server;
use crate::bot::limits::{self, CHOICE, CHOICES};
use crate::bot::{Context, Data, Error, acknowledge, user_error};
use crate::import::is_round_file_name;

/// Import one round file of a game server's folder (also one that was quarantined)
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
    #[description = "The game server whose folder holds it (default: the one that has it)"]
    #[autocomplete = "autocomplete_server"]
    server: Option<String>,
) -> Result<(), Error> {
    acknowledge(ctx).await?;
    if !is_plain_file_name(&file) {
        return Err(user_error(format!(
            "`{}` is not a file name: give the name of a file in the folder, without a path.",
            limits::fit(&file.replace('`', "'"), 200)
        )));
    }
    let data = ctx.data();
    let folders = match server.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => vec![configured_folder(data, &resolve_server(data, s).await?)?],
        None => data.folders.iter().collect(),
    };
    let (label, path) = find_file(data, &folders, &file).await?;
    // The server whose folder holds the file imports it, so the round gets its label.
    let scanner = data
        .servers
        .iter()
        .find(|s| s.label == label)
        .map_or(&data.scanner, |s| &s.scanner);
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

/// The folder of the configured server `label`; a server known only from stored rounds has no
/// folder here.
fn configured_folder<'a>(data: &'a Data, label: &str) -> Result<&'a FolderListing, Error> {
    data.folders
        .iter()
        .find(|f| f.label == label)
        .ok_or_else(|| {
            user_error(format!(
                "The server {} is not configured here (SERVERS): its files cannot be imported.",
                crate::present::escape_markdown(label)
            ))
        })
}

/// The server label and path of the file `name` in one of `folders`: an error naming the
/// folders searched when none has it, or the servers when several do.
async fn find_file(
    data: &Data,
    folders: &[&FolderListing],
    name: &str,
) -> Result<(String, PathBuf), Error> {
    let mut found = Vec::new();
    for folder in folders {
        if let Some(path) = folder.resolve(name).await {
            found.push((folder.label.clone(), path));
        }
    }
    let shown = limits::fit(&name.replace('`', "'"), 300);
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            let several = data.folders.len() > 1;
            let searched: Vec<String> = folders
                .iter()
                .map(|f| {
                    if several {
                        format!(
                            "{} (server {})",
                            f.dir.display(),
                            crate::present::escape_markdown(&f.label)
                        )
                    } else {
                        f.dir.display().to_string()
                    }
                })
                .collect();
            Err(user_error(format!(
                "There is no file `{shown}` in {}.",
                searched.join(" or ")
            )))
        }
        _ => Err(user_error(format!(
            "`{shown}` is in the folders of several servers ({}): choose one with the server \
             option.",
            found
                .iter()
                .map(|(label, _)| crate::present::escape_markdown(label))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// How long a listing of the folder answers autocomplete: typing a name asks once per key.
const LISTING_TTL: Duration = Duration::from_secs(3);

/// The round files of one game server's folder, read off the async runtime and kept for
/// [`LISTING_TTL`].
pub struct FolderListing {
    /// The server's label.
    pub label: String,
    pub dir: PathBuf,
    cached: Mutex<Option<(Instant, Arc<Vec<String>>)>>,
}

impl FolderListing {
    pub fn new(label: &str, dir: PathBuf) -> FolderListing {
        FolderListing {
            label: label.to_string(),
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

/// The files of the server already chosen in the interaction, else of every server, newest
/// first; with several servers each choice names its server.
async fn autocomplete_file(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let folders = &ctx.data().folders;
    let chosen = option_text(ctx, "server").map(|s| s.trim().to_lowercase());
    let listed: Vec<&FolderListing> =
        match folders.iter().find(|f| Some(&f.label) == chosen.as_ref()) {
            Some(one) => vec![one],
            None => folders.iter().collect(),
        };
    let name_server = listed.len() > 1;
    let partial = partial.to_lowercase();
    let mut files: Vec<(Arc<Vec<String>>, &str)> = Vec::new();
    for folder in listed {
        files.push((folder.names().await, &folder.label));
    }
    let mut hits: Vec<(&str, &str)> = files
        .iter()
        .flat_map(|(names, label)| names.iter().map(move |n| (n.as_str(), *label)))
        .filter(|(n, _)| n.to_lowercase().contains(&partial))
        .collect();
    hits.sort_by(|a, b| b.cmp(a));
    let choices = hits
        .into_iter()
        .take(CHOICES)
        .map(|(name, label)| {
            let shown = if name_server {
                format!("{label}: {name}")
            } else {
                name.to_string()
            };
            file_choice(&shown, name)
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// The text of another option of the interaction, when it is filled in.
fn option_text<'a>(ctx: Context<'a>, name: &str) -> Option<&'a str> {
    let poise::Context::Application(actx) = ctx else {
        return None;
    };
    actx.args
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            serenity::ResolvedValue::String(s) => Some(*s),
            serenity::ResolvedValue::Autocomplete { value, .. } => Some(*value),
            _ => None,
        })
        .filter(|s| !s.trim().is_empty())
}

/// A file as a choice: `shown` cut to 100 characters, and as value the file's name itself, or
/// its first 100 characters, which [`FolderListing::resolve`] takes back.
pub fn file_choice(shown: &str, name: &str) -> serenity::AutocompleteChoice {
    let value: String = name.chars().take(CHOICE).collect();
    serenity::AutocompleteChoice::new(limits::choice_name(shown), value)
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

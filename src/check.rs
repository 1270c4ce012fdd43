//! `proximity check`: whether what the configuration names is there and usable (the database,
//! the round-file folder, the map folders, Discord's token, guild and channel), each with what
//! to do when it is not.

use std::fmt;
use std::path::Path;

use poise::serenity_prelude as serenity;

use crate::config::Config;
use crate::servers::sftp::{Remote, read_key_file};
use crate::servers::{SftpSource, Source};
use crate::store;

/// How one check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Not configured, and not needed for what is configured.
    Skipped,
    Fail,
}

/// One thing checked: what, how it came out, what was found, and what to do when it failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub verdict: Verdict,
    pub subject: &'static str,
    pub detail: String,
    pub fix: Option<String>,
}

impl Finding {
    fn ok(subject: &'static str, detail: impl Into<String>) -> Finding {
        Finding {
            verdict: Verdict::Ok,
            subject,
            detail: detail.into(),
            fix: None,
        }
    }

    fn skipped(subject: &'static str, detail: impl Into<String>) -> Finding {
        Finding {
            verdict: Verdict::Skipped,
            subject,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fail(subject: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            verdict: Verdict::Fail,
            subject,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.verdict {
            Verdict::Ok => "ok  ",
            Verdict::Skipped => "--  ",
            Verdict::Fail => "FAIL",
        };
        write!(f, "{mark} {}: {}", self.subject, self.detail)?;
        if let Some(fix) = &self.fix {
            write!(f, "\n     fix: {fix}")?;
        }
        Ok(())
    }
}

/// Every check of `config`; Discord's through `discord` (an `Http` with the configured token),
/// `None` when no token is configured.
pub async fn run(config: &Config, discord: Option<&serenity::Http>) -> Vec<Finding> {
    let mut findings = vec![database(&config.database_url).await];
    for server in &config.servers {
        findings.push(match &server.source {
            Source::Folder(dir) => round_files(dir),
            Source::Sftp(remote) => sftp(&server.label, remote).await,
        });
    }
    findings.extend(map_folders(&config.maps_dirs));
    match discord {
        Some(http) => {
            findings.extend(self::discord(http, config.guild_id, config.summary_channel_id).await);
        }
        None => findings.push(Finding::fail(
            "Discord",
            "DISCORD_TOKEN is not set",
            "put the bot's token (Discord developer portal, Bot page) in .env as DISCORD_TOKEN",
        )),
    }
    findings
}

async fn database(url: &str) -> Finding {
    let pool = match store::connect(url).await {
        Ok(pool) => pool,
        Err(e) if e.is_unavailable() => {
            return Finding::fail(
                "database",
                format!("cannot reach it: {e}"),
                "start PostgreSQL, or set DATABASE_URL to where it runs \
                 (postgres://user:password@host:port/database)",
            );
        }
        Err(e) => {
            return Finding::fail(
                "database",
                e.to_string(),
                "set DATABASE_URL to a database of its own for proximity (it is created when \
                 missing)",
            );
        }
    };
    let counts: Result<(i64, i64), sqlx::Error> = sqlx::query_as(
        "SELECT (SELECT max(version) FROM _sqlx_migrations), (SELECT count(*) FROM rounds)",
    )
    .fetch_one(&pool)
    .await;
    pool.close().await;
    match counts {
        Ok((migration, rounds)) => Finding::ok(
            "database",
            format!("reachable, schema at migration {migration}, {rounds} rounds"),
        ),
        Err(e) => Finding::fail(
            "database",
            format!("reachable, but reading it failed: {e}"),
            "check that the user in DATABASE_URL may read the database's tables",
        ),
    }
}

fn round_files(dir: &Path) -> Finding {
    let fix = "set GAMESTATS_DIR to the folder the tracker writes round files into \
               (<fs_homepath>/legacy/proximity on the game server, or a copy of it)";
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let files = entries
                .filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .ends_with("_engagements.txt")
                })
                .count();
            Finding::ok(
                "round files",
                format!(
                    "GAMESTATS_DIR {} is readable, {files} round files",
                    dir.display()
                ),
            )
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Finding::fail(
            "round files",
            format!("GAMESTATS_DIR {} does not exist", dir.display()),
            fix,
        ),
        Err(e) => Finding::fail(
            "round files",
            format!("GAMESTATS_DIR {} cannot be read: {e}", dir.display()),
            format!("{fix}; the user running proximity must be able to read it"),
        ),
    }
}

/// How long a server may take to answer before it counts as unreachable.
const SFTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

async fn sftp(label: &str, source: &SftpSource) -> Finding {
    if let Err(e) = read_key_file(&source.key_file) {
        return Finding::fail(
            "round files",
            format!("server {label} ({}): {e}", source.url()),
            "set key_file (SERVERS_<LABEL>_KEY_FILE in the list form) to the bot's private key: \
             OpenSSH format without a passphrase, e.g. made with `ssh-keygen -t ed25519 -N '' \
             -f FILE`, its FILE.pub in the game server account's authorized_keys",
        );
    }
    let remote = match Remote::connect(source, SFTP_TIMEOUT).await {
        Ok(r) => r,
        Err(e) => {
            return Finding::fail(
                "round files",
                format!("server {label} ({}): {e}", source.url()),
                "check the address, the key file and the pinned host key in SERVERS (`ssh-keyscan \
                 -p PORT HOST` prints the key the server has; compare it before pinning it)",
            );
        }
    };
    let listed = remote.list(&source.path).await;
    remote.close().await;
    match listed {
        Ok(files) => Finding::ok(
            "round files",
            format!(
                "server {label} ({}): host key as pinned, {} round files",
                source.url(),
                files.len()
            ),
        ),
        Err(e) => Finding::fail(
            "round files",
            format!(
                "server {label} ({}): cannot list the folder: {e}",
                source.url()
            ),
            "check the folder in the sftp:// address and that the user may read it",
        ),
    }
}

fn map_folders(dirs: &[std::path::PathBuf]) -> Vec<Finding> {
    if dirs.is_empty() {
        return vec![Finding::skipped(
            "command maps",
            "MAPS_DIR is not set: heatmaps are drawn on a plain frame",
        )];
    }
    dirs.iter()
        .map(|dir| match std::fs::read_dir(dir) {
            Ok(entries) => {
                let pk3s = entries
                    .filter_map(Result::ok)
                    .filter(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .to_ascii_lowercase()
                            .ends_with(".pk3")
                    })
                    .count();
                Finding::ok(
                    "command maps",
                    format!(
                        "MAPS_DIR {} is readable, {pk3s} pk3 files (`proximity maps` lists each \
                         map)",
                        dir.display()
                    ),
                )
            }
            Err(e) => Finding::fail(
                "command maps",
                format!("MAPS_DIR {} cannot be read: {e}", dir.display()),
                "set MAPS_DIR to the game server's legacy/ and etmain/ folders, separated by ':'",
            ),
        })
        .collect()
}

/// What the bot needs in the summary channel.
const CHANNEL_NEEDS: [(serenity::Permissions, &str); 4] = [
    (serenity::Permissions::VIEW_CHANNEL, "View Channel"),
    (serenity::Permissions::SEND_MESSAGES, "Send Messages"),
    (serenity::Permissions::EMBED_LINKS, "Embed Links"),
    (serenity::Permissions::ATTACH_FILES, "Attach Files"),
];

async fn discord(http: &serenity::Http, guild: Option<u64>, channel: Option<u64>) -> Vec<Finding> {
    let me = match http.get_current_user().await {
        Ok(me) => me,
        Err(e) => {
            return vec![Finding::fail(
                "Discord",
                format!("the token is refused: {}", short(&e)),
                "copy the bot's token again from the Discord developer portal (Bot page, Reset \
                 Token) into .env as DISCORD_TOKEN",
            )];
        }
    };
    let mut findings = vec![Finding::ok(
        "Discord",
        format!("the token logs in as {}", me.name),
    )];
    let Some(guild_id) = guild else {
        findings.push(Finding::skipped(
            "Discord guild",
            "GUILD_ID is not set: commands are registered globally (they take up to an hour to \
             appear)",
        ));
        if channel.is_some() {
            findings.push(Finding::fail(
                "summary channel",
                "SUMMARY_CHANNEL_ID is set without GUILD_ID, so the bot's permissions there \
                 cannot be read",
                "set GUILD_ID to the server (guild) the channel belongs to",
            ));
        }
        return findings;
    };
    let guild = match http.get_guild(guild_id.into()).await {
        Ok(g) => g,
        Err(e) => {
            findings.push(Finding::fail(
                "Discord guild",
                format!("guild {guild_id} cannot be read: {}", short(&e)),
                "check GUILD_ID (right-click the server, Copy Server ID) and invite the bot to \
                 it",
            ));
            return findings;
        }
    };
    let member = match http.get_member(guild.id, me.id).await {
        Ok(m) => m,
        Err(e) => {
            findings.push(Finding::fail(
                "Discord guild",
                format!(
                    "the bot is not a member of {} ({guild_id}): {}",
                    guild.name,
                    short(&e)
                ),
                "invite the bot to the server with the applications.commands and bot scopes",
            ));
            return findings;
        }
    };
    findings.push(Finding::ok(
        "Discord guild",
        format!("{} ({guild_id}): the bot is a member", guild.name),
    ));
    let Some(channel_id) = channel else {
        findings.push(Finding::skipped(
            "summary channel",
            "SUMMARY_CHANNEL_ID is not set: no round summaries are posted",
        ));
        return findings;
    };
    let channel = match http.get_channel(channel_id.into()).await {
        Ok(serenity::Channel::Guild(c)) if c.guild_id == guild.id => c,
        Ok(_) => {
            findings.push(Finding::fail(
                "summary channel",
                format!("channel {channel_id} is not a channel of {}", guild.name),
                "set SUMMARY_CHANNEL_ID to a text channel of that server (right-click it, Copy \
                 Channel ID)",
            ));
            return findings;
        }
        Err(e) => {
            findings.push(Finding::fail(
                "summary channel",
                format!("channel {channel_id} cannot be read: {}", short(&e)),
                "check SUMMARY_CHANNEL_ID, and give the bot View Channel there",
            ));
            return findings;
        }
    };
    let has = guild.user_permissions_in(&channel, &member);
    let missing: Vec<&str> = CHANNEL_NEEDS
        .iter()
        .filter(|(p, _)| !has.contains(*p))
        .map(|(_, name)| *name)
        .collect();
    findings.push(if missing.is_empty() {
        Finding::ok(
            "summary channel",
            format!(
                "#{} ({channel_id}): the bot may post and attach images",
                channel.name
            ),
        )
    } else {
        Finding::fail(
            "summary channel",
            format!(
                "#{} ({channel_id}): the bot lacks {}",
                channel.name,
                missing.join(", ")
            ),
            format!(
                "in the channel's settings (Permissions), allow {} for the bot's role",
                missing.join(", ")
            ),
        )
    });
    findings
}

/// Discord's error, without serenity's debug formatting.
fn short(e: &serenity::Error) -> String {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            format!("{} {}", r.status_code.as_u16(), r.error.message)
        }
        other => other.to_string(),
    }
}

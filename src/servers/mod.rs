//! Game servers: where each server's round files come from (`SERVERS`), pulling remote ones
//! over SFTP into a local spool ([`pull`], [`sftp`]), and the task that keeps pulling
//! ([`puller`]). Every round is stored with the label of the server it came from.
//!
//! Without `SERVERS` the one folder `GAMESTATS_DIR` is the server [`DEFAULT_LABEL`].

pub mod pull;
pub mod puller;
pub mod runtime;
pub mod sftp;

use std::path::{Path, PathBuf};

use thiserror::Error;

/// The label of the server of `GAMESTATS_DIR`, and of every round stored before servers existed.
pub const DEFAULT_LABEL: &str = "default";

/// The longest label: it is shown in Discord choices and status lines.
const MAX_LABEL: usize = 32;

/// One game server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// A short name: lower-case letters, digits, `-` and `_`.
    pub label: String,
    pub source: Source,
}

/// Where a server's round files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder on this machine (the tracker's folder, or a synchronised copy).
    Folder(PathBuf),
    /// A folder on another machine, read over SFTP.
    Sftp(SftpSource),
}

/// `sftp://user@host:port/path` with the client's private key and the server's pinned host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpSource {
    pub user: String,
    pub host: String,
    pub port: u16,
    /// The remote folder the tracker writes into.
    pub path: String,
    /// The client's private key (OpenSSH format, without a passphrase).
    pub key_file: PathBuf,
    /// The server's public host key as `ssh-keyscan` or `known_hosts` print it (`ssh-ed25519 AAAA…`):
    /// any other key is refused.
    pub host_key: String,
}

impl SftpSource {
    /// `sftp://user@host:port/path`, for logs and the status.
    pub fn url(&self) -> String {
        format!(
            "sftp://{}@{}:{}{}",
            self.user, self.host, self.port, self.path
        )
    }
}

impl ServerConfig {
    /// The folder the scanner imports this server's files from: the folder itself, or the
    /// server's spool under `spool_dir`.
    pub fn import_dir(&self, spool_dir: &Path) -> PathBuf {
        match &self.source {
            Source::Folder(dir) => dir.clone(),
            Source::Sftp(_) => spool_dir.join(&self.label),
        }
    }
}

/// A `SERVERS` configuration that cannot be used; the message says what to fix.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ServersError(pub String);

fn err(message: impl Into<String>) -> ServersError {
    ServersError(message.into())
}

/// Checks a label: 1–32 of `a-z 0-9 - _`.
pub fn check_label(label: &str) -> Result<(), ServersError> {
    let ok = !label.is_empty()
        && label.len() <= MAX_LABEL
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(err(format!(
            "`{label}` is not a server label (1 to {MAX_LABEL} of a-z, 0-9, - and _)"
        )))
    }
}

/// Reads `sftp://user@host[:port]/path` (port 22 when left out).
pub fn parse_sftp_url(
    url: &str,
    key_file: PathBuf,
    host_key: String,
) -> Result<SftpSource, ServersError> {
    let bad = |why: &str| err(format!("`{url}` is not sftp://user@host:port/path: {why}"));
    let rest = url
        .strip_prefix("sftp://")
        .ok_or_else(|| bad("it must start with sftp://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return Err(bad("no path")),
    };
    let (user, host_port) = authority.split_once('@').ok_or_else(|| bad("no user@"))?;
    if user.is_empty() {
        return Err(bad("no user"));
    }
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("the port is not a number from 1 to 65535"))?,
        ),
        None => (host_port, 22),
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    if path.len() < 2 {
        return Err(bad("no path"));
    }
    sftp::parse_host_key(&host_key)?;
    Ok(SftpSource {
        user: user.to_string(),
        host: host.to_string(),
        port,
        path: path.to_string(),
        key_file,
        host_key,
    })
}

/// The `SERVERS` file: one `[[server]]` table per server.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServersFile {
    server: Vec<ServerEntry>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerEntry {
    label: String,
    folder: Option<PathBuf>,
    sftp: Option<String>,
    key_file: Option<PathBuf>,
    host_key: Option<String>,
}

/// Reads the TOML form (see the README's "Servers"). Relative paths are taken from `base`, the
/// file's folder.
pub fn parse_toml(text: &str, base: &Path) -> Result<Vec<ServerConfig>, ServersError> {
    let file: ServersFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let servers = file
        .server
        .into_iter()
        .map(|e| {
            let source = match (e.folder, e.sftp) {
                (Some(folder), None) => Source::Folder(base.join(folder)),
                (None, Some(url)) => {
                    let key_file = e
                        .key_file
                        .ok_or_else(|| err(format!("server `{}`: sftp needs key_file", e.label)))?;
                    let host_key = e.host_key.ok_or_else(|| {
                        err(format!(
                            "server `{}`: sftp needs host_key (the server's public host key; \
                             there is no trust on first use)",
                            e.label
                        ))
                    })?;
                    Source::Sftp(
                        parse_sftp_url(&url, base.join(key_file), host_key)
                            .map_err(|x| err(format!("server `{}`: {x}", e.label)))?,
                    )
                }
                _ => {
                    return Err(err(format!(
                        "server `{}`: give exactly one of folder and sftp",
                        e.label
                    )));
                }
            };
            Ok(ServerConfig {
                label: e.label,
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_all(servers)
}

/// Reads the variable form: `label=/folder` or `label=sftp://user@host:port/path`, separated by
/// commas; an SFTP server's key file and host key come from `SERVERS_<LABEL>_KEY_FILE` and
/// `SERVERS_<LABEL>_HOST_KEY` (the label in upper case, `-` as `_`).
pub fn parse_list(
    list: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<ServerConfig>, ServersError> {
    let servers = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (label, where_) = item
                .split_once('=')
                .ok_or_else(|| err(format!("`{item}` is not label=folder or label=sftp://…")))?;
            let label = label.trim().to_string();
            let where_ = where_.trim();
            let source = if where_.starts_with("sftp://") {
                let var = |what: &str| {
                    format!(
                        "SERVERS_{}_{what}",
                        label.to_ascii_uppercase().replace('-', "_")
                    )
                };
                let need = |what: &str| {
                    lookup(&var(what)).ok_or_else(|| {
                        err(format!(
                            "server `{label}`: set {} for its sftp source",
                            var(what)
                        ))
                    })
                };
                Source::Sftp(
                    parse_sftp_url(where_, PathBuf::from(need("KEY_FILE")?), need("HOST_KEY")?)
                        .map_err(|x| err(format!("server `{label}`: {x}")))?,
                )
            } else {
                Source::Folder(PathBuf::from(where_))
            };
            Ok(ServerConfig { label, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_all(servers)
}

/// Reads `SERVERS`: a `.toml` file's path, or the list form.
pub fn parse_servers(
    value: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<ServerConfig>, ServersError> {
    if value.ends_with(".toml") {
        let path = Path::new(value);
        let text = std::fs::read_to_string(path)
            .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        parse_toml(&text, path.parent().unwrap_or(Path::new(".")))
    } else {
        parse_list(value, lookup)
    }
}

/// Reads every SFTP server's key file as its connection will, so that a missing or unusable key
/// is said at start rather than at the first pull. The parsers above read no key files.
pub fn check_key_files(servers: &[ServerConfig]) -> Result<(), ServersError> {
    for server in servers {
        if let Source::Sftp(source) = &server.source {
            sftp::read_key_file(&source.key_file)
                .map_err(|e| err(format!("server `{}`: {e}", server.label)))?;
        }
    }
    Ok(())
}

fn check_all(servers: Vec<ServerConfig>) -> Result<Vec<ServerConfig>, ServersError> {
    if servers.is_empty() {
        return Err(err("no server is configured"));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &servers {
        check_label(&s.label)?;
        if !seen.insert(s.label.as_str()) {
            return Err(err(format!("the label `{}` is used twice", s.label)));
        }
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA8WdA2M+7GqOud4HIot1I/kaf8KHh0PPY5i4pN2Vj5Z";

    #[test]
    fn toml_form() {
        let text = format!(
            r#"
[[server]]
label = "eu"
sftp = "sftp://et@eu.example.org:2222/home/et/.etlegacy/legacy/proximity"
key_file = "keys/eu"
host_key = "{KEY} root@eu"

[[server]]
label = "lan"
folder = "/srv/et/legacy/proximity"
"#
        );
        let servers = parse_toml(&text, Path::new("/etc/proximity")).unwrap();
        assert_eq!(
            servers,
            [
                ServerConfig {
                    label: "eu".into(),
                    source: Source::Sftp(SftpSource {
                        user: "et".into(),
                        host: "eu.example.org".into(),
                        port: 2222,
                        path: "/home/et/.etlegacy/legacy/proximity".into(),
                        key_file: PathBuf::from("/etc/proximity/keys/eu"),
                        host_key: format!("{KEY} root@eu"),
                    }),
                },
                ServerConfig {
                    label: "lan".into(),
                    source: Source::Folder(PathBuf::from("/srv/et/legacy/proximity")),
                },
            ]
        );
    }

    #[test]
    fn list_form_reads_keys_from_variables() {
        let servers = parse_list(
            "eu-1=sftp://et@10.0.0.5/srv/proximity, lan=/data",
            |k| match k {
                "SERVERS_EU_1_KEY_FILE" => Some("/k".into()),
                "SERVERS_EU_1_HOST_KEY" => Some(KEY.into()),
                _ => None,
            },
        )
        .unwrap();
        let Source::Sftp(s) = &servers[0].source else {
            panic!("sftp expected: {servers:?}")
        };
        assert_eq!((s.port, s.path.as_str()), (22, "/srv/proximity"));
        assert_eq!(servers[1].source, Source::Folder(PathBuf::from("/data")));
        let e = parse_list("eu=sftp://et@h/p", |_| None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "server `eu`: set SERVERS_EU_KEY_FILE for its sftp source"
        );
    }

    #[test]
    fn mistakes_are_named() {
        let none = |_: &str| None;
        assert!(
            parse_list("a=/x,a=/y", none)
                .unwrap_err()
                .0
                .contains("used twice")
        );
        assert!(
            parse_list("Big=/x", none)
                .unwrap_err()
                .0
                .contains("not a server label")
        );
        let no_host_key = "[[server]]\nlabel = \"x\"\nsftp = \"sftp://u@h/p\"\nkey_file = \"k\"\n";
        assert!(
            parse_toml(no_host_key, Path::new("/"))
                .unwrap_err()
                .0
                .contains("no trust on first use")
        );
        let e = parse_sftp_url("sftp://u@h:0/p", "k".into(), KEY.into()).unwrap_err();
        assert!(e.0.contains("port"), "{e}");
        let e =
            parse_sftp_url("sftp://u@h/p", "k".into(), "ssh-ed25519 nonsense".into()).unwrap_err();
        assert!(e.0.contains("host key"), "{e}");
    }
}

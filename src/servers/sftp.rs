//! The SFTP edge: a read-only session on a game server whose host key is pinned.
//!
//! `russh` and `russh-sftp` (pure Rust, on tokio) speak SSH and SFTP. The server's key is
//! compared with the configured one before anything else is sent: there is no trust on first
//! use, and a different key ends the connection with [`SftpError::HostKeyChanged`]. Only reads
//! are ever sent: list a folder, stat a file, open it for reading.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use russh::client;
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::pull::RemoteFile;
use super::{ServersError, SftpSource};
use crate::import::is_round_file_name;

/// Why pulling from a server failed.
#[derive(Debug, Error)]
pub enum SftpError {
    #[error(
        "{url}: the server's host key is {got}, not the pinned {expected}: pulls from this server \
         are stopped; if the server's key really changed, put its new key in host_key and restart"
    )]
    HostKeyChanged {
        url: String,
        expected: String,
        got: String,
    },
    #[error("{url}: cannot read the key file {}: {reason}", path.display())]
    KeyFile {
        url: String,
        path: PathBuf,
        reason: String,
    },
    #[error("{url}: the server refused the key {} for user {user}", path.display())]
    Refused {
        url: String,
        user: String,
        path: PathBuf,
    },
    #[error("{url}: {reason}")]
    Remote { url: String, reason: String },
    #[error("{url}: no answer within {} s", timeout.as_secs())]
    Timeout { url: String, timeout: Duration },
    #[error("spool {}: {source}", path.display())]
    Spool {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl SftpError {
    /// Whether pulls from this server stop until the configuration changes: a host key that is
    /// not the pinned one is never tried again by itself.
    pub fn stops_pulls(&self) -> bool {
        matches!(self, SftpError::HostKeyChanged { .. })
    }
}

/// Reads a public key as `known_hosts` or `ssh-keyscan` print it (`ssh-ed25519 AAAA… comment`),
/// with or without a leading host name.
pub fn parse_host_key(text: &str) -> Result<PublicKey, ServersError> {
    let text = text.trim();
    let fields: Vec<&str> = text.split_whitespace().collect();
    // A known_hosts line starts with the host name; a public key line with its algorithm.
    let is_algorithm = |f: &&str| {
        ["ssh-", "ecdsa-", "sk-"]
            .iter()
            .any(|prefix| f.starts_with(prefix))
    };
    let start = usize::from(fields.get(1).is_some_and(is_algorithm));
    let key = fields[start.min(fields.len())..].join(" ");
    PublicKey::from_openssh(&key)
        .map_err(|e| ServersError(format!("`{text}` is not an SSH public host key: {e}")))
}

/// A key file the bot cannot log in with.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("key_file {}: {reason}", path.display())]
pub struct KeyFileError {
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// The bot's private key for a server: the file read and decoded as the connection does, with
/// no passphrase (nobody is there to type one).
pub fn read_key_file(path: &Path) -> Result<PrivateKey, KeyFileError> {
    let problem = |reason: String| KeyFileError {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        problem(match e.kind() {
            std::io::ErrorKind::NotFound => "there is no such file".to_string(),
            std::io::ErrorKind::InvalidData => {
                "it is not a private key (OpenSSH format, a text file)".to_string()
            }
            _ => format!("it cannot be read: {e}"),
        })
    })?;
    russh::keys::decode_secret_key(&text, None).map_err(|e| {
        problem(match e {
            russh::keys::Error::KeyIsEncrypted => {
                "the key has a passphrase; the bot needs a key without one".to_string()
            }
            // A common slip: the `.pub` file next to the private key.
            _ if parse_host_key(&text).is_ok() => {
                "it is a public key; give the private key (the file without .pub)".to_string()
            }
            e => format!("it is not a private key in OpenSSH format ({e})"),
        })
    })
}

/// The SHA-256 fingerprint, as `ssh-keygen -l` prints it.
fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The client side of the SSH connection: checks the server's key against the pinned one.
struct Pinned {
    expected: PublicKey,
    /// The key the server showed, when it was not the pinned one.
    mismatch: Arc<parking_lot::Mutex<Option<PublicKey>>>,
}

impl client::Handler for Pinned {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        shown: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        // A certificate is refused too: only the pinned key is trusted.
        let key = match shown {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        let same = key.key_data() == self.expected.key_data()
            && matches!(shown, PublicKeyOrCertificate::PublicKey { .. });
        if !same {
            *self.mismatch.lock() = Some(key);
        }
        Ok(same)
    }
}

/// An open, read-only SFTP session.
pub struct Remote {
    url: String,
    timeout: Duration,
    handle: client::Handle<Pinned>,
    sftp: SftpSession,
}

impl Remote {
    /// Connects, checks the host key, logs in with the key file and opens SFTP; every step
    /// within `timeout`.
    pub async fn connect(source: &SftpSource, timeout: Duration) -> Result<Remote, SftpError> {
        let url = source.url();
        let expected = parse_host_key(&source.host_key).map_err(|e| SftpError::Remote {
            url: url.clone(),
            reason: e.0,
        })?;
        let key = read_key_file(&source.key_file).map_err(|e| SftpError::KeyFile {
            url: url.clone(),
            path: e.path,
            reason: e.reason,
        })?;
        let mismatch = Arc::new(parking_lot::Mutex::new(None));
        let handler = Pinned {
            expected: expected.clone(),
            mismatch: Arc::clone(&mismatch),
        };
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(timeout),
            ..client::Config::default()
        });
        let address = (source.host.as_str(), source.port);
        let connected = timed(&url, timeout, "cannot connect", async {
            client::connect(config, address, handler).await
        })
        .await;
        let mut handle = match connected {
            Ok(h) => h,
            // The handler refused the key: say which key, not only that the connection failed.
            Err(e) => {
                return Err(match mismatch.lock().take() {
                    Some(got) => SftpError::HostKeyChanged {
                        url: url.clone(),
                        expected: fingerprint(&expected),
                        got: fingerprint(&got),
                    },
                    None => e,
                });
            }
        };
        let hash = timed(
            &url,
            timeout,
            "cannot log in",
            handle.best_supported_rsa_hash(),
        )
        .await?
        .flatten();
        let login = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
        let auth = timed(&url, timeout, "cannot log in", async {
            handle
                .authenticate_publickey(source.user.clone(), login)
                .await
        })
        .await?;
        if !auth.success() {
            return Err(SftpError::Refused {
                url: url.clone(),
                user: source.user.clone(),
                path: source.key_file.clone(),
            });
        }
        let channel = timed(&url, timeout, "cannot start SFTP", async {
            let channel = handle.channel_open_session().await?;
            channel.request_subsystem(true, "sftp").await?;
            Ok::<_, russh::Error>(channel)
        })
        .await?;
        let sftp = timed(
            &url,
            timeout,
            "cannot start SFTP",
            SftpSession::new(channel.into_stream()),
        )
        .await?;
        sftp.set_timeout(timeout.as_secs().max(1));
        Ok(Remote {
            url,
            timeout,
            handle,
            sftp,
        })
    }

    fn remote(&self, reason: impl std::fmt::Display) -> SftpError {
        SftpError::Remote {
            url: self.url.clone(),
            reason: reason.to_string(),
        }
    }

    /// The round files in `dir` (not `.tmp`, not folders), by name.
    pub async fn list(&self, dir: &str) -> Result<Vec<RemoteFile>, SftpError> {
        let entries = self
            .sftp
            .read_dir(dir)
            .await
            .map_err(|e| self.remote(format!("cannot list {dir}: {e}")))?;
        let mut files: Vec<RemoteFile> = entries
            .filter(|e| e.file_type().is_file() && is_round_file_name(&e.file_name()))
            .map(|e| {
                let meta = e.metadata();
                RemoteFile {
                    name: e.file_name(),
                    size: meta.size.unwrap_or(0),
                    mtime: meta.mtime.unwrap_or(0),
                }
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    /// The size and modification time of `path`.
    pub async fn stat(&self, path: &str) -> Result<(u64, u32), SftpError> {
        let meta = self
            .sftp
            .metadata(path)
            .await
            .map_err(|e| self.remote(format!("cannot stat {path}: {e}")))?;
        Ok((meta.size.unwrap_or(0), meta.mtime.unwrap_or(0)))
    }

    /// Appends the bytes of `path` from `offset` to `end` to `out` (flushed as it goes, so that
    /// a cut connection leaves every byte received in the partial file). Returns the bytes
    /// written.
    pub async fn copy_range(
        &self,
        path: &str,
        offset: u64,
        end: u64,
        out: &mut tokio::fs::File,
        out_path: &Path,
    ) -> Result<u64, SftpError> {
        if offset >= end {
            return Ok(0);
        }
        let mut file = self
            .sftp
            .open(path)
            .await
            .map_err(|e| self.remote(format!("cannot open {path}: {e}")))?;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| self.remote(format!("cannot seek in {path}: {e}")))?;
        let spool = |source| SftpError::Spool {
            path: out_path.to_path_buf(),
            source,
        };
        let mut buf = vec![0u8; 32 * 1024];
        let mut done = 0u64;
        while offset + done < end {
            let want = ((end - offset - done) as usize).min(buf.len());
            let n = tokio::time::timeout(self.timeout, file.read(&mut buf[..want]))
                .await
                .map_err(|_| SftpError::Timeout {
                    url: self.url.clone(),
                    timeout: self.timeout,
                })?
                .map_err(|e| self.remote(format!("reading {path}: {e}")))?;
            if n == 0 {
                // The file is shorter than listed (replaced meanwhile): the next pull sees it.
                break;
            }
            out.write_all(&buf[..n]).await.map_err(spool)?;
            out.flush().await.map_err(spool)?;
            done += n as u64;
        }
        // Best effort: closing a read handle changes nothing on the server.
        let _ = file.shutdown().await;
        Ok(done)
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// `step` within `timeout`, its error said as `what: error`.
async fn timed<T, E: std::fmt::Display>(
    url: &str,
    timeout: Duration,
    what: &str,
    step: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, SftpError> {
    match tokio::time::timeout(timeout, step).await {
        Err(_) => Err(SftpError::Timeout {
            url: url.to_string(),
            timeout,
        }),
        Ok(Err(e)) => Err(SftpError::Remote {
            url: url.to_string(),
            reason: format!("{what}: {e}"),
        }),
        Ok(Ok(v)) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA8WdA2M+7GqOud4HIot1I/kaf8KHh0PPY5i4pN2Vj5Z";

    #[test]
    fn host_keys_as_keyscan_or_known_hosts_print_them() {
        let plain = parse_host_key(KEY).unwrap();
        for line in [
            format!("{KEY} root@eu"),
            format!("eu-1.example.org {KEY}"),
            format!("[eu.example.org]:2222 {KEY} comment"),
        ] {
            assert_eq!(
                parse_host_key(&line).unwrap().key_data(),
                plain.key_data(),
                "{line}"
            );
        }
        assert_eq!(
            fingerprint(&plain),
            "SHA256:3zPQW6kR+Q2cBSmsbRDclo1L+zSCQXlsnqXVmiz/0bg"
        );
        assert!(parse_host_key("").is_err());
        assert!(parse_host_key("eu.example.org").is_err());
    }
}

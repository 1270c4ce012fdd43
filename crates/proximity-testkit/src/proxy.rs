//! A TCP proxy in front of a server (PostgreSQL, sshd) that a test cuts and restores: the server
//! going away, as the program sees it, without stopping the server that other tests share.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Relays them to the target.
    Up,
    /// Cuts them, and closes new ones at once.
    Down,
    /// Cuts them; new ones are accepted and then hear nothing (a host that drops packets).
    Silent,
}

/// A proxy on a loopback port. While it is down, its connections are cut and new ones are
/// closed at once; while it is silent, new ones stay open without a byte.
pub struct Proxy {
    pub port: u16,
    mode: watch::Sender<Mode>,
    /// Client bytes after which the proxy goes down by itself (`u64::MAX`: never).
    budget: Arc<AtomicU64>,
}

impl Proxy {
    /// A proxy to `target` (`host:port`).
    pub async fn start(target: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let (mode, _) = watch::channel(Mode::Up);
        let budget = Arc::new(AtomicU64::new(u64::MAX));
        let proxy = Proxy {
            port,
            mode: mode.clone(),
            budget: Arc::clone(&budget),
        };
        let target = target.to_string();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let now = *mode.borrow();
                match now {
                    Mode::Up => {
                        tokio::spawn(relay(
                            client,
                            target.clone(),
                            mode.clone(),
                            Arc::clone(&budget),
                        ));
                    }
                    Mode::Down => {}
                    Mode::Silent => {
                        tokio::spawn(say_nothing(client, mode.subscribe()));
                    }
                }
            }
        });
        proxy
    }

    /// The URL of database `db` through the proxy.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub fn set_up(&self, up: bool) {
        if up {
            self.budget.store(u64::MAX, Ordering::SeqCst);
        }
        self.mode
            .send_replace(if up { Mode::Up } else { Mode::Down });
    }

    /// Cuts the connections and from now on accepts new ones but sends nothing on them, until
    /// [`Self::set_up`]: each attempt waits for its own timeout.
    pub fn set_silent(&self) {
        self.mode.send_replace(Mode::Silent);
    }

    /// Goes down by itself once clients have sent `bytes` more bytes: in the middle of
    /// whatever they are sending then.
    pub fn cut_after(&self, bytes: u64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }
}

async fn relay(
    client: TcpStream,
    target: String,
    mode: watch::Sender<Mode>,
    budget: Arc<AtomicU64>,
) {
    let Ok(server) = TcpStream::connect(&target).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mut changed = mode.subscribe();
    let upstream = async {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n as u64,
            };
            let left = budget.load(Ordering::SeqCst);
            if left != u64::MAX {
                if n >= left {
                    mode.send_replace(Mode::Down);
                    return;
                }
                budget.store(left - n, Ordering::SeqCst);
            }
            if server_write.write_all(&buf[..n as usize]).await.is_err() {
                return;
            }
        }
    };
    let downstream = tokio::io::copy(&mut server_read, &mut client_write);
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
        _ = changed.wait_for(|m| *m != Mode::Up) => {}
    }
}

/// Holds `client` open, reading and dropping what it sends, until it closes or the proxy
/// leaves silence.
async fn say_nothing(mut client: TcpStream, mut mode: watch::Receiver<Mode>) {
    let mut buf = vec![0; 4096];
    let swallow = async { while matches!(client.read(&mut buf).await, Ok(n) if n > 0) {} };
    tokio::select! {
        _ = swallow => {}
        _ = mode.wait_for(|m| *m != Mode::Silent) => {}
    }
}

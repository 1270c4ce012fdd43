//! A TCP proxy in front of PostgreSQL that a test cuts and restores: the database going away,
//! as the program sees it, without stopping the server that other tests share.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A proxy on a loopback port. While it is down, its connections are cut and new ones are
/// closed at once.
pub struct Proxy {
    pub port: u16,
    up: watch::Sender<bool>,
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
        let (up, _) = watch::channel(true);
        let budget = Arc::new(AtomicU64::new(u64::MAX));
        let proxy = Proxy {
            port,
            up: up.clone(),
            budget: Arc::clone(&budget),
        };
        let target = target.to_string();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !*up.borrow() {
                    continue;
                }
                tokio::spawn(relay(
                    client,
                    target.clone(),
                    up.clone(),
                    Arc::clone(&budget),
                ));
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
        self.up.send_replace(up);
    }

    /// Goes down by itself once clients have sent `bytes` more bytes: in the middle of
    /// whatever they are sending then.
    pub fn cut_after(&self, bytes: u64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }
}

async fn relay(client: TcpStream, target: String, up: watch::Sender<bool>, budget: Arc<AtomicU64>) {
    let Ok(server) = TcpStream::connect(&target).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mut down = up.subscribe();
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
                    up.send_replace(false);
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
        _ = down.wait_for(|up| !*up) => {}
    }
}

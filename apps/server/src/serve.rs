//! Serving connections: the accept loop with its connection caps, HTTP/1.1 through hyper
//! with a bounded request head and a head timeout, a write-stall deadline, and graceful
//! shutdown.
//!
//! poem's own `Server` exposes neither hyper's head size nor its head timeout, so a client
//! could hold a connection open by sending one header byte every few seconds, and nothing
//! capped how many connections one address holds. This loop does what `poem::Server` does
//! (hand every request to the endpoint, WebSocket upgrades included) with those limits:
//!
//! - at most `max_connections` open connections, and at most `max_per_ip` from one address;
//!   a connection over a cap gets a one-line JSON answer (503 or 429,
//!   `too_many_connections`) and is closed without being read;
//! - a request head larger than `max_header_bytes` gets 431 from hyper; a head not complete
//!   within `header_timeout` closes the connection — also a connection that sends nothing,
//!   and the idle time between requests on a kept-alive connection (hyper's head timer runs
//!   from the moment it waits for a head);
//! - a write that cannot make progress for [`WRITE_STALL`] (a client that stops reading
//!   its responses or its WebSocket) fails, which closes the connection;
//! - HTTP/1.1 only: behind a load balancer upstream connections are HTTP/1.1, and HTTP/2's
//!   multiplexing (200 streams, each with a body in flight, on one admitted connection) would
//!   let one connection past the per-connection bounds above;
//! - a connection counts against the caps for its whole life, also after it became a
//!   WebSocket (the count travels with the socket).
//!
//! Request bodies are limited by the API's own middleware (`crate::body`). Every
//! connection is closed through [`crate::linger`] (half-close, then a bounded drain of the
//! client's input), so an answer or close frame sent last is not destroyed by a reset.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use poem::Endpoint;
use poem::endpoint::BoxEndpoint;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Connection limits (see the module docs).
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Open connections in all.
    pub max_connections: usize,
    /// Open connections from one client address; 0 means no cap (behind a load balancer every
    /// connection comes from the balancer's address).
    pub max_per_ip: usize,
    /// Largest request head (request line and headers), bytes.
    pub max_header_bytes: usize,
    /// Longest time to receive a request head, and to wait for the next one on an idle
    /// kept-alive connection.
    pub header_timeout: Duration,
}

/// How long shutdown waits for open connections to finish.
const DRAIN: Duration = Duration::from_secs(5);

/// How long a write may make no progress before the connection is given up: a client that
/// stops reading must not hold a connection (and the memory queued for it) forever.
pub const WRITE_STALL: Duration = Duration::from_secs(30);

/// Open connections, in all and per address. A [`Permit`] gives its place under the caps back when dropped.
#[derive(Default)]
struct Tracker {
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Total,
    PerAddress,
}

impl Tracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // The counts stay consistent under any panic (each update is one statement).
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &ConnLimits) -> Result<Permit, Refusal> {
        let mut open = self.lock();
        if open.total >= limits.max_connections {
            return Err(Refusal::Total);
        }
        let from_ip = open.per_ip.get(&ip).copied().unwrap_or(0);
        if limits.max_per_ip > 0 && from_ip >= limits.max_per_ip {
            return Err(Refusal::PerAddress);
        }
        open.total += 1;
        open.per_ip.insert(ip, from_ip + 1);
        Ok(Permit {
            tracker: Arc::clone(self),
            ip,
        })
    }

    fn total(&self) -> usize {
        self.lock().total
    }
}

/// One admitted connection's place under the caps.
struct Permit {
    tracker: Arc<Tracker>,
    ip: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.tracker.lock();
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
    }
}

/// A TCP stream that holds its connection's place under the caps for as long as it lives,
/// including after it was handed to a WebSocket, and fails writes that stall for
/// [`WRITE_STALL`].
struct Counted {
    /// Lingers when dropped: the last answer or close frame reaches the client.
    stream: crate::linger::Lingering,
    _permit: Permit,
    /// Armed when a write or flush first returns `Pending`; cleared by progress.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Counted {
    fn new(stream: TcpStream, permit: Permit) -> Self {
        Self {
            stream: crate::linger::Lingering::new(stream),
            _permit: permit,
            stall: None,
        }
    }

    /// Passes `polled` through, timing how long writing has been stuck.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(r) => {
                self.stall = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let stall = self
                    .stall
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(WRITE_STALL)));
                match stall.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client stopped reading",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The answer to a connection over a cap: written without reading the request, then the
/// connection is closed.
fn refusal_response(refusal: Refusal, limits: &ConnLimits) -> Vec<u8> {
    let (status, message) = match refusal {
        Refusal::Total => (
            "503 Service Unavailable",
            format!(
                "the server has {} open connections, its limit; try again shortly",
                limits.max_connections
            ),
        ),
        Refusal::PerAddress => (
            "429 Too Many Requests",
            format!(
                "at most {} open connections from one address",
                limits.max_per_ip
            ),
        ),
    };
    let body = serde_json::json!({"code": "too_many_connections", "message": message}).to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n\
         connection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `endpoint` on `listener` until `shutdown` completes, then stops accepting, lets
/// open requests finish and waits up to 5 s for connections to close.
///
/// # Errors
/// Only the listener's local address failing; accept errors (such as running out of file
/// descriptors) are logged and retried.
pub async fn serve(
    listener: TcpListener,
    endpoint: BoxEndpoint<'static>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    let endpoint: Arc<BoxEndpoint<'static>> = Arc::new(endpoint);
    let tracker = Arc::new(Tracker::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        match tracker.admit(remote.ip(), &limits) {
            Ok(permit) => {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "could not turn off Nagle's algorithm");
                }
                let io = Counted::new(stream, permit);
                tokio::spawn(connection(
                    io,
                    local,
                    remote,
                    Arc::clone(&endpoint),
                    limits.clone(),
                    stop_rx.clone(),
                ));
            }
            Err(refusal) => {
                metrics::counter!(crate::telemetry::CONNECTIONS_REFUSED).increment(1);
                // Best effort and never waiting: a client that does not read gets nothing.
                let _ = stream.try_write(&refusal_response(refusal, &limits));
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let deadline = tokio::time::Instant::now() + DRAIN;
    while tracker.total() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Serves one connection: Nagle off (the server writes small messages a client waits for;
/// with Nagle on, one written while an earlier one is unacknowledged waits for a delayed
/// acknowledgement), hyper's HTTP/1.1 with the head limits, graceful close at shutdown.
async fn connection(
    io: Counted,
    local: SocketAddr,
    remote: SocketAddr,
    endpoint: Arc<BoxEndpoint<'static>>,
    limits: ConnLimits,
    mut stop: watch::Receiver<bool>,
) {
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let endpoint = Arc::clone(&endpoint);
        async move {
            let req = poem::Request::from((
                req,
                LocalAddr(local.into()),
                RemoteAddr(remote.into()),
                Scheme::HTTP,
            ));
            let resp: hyper::Response<_> = endpoint.get_response(req).await.into();
            Ok::<_, Infallible>(resp)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_ip: usize) -> ConnLimits {
        ConnLimits {
            max_connections: total,
            max_per_ip: per_ip,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn caps_hold_and_places_come_back() {
        let t = Arc::new(Tracker::default());
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let l = limits(3, 2);
        let p1 = t.admit(a, &l).ok();
        let p2 = t.admit(a, &l).ok();
        assert!(p1.is_some() && p2.is_some());
        assert_eq!(t.admit(a, &l).err(), Some(Refusal::PerAddress));
        let p3 = t.admit(b, &l).ok();
        assert!(p3.is_some());
        assert_eq!(t.admit(b, &l).err(), Some(Refusal::Total));
        drop(p1);
        assert_eq!(t.total(), 2);
        assert!(t.admit(a, &l).is_ok(), "a released place is reusable");
        drop((p2, p3));
        assert!(t.lock().per_ip.len() <= 1, "empty addresses are forgotten");
    }

    #[test]
    fn no_per_address_cap_when_zero() {
        let t = Arc::new(Tracker::default());
        let a: IpAddr = [127, 0, 0, 1].into();
        let l = limits(100, 0);
        let permits: Vec<_> = (0..50).filter_map(|_| t.admit(a, &l).ok()).collect();
        assert_eq!(permits.len(), 50);
    }

    #[test]
    fn refusals_are_complete_http_responses_with_a_code() {
        let l = limits(1, 1);
        for (refusal, status) in [(Refusal::Total, "503"), (Refusal::PerAddress, "429")] {
            let text = String::from_utf8(refusal_response(refusal, &l)).unwrap_or_default();
            assert!(text.starts_with(&format!("HTTP/1.1 {status} ")), "{text}");
            let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
            assert!(head.contains(&format!("content-length: {}", body.len())));
            let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
            assert_eq!(v["code"], "too_many_connections");
        }
    }
}

//! Closing a connection the way the protocols ask: half-close, then drain the client's
//! input for a short, bounded time.
//!
//! A server that closes a TCP connection while the client's data is still unread (or still
//! arriving) makes the kernel answer with a reset, and a reset can destroy what was sent
//! last: the WebSocket close frame with its code (1009 for a message of fragments past the
//! limit), or the 413/429 response to a request whose body is still being uploaded. The
//! client then sees an abnormal closure (1006, "connection reset") instead of the
//! documented code. RFC 6455 §7.1.1 asks the server to close the TCP connection after the
//! close frame and the client to read until then; HTTP servers do the same with a
//! "lingering close" (RFC 9112 §9.6).
//!
//! [`Lingering`] wraps every accepted connection (`serve.rs`). When it is dropped —
//! whatever dropped it: hyper after a response with `connection: close`, the WebSocket
//! after its close frame — and the client has not closed its side yet, a task takes the
//! socket over: it shuts down the sending side (the client reads everything sent, then the
//! end of the stream), then reads and discards what the client still sends until the
//! client closes, [`LINGER`] passes or [`MAX_DRAIN`] bytes were read, and only then closes
//! the socket. At most [`MAX_LINGERING`] sockets linger at once (each with a 4 KiB
//! buffer); beyond that a socket is closed at once, so a flood of refused requests cannot
//! hold more than a bounded number of sockets, tasks and bytes. Connections refused at
//! accept for a connection cap are still closed at once without being read (`serve.rs`):
//! lingering there would hand a connection flood the sockets the cap is there to save.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// How long a closed connection's input is drained at most.
pub const LINGER: Duration = Duration::from_secs(2);
/// How many bytes of a closed connection's input are drained at most.
pub const MAX_DRAIN: usize = 1 << 20;
/// How many sockets linger at most at once.
pub const MAX_LINGERING: usize = 1024;

static LINGERING: AtomicUsize = AtomicUsize::new(0);

/// A TCP stream that lingers when dropped (see the module docs).
#[derive(Debug)]
pub struct Lingering {
    /// `None` only once dropped.
    stream: Option<TcpStream>,
    /// The client closed its sending side (a read returned end of stream): nothing more
    /// can arrive, so there is nothing to drain.
    peer_done: bool,
}

impl Lingering {
    /// Wraps an accepted connection.
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream: Some(stream),
            peer_done: false,
        }
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "closed"))
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        if self.peer_done {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if LINGERING.fetch_add(1, Ordering::Relaxed) >= MAX_LINGERING {
            LINGERING.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        runtime.spawn(async move {
            drain(stream).await;
            LINGERING.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Half-closes `stream` and reads until the client closes, [`LINGER`] passes or
/// [`MAX_DRAIN`] bytes came; then the stream is dropped (closed).
async fn drain(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut buf = vec![0u8; 4 * 1024];
    let mut read = 0usize;
    let _ = tokio::time::timeout(LINGER, async {
        while read < MAX_DRAIN {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}

impl AsyncRead for Lingering {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let want = buf.remaining() > 0;
        let polled = Pin::new(self.stream()?).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && want
            && buf.filled().len() == before
        {
            self.peer_done = true;
        }
        polled
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.stream()?).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.stream()?).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(TcpStream::is_write_vectored)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.stream()?).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.stream()?).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let client = TcpStream::connect(addr);
        let (client, accepted) = tokio::join!(client, listener.accept());
        let client = client.unwrap_or_else(|e| panic!("{e}"));
        let (server, _) = accepted.unwrap_or_else(|e| panic!("{e}"));
        (client, server)
    }

    /// The server answers and drops the connection while the client still uploads: the
    /// client reads the whole answer and then the end of the stream, never a reset.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_answer_sent_before_closing_reaches_a_client_that_still_sends() {
        for _ in 0..20 {
            let (mut client, server) = pair().await;
            client
                .write_all(&[b'x'; 64 * 1024])
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut server = Lingering::new(server);
            server
                .write_all(b"HTTP/1.1 413 Payload Too Large\r\n\r\n")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            drop(server);
            // The client keeps uploading for a while, then reads.
            let _ = client.write_all(&[b'y'; 64 * 1024]).await;
            let mut got = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut got))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(read.is_ok(), "the client saw {read:?}");
            assert!(got.starts_with(b"HTTP/1.1 413"), "{got:?}");
        }
    }

    /// A client that closed first leaves nothing to drain: no task is spawned.
    #[tokio::test]
    async fn a_closed_client_is_not_drained() {
        let (client, server) = pair().await;
        drop(client);
        let mut server = Lingering::new(server);
        let mut buf = [0u8; 8];
        let n = server
            .read(&mut buf)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 0);
        assert!(server.peer_done);
    }
}

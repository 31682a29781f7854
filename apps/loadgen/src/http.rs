//! A minimal HTTP/1.1 client for the two calls the load generator makes (create a quiz,
//! join one): JSON POSTs over a small pool of keep-alive connections.
//!
//! Why not a full client: the workspace has no HTTP client crate, these two requests need
//! none of the hard parts (no TLS, no redirects, no proxies), and the pool keeps joins
//! from churning through ephemeral ports.

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Largest response body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Largest response head accepted.
const MAX_HEAD_LINES: usize = 100;
/// Idle connections kept for reuse.
const POOL_MAX: usize = 512;
/// One request may take this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTP response: status and body.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Why a request failed before a response arrived.
#[derive(Debug)]
pub enum HttpError {
    /// Connecting or talking to the server failed.
    Io(std::io::Error),
    /// The response was not valid HTTP/1.1 as this client understands it.
    Protocol(String),
    /// No response in time.
    Timeout,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "i/o: {e}"),
            Self::Protocol(m) => write!(f, "bad response: {m}"),
            Self::Timeout => f.write_str("timed out"),
        }
    }
}

impl std::error::Error for HttpError {}

impl HttpError {
    /// A short stable name for error counts.
    pub fn kind(&self) -> String {
        match self {
            Self::Io(e) => format!("{:?}", e.kind()),
            Self::Protocol(_) => "protocol".into(),
            Self::Timeout => "timeout".into(),
        }
    }
}

type Conn = BufReader<TcpStream>;

/// A pool of keep-alive connections to one server.
pub struct HttpClient {
    addr: SocketAddr,
    authority: String,
    idle: Mutex<Vec<Conn>>,
}

impl HttpClient {
    /// A client for the server at `addr`; `authority` goes into the `Host` header.
    pub fn new(addr: SocketAddr, authority: String) -> Self {
        Self {
            addr,
            authority,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<Conn> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn give_back(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < POOL_MAX {
            idle.push(conn);
        }
    }

    /// POSTs `body` as JSON to `path`, with `X-Admin-Key` when `admin_key` is given.
    /// A pooled connection the server closed meanwhile is retried once on a fresh one.
    ///
    /// # Errors
    /// [`HttpError`] when no response could be read.
    pub async fn post_json(
        &self,
        path: &str,
        body: &[u8],
        admin_key: Option<&str>,
    ) -> Result<Response, HttpError> {
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n",
            self.authority,
            body.len()
        );
        if let Some(k) = admin_key {
            head.push_str("X-Admin-Key: ");
            head.push_str(k);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        if let Some(conn) = self.take()
            && let Ok(r) = self.exchange(conn, head.as_bytes(), body).await
        {
            return Ok(r);
        }
        let stream = tokio::time::timeout(REQUEST_TIMEOUT, TcpStream::connect(self.addr))
            .await
            .map_err(|_| HttpError::Timeout)?
            .map_err(HttpError::Io)?;
        stream.set_nodelay(true).map_err(HttpError::Io)?;
        self.exchange(BufReader::new(stream), head.as_bytes(), body)
            .await
    }

    async fn exchange(
        &self,
        mut conn: Conn,
        head: &[u8],
        body: &[u8],
    ) -> Result<Response, HttpError> {
        let fut = async {
            let s = conn.get_mut();
            s.write_all(head).await.map_err(HttpError::Io)?;
            s.write_all(body).await.map_err(HttpError::Io)?;
            s.flush().await.map_err(HttpError::Io)?;
            read_response(&mut conn).await
        };
        let (resp, keep) = tokio::time::timeout(REQUEST_TIMEOUT, fut)
            .await
            .map_err(|_| HttpError::Timeout)??;
        if keep {
            self.give_back(conn);
        }
        Ok(resp)
    }
}

/// Reads one response; returns it and whether the connection may be reused.
async fn read_response(conn: &mut Conn) -> Result<(Response, bool), HttpError> {
    let mut line = String::new();
    let n = conn.read_line(&mut line).await.map_err(HttpError::Io)?;
    if n == 0 {
        return Err(HttpError::Io(std::io::ErrorKind::UnexpectedEof.into()));
    }
    let status = parse_status_line(&line)?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut keep = true;
    for _ in 0..MAX_HEAD_LINES {
        line.clear();
        conn.read_line(&mut line).await.map_err(HttpError::Io)?;
        let l = line.trim_end();
        if l.is_empty() {
            let body = if chunked {
                read_chunked(conn).await?
            } else {
                let len = length.unwrap_or(0);
                if len > MAX_BODY {
                    return Err(HttpError::Protocol(format!("body of {len} bytes")));
                }
                let mut body = vec![0; len];
                conn.read_exact(&mut body).await.map_err(HttpError::Io)?;
                body
            };
            return Ok((Response { status, body }, keep));
        }
        let Some((name, value)) = l.split_once(':') else {
            return Err(HttpError::Protocol(format!("header line {l:?}")));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse()
                    .map_err(|_| HttpError::Protocol(format!("content-length {value:?}")))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            keep = !value.eq_ignore_ascii_case("close");
        }
    }
    Err(HttpError::Protocol("too many header lines".into()))
}

/// Parses `HTTP/1.1 200 OK`.
fn parse_status_line(line: &str) -> Result<u16, HttpError> {
    let mut parts = line.split_ascii_whitespace();
    match (parts.next(), parts.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/1.") => code
            .parse()
            .map_err(|_| HttpError::Protocol(format!("status line {line:?}"))),
        _ => Err(HttpError::Protocol(format!("status line {line:?}"))),
    }
}

async fn read_chunked(conn: &mut Conn) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        conn.read_line(&mut line).await.map_err(HttpError::Io)?;
        let size_hex = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| HttpError::Protocol(format!("chunk size {size_hex:?}")))?;
        if body.len() + size > MAX_BODY {
            return Err(HttpError::Protocol("chunked body too large".into()));
        }
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                line.clear();
                conn.read_line(&mut line).await.map_err(HttpError::Io)?;
                if line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        conn.read_exact(&mut body[start..])
            .await
            .map_err(HttpError::Io)?;
        line.clear();
        conn.read_line(&mut line).await.map_err(HttpError::Io)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse() {
        assert_eq!(parse_status_line("HTTP/1.1 201 Created\r\n").unwrap(), 201);
        assert!(parse_status_line("SSH-2.0\r\n").is_err());
    }

    #[tokio::test]
    async fn a_chunked_response_is_reassembled() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n",
            )
            .await
            .unwrap();
        });
        let c = HttpClient::new(addr, addr.to_string());
        let r = c.post_json("/x", b"{}", None).await.unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"{\"a\":1}");
    }
}

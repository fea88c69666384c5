//! Webhooks: when a citizen decides a NEAC-style request, the portal's callback URL gets
//! `{"transaction_id", "status", "signatures"?}` (status 1 signed, 4002 rejected), so it
//! need not poll. Delivery is best effort after the decision is durable — three attempts,
//! 1 s and 5 s apart; `get_transaction` stays the source of truth.
//!
//! Plain `http://` only for now (no TLS client in kyso yet): an `https://` callback is
//! logged and skipped, and the portal polls.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `body` to `url` in the background.
pub(crate) fn notify(url: String, body: serde_json::Value) {
    tokio::spawn(async move {
        let body = body.to_string();
        for (attempt, wait) in [0u64, 1, 5].into_iter().enumerate() {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            match post(&url, body.as_bytes()).await {
                Ok(status) if (200..300).contains(&status) => return,
                Ok(status) => tracing::warn!(url, status, attempt, "webhook refused"),
                Err(e) => tracing::warn!(url, error = %e, attempt, "webhook failed"),
            }
        }
    });
}

/// One POST over HTTP/1.1; returns the status code.
async fn post(url: &str, body: &[u8]) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// callbacks are delivered"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let connect = tokio::net::TcpStream::connect(&addr);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), connect)
        .await
        .map_err(|_| "connect timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\nUser-Agent: kyso-webhook\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stream.write_all(body).await.map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .map_err(|_| "response timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&response);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| "no HTTP status in the response".to_owned())
}

//! Test support: the CA's public URLs served over real HTTP, for peers (pyHanko, openssl)
//! that fetch revocation data themselves. Production serving is `kyso-server`'s; this is
//! the smallest server that lets a crate below it be tested against those peers.

use crate::Ca;
use crate::ocsp::OcspResponder;
use std::sync::Arc;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Answers `POST /ocsp` and `GET /crl/…` on `listener` until the task is dropped
/// (HTTP/1.1, one request per connection).
pub async fn serve_revocation(
    listener: tokio::net::TcpListener,
    ca: Arc<Ca>,
    responder: Arc<OcspResponder>,
) {
    while let Ok((sock, _)) = listener.accept().await {
        tokio::spawn(answer(sock, ca.clone(), responder.clone()));
    }
}

async fn answer(mut sock: tokio::net::TcpStream, ca: Arc<Ca>, responder: Arc<OcspResponder>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = &buf[head_end..];
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let found: Option<(&str, Vec<u8>)> = match (method, path) {
        ("POST", "/ocsp") => Some((
            "application/ocsp-response",
            responder.respond(body).await.body.to_vec(),
        )),
        ("GET", p) => match kyso_pki::urls::crl_scope(p) {
            Some((slug, shard)) => ca
                .crl(slug, shard)
                .await
                .ok()
                .map(|der| ("application/pkix-crl", der)),
            None => None,
        },
        _ => None,
    };
    let response = match found {
        Some((kind, der)) => {
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                der.len()
            )
            .into_bytes();
            r.extend_from_slice(&der);
            r
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    let _ = sock.write_all(&response).await;
    let _ = sock.shutdown().await;
}

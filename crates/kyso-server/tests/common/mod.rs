//! Driving the router like a browser, without a port: requests with cookies, form posts,
//! and what came back (status, headers, body, Set-Cookie, hidden inputs, redirects).
#![allow(dead_code)] // each test file uses its own part

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use kyso_server::{AppState, router};
use tower::ServiceExt;

/// A response, read whole.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub body: String,
}

impl Resp {
    /// `name=value` of a Set-Cookie header.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap().to_owned())
    }

    /// The value of the hidden input `name`.
    pub fn hidden(&self, name: &str) -> String {
        let key = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
            + key.len();
        self.body[at..].split('"').next().unwrap().to_owned()
    }

    /// Where a redirect goes ("" if none).
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }
}

/// Sends `req` through a fresh router over `state`.
pub async fn send(state: &AppState, req: Request<Body>) -> Resp {
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

/// `GET path` with `cookies` (none if empty).
pub async fn get(state: &AppState, path: &str, cookies: &str) -> Resp {
    let mut req = Request::get(path);
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    send(state, req.body(Body::empty()).unwrap()).await
}

/// Posts exactly the fields given, URL-encoded, with `cookies` (none if empty).
pub async fn post_form(state: &AppState, path: &str, cookies: &str, form: &[(&str, &str)]) -> Resp {
    let mut req =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    let body = serde_urlencoded::to_string(form).unwrap();
    send(state, req.body(Body::from(body)).unwrap()).await
}

//! `/verify`: the public verification page (no login). Anyone uploads a signed PDF, or a
//! `.p7s` with the data it signs, and reads kyso-verify's report in Vietnamese (default)
//! or English (`?lang=en`); `Accept: application/json` gives the report as
//! `kyso verify --json` prints it.
//!
//! - Uploads live in memory for the length of the request only: never written to disk,
//!   the database or the log.
//! - Trust: this deployment's root certificate, as `kyso verify` trusts it by default.
//! - Revocation: what the file embeds first (B-LT / B-LTA), otherwise asked *in-process*
//!   of this server's own OCSP responder and CRLs ([`LocalFetcher`]). Every certificate
//!   whose status is looked up is on a path to that root, so its OCSP/CRL URLs are this
//!   deployment's: answering them in-process gives the same answers relying parties get,
//!   without the server making network requests on behalf of anonymous uploads (no
//!   server-side request forgery, no waiting on a slow host, no loop through a proxy).
//! - Cost: each upload is bounded ([`MAX_UPLOAD_BYTES`], 413 beyond), validation runs on
//!   a blocking thread, at most [`CONCURRENT_VERIFICATIONS`] at once, and a token bucket
//!   allows [`DEFAULT_VERIFICATIONS_PER_MINUTE`] per client (429 beyond) — per peer
//!   address when the server is served with connect info, one bucket otherwise.

use crate::AppState;
use crate::citizens::ui::{Lang, esc, message, page, respond};
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kyso_core::UnixTime;
use kyso_verify::changes::Level;
use kyso_verify::{Indication, Report, SignatureReport, Status, SubIndication};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

/// Largest upload (the file and the detached data together, with the form's framing).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// Verifications a client may start per minute unless [`AppState::with_verify_rate`] says
/// otherwise.
pub const DEFAULT_VERIFICATIONS_PER_MINUTE: u32 = 30;

/// Verifications running at once; further requests wait before their body is read.
pub const CONCURRENT_VERIFICATIONS: usize = 4;

/// Buckets kept before idle ones are forgotten.
const MAX_BUCKETS: usize = 10_000;

/// The page's routes (merged into the main router).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/verify", get(form).post(verify))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(axum::middleware::from_fn(
            crate::citizens::ui::remember_lang,
        ))
}

/// The rate limit and the concurrency bound of `POST /verify`.
#[derive(Debug)]
pub(crate) struct Limits {
    per_minute: u32,
    buckets: Mutex<HashMap<Option<IpAddr>, Bucket>>,
    running: tokio::sync::Semaphore,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Limits {
    pub(crate) fn new(per_minute: u32) -> Self {
        Limits {
            per_minute,
            buckets: Mutex::default(),
            running: tokio::sync::Semaphore::new(CONCURRENT_VERIFICATIONS),
        }
    }

    /// Takes a token from `client`'s bucket (`None`: the shared one), or says in how many
    /// seconds one will be there.
    pub(crate) fn take(&self, client: Option<IpAddr>) -> Result<(), u64> {
        let capacity = f64::from(self.per_minute.max(1));
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate-limit lock");
        if buckets.len() >= MAX_BUCKETS {
            // Forget the clients whose buckets have filled up again.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < capacity
            });
        }
        let b = buckets.entry(client).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_second).min(capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_second).ceil() as u64)
        }
    }
}

/// `GET /verify`: the upload form.
async fn form(lang: Lang) -> Response {
    respond(StatusCode::OK, form_page(lang, ""))
}

fn form_page(lang: Lang, notice: &str) -> axum::response::Html<String> {
    let body = format!(
        "{notice}<section class=\"card\"><form method=\"post\" action=\"/verify?lang={code}\" enctype=\"multipart/form-data\">\
         <label for=\"file\">{file_label}</label>\
         <span class=\"hint\">{file_hint}</span>\
         <input id=\"file\" name=\"file\" type=\"file\" accept=\".pdf,.p7s,application/pdf,application/pkcs7-signature\" required>\
         <label for=\"data\">{data_label}</label>\
         <span class=\"hint\">{data_hint}</span>\
         <input id=\"data\" name=\"data\" type=\"file\">\
         <button type=\"submit\">{submit}</button></form></section>\
         <section class=\"card\"><p class=\"hint\">{privacy}</p><p class=\"hint\">{trust}</p></section>",
        code = lang.t("vi", "en"),
        file_label = lang.t(
            "Tệp đã ký (PDF hoặc .p7s)",
            "Signed file (PDF or .p7s)"
        ),
        file_hint = esc(&format!(
            "{} {} MB.",
            lang.t("Tối đa", "At most"),
            MAX_UPLOAD_BYTES >> 20
        )),
        data_label = lang.t(
            "Tệp dữ liệu được ký (chỉ khi tải lên .p7s)",
            "The signed data (only with a .p7s)"
        ),
        data_hint = lang.t(
            "Chữ ký .p7s tách rời cần kèm đúng tệp đã được ký.",
            "A detached .p7s signature needs the very file it signs.",
        ),
        submit = lang.t("Kiểm tra chữ ký", "Verify"),
        privacy = lang.t(
            "Tệp tải lên chỉ được xử lý trong bộ nhớ để kiểm tra rồi bỏ đi: không được lưu vào ổ đĩa hay cơ sở dữ liệu.",
            "Uploaded files are processed in memory for the check and then dropped: they are never written to disk or to the database.",
        ),
        trust = lang.t(
            "Chữ ký được đánh giá theo ETSI EN 319 102-1, với chứng thư gốc của hệ thống này làm điểm tin cậy; trạng thái thu hồi lấy từ dữ liệu trong tệp hoặc từ dịch vụ OCSP/CRL của hệ thống.",
            "Signatures are judged by ETSI EN 319 102-1, trusting this system's root certificate; revocation status comes from the file itself or from this system's OCSP responder and CRLs.",
        ),
    );
    page(
        lang,
        lang.t("Kiểm tra chữ ký số", "Verify a digital signature"),
        "/verify",
        &body,
    )
}

/// A refusal: the form again with the reason (HTML), or `{"error", "message"}` (JSON).
fn refuse(lang: Lang, json: bool, status: StatusCode, code: &str, text: &str) -> Response {
    let mut r = if json {
        (
            status,
            axum::Json(serde_json::json!({"error": code, "message": text})),
        )
            .into_response()
    } else {
        respond(status, form_page(lang, &message("err", text)))
    };
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn too_large(lang: Lang, json: bool) -> Response {
    refuse(
        lang,
        json,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        &format!(
            "{} {} MB.",
            lang.t(
                "Tệp quá lớn: trang này nhận tệp (kể cả dữ liệu kèm theo) tối đa",
                "The upload is too large: this page takes files (with the detached data) of at most",
            ),
            MAX_UPLOAD_BYTES >> 20
        ),
    )
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        })
}

/// What the form carried.
#[derive(Debug, Default)]
struct Upload {
    file: Option<(String, axum::body::Bytes)>,
    data: Option<axum::body::Bytes>,
}

/// `POST /verify`: multipart `file` (signed PDF or `.p7s`) and optional `data`.
#[utoipa::path(
    post,
    path = "/verify",
    tag = "verify",
    summary = "Verify a signed PDF, or a .p7s with its data (no login)",
    description = "Answers JSON with `Accept: application/json`, else the HTML report page. \
        Uploads are held in memory only; at most 20 MiB; rate-limited per client.",
    params(
        ("lang" = Option<String>, Query, description = "`vi` (default) or `en`: language of the sentences"),
        ("Accept" = String, Header, description = "`application/json` for the JSON report"),
    ),
    request_body(content = schema::Upload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The report (`kyso verify --json`)", body = schema::Report),
        (status = 400, description = "`malformed_form`, `no_file`, `not_a_signature`, `missing_data`, `not_a_pdf`; \
            `unreadable` (with the `report`)", body = schema::VerifyError),
        (status = 413, description = "`too_large`", body = schema::VerifyError),
        (status = 429, description = "`rate_limited` (see `Retry-After`)", body = schema::VerifyError),
        (status = 500, description = "`internal`", body = schema::VerifyError),
        (status = 503, description = "`unavailable`: too many verifications running", body = schema::VerifyError),
    ),
)]
async fn verify(State(s): State<AppState>, lang: Lang, req: Request) -> Response {
    let json = wants_json(req.headers());
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Err(wait) = s.verify_limit.take(client) {
        metrics::counter!("kyso_verify_requests_total", "outcome" => "rate_limited").increment(1);
        let mut r = refuse(
            lang,
            json,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            lang.t(
                "Có quá nhiều yêu cầu kiểm tra trong một phút; vui lòng thử lại sau ít phút.",
                "Too many verifications in a minute; please try again in a little while.",
            ),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
        return r;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD_BYTES as u64) {
        metrics::counter!("kyso_verify_requests_total", "outcome" => "too_large").increment(1);
        return too_large(lang, json);
    }
    // Wait for a slot before reading the body: waiting requests hold no upload in memory.
    let Ok(_slot) = s.verify_limit.running.acquire().await else {
        return refuse(
            lang,
            json,
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            lang.t("Dịch vụ tạm ngưng.", "The service is unavailable."),
        );
    };
    let upload = match read_upload(req).await {
        Ok(u) => u,
        Err(ReadError::TooLarge) => {
            metrics::counter!("kyso_verify_requests_total", "outcome" => "too_large").increment(1);
            return too_large(lang, json);
        }
        Err(ReadError::Malformed) => {
            return bad_request(
                lang,
                json,
                "malformed_form",
                lang.t(
                    "Không đọc được biểu mẫu: hãy gửi tệp qua biểu mẫu trên trang này (multipart/form-data, trường \"file\").",
                    "The form could not be read: send the file with the form on this page (multipart/form-data, field \"file\").",
                ),
            );
        }
    };
    let Some((name, file)) = upload.file.filter(|(_, f)| !f.is_empty()) else {
        return bad_request(
            lang,
            json,
            "no_file",
            lang.t(
                "Chưa có tệp: hãy chọn tệp PDF đã ký (hoặc tệp .p7s).",
                "No file: choose a signed PDF (or a .p7s file).",
            ),
        );
    };
    let data = upload.data.filter(|d| !d.is_empty());
    let (p7s_or_pdf, data) = match data {
        // The two files swapped: the PDF sent as `file`, the signature as `data`.
        Some(d) if looks_like_pdf(&file) && looks_like_cms(&d) => (d, Some(file)),
        other => (file, other),
    };
    let job = match data {
        Some(data) => {
            let Some(p7s) = cms_der(&p7s_or_pdf) else {
                return bad_request(
                    lang,
                    json,
                    "not_a_signature",
                    lang.t(
                        "Khi có tệp dữ liệu kèm theo, tệp thứ nhất phải là chữ ký .p7s (CMS).",
                        "With detached data, the first file must be a .p7s (CMS) signature.",
                    ),
                );
            };
            Job::Detached { p7s, data }
        }
        None if looks_like_pdf(&p7s_or_pdf) => Job::Pdf(p7s_or_pdf),
        None if looks_like_cms(&p7s_or_pdf) => {
            return bad_request(
                lang,
                json,
                "missing_data",
                lang.t(
                    "Đây là chữ ký .p7s tách rời: hãy chọn thêm tệp dữ liệu đã được ký.",
                    "This is a detached .p7s signature: also choose the data file it signs.",
                ),
            );
        }
        None => {
            return bad_request(
                lang,
                json,
                "not_a_pdf",
                lang.t(
                    "Tệp này không phải là PDF (hoặc chữ ký .p7s).",
                    "This file is not a PDF (nor a .p7s signature).",
                ),
            );
        }
    };
    let report = match run(&s, lang, name, job).await {
        Some(r) => r,
        None => {
            return refuse(
                lang,
                json,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                lang.t(
                    "Hệ thống đang gặp sự cố; vui lòng thử lại sau.",
                    "Something went wrong on our side; please try again later.",
                ),
            );
        }
    };
    if let Some(e) = &report.error {
        metrics::counter!("kyso_verify_requests_total", "outcome" => "unreadable").increment(1);
        let text = unreadable_words(lang, e);
        if json {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CACHE_CONTROL, "no-store")],
                axum::Json(serde_json::json!({
                    "error": "unreadable", "message": text, "report": report,
                })),
            )
                .into_response();
        }
        let detail = format!(
            "<details><summary>{}</summary><p class=\"mono\">{}</p></details>",
            lang.t("Chi tiết kỹ thuật", "Technical detail"),
            esc(e)
        );
        return respond(
            StatusCode::BAD_REQUEST,
            form_page(lang, &format!("{}{detail}", message("err", &text))),
        );
    }
    metrics::counter!(
        "kyso_verify_requests_total",
        "outcome" => if report.all_passed { "passed" } else { "not_passed" }
    )
    .increment(1);
    if json {
        return (
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(&report),
        )
            .into_response();
    }
    respond(StatusCode::OK, report_page(lang, &report))
}

fn bad_request(lang: Lang, json: bool, code: &str, text: &str) -> Response {
    metrics::counter!("kyso_verify_requests_total", "outcome" => "bad_request").increment(1);
    refuse(lang, json, StatusCode::BAD_REQUEST, code, text)
}

enum ReadError {
    TooLarge,
    Malformed,
}

async fn read_upload(req: Request) -> Result<Upload, ReadError> {
    let mut form = Multipart::from_request(req, &())
        .await
        .map_err(|_| ReadError::Malformed)?;
    let mut upload = Upload::default();
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ReadError::TooLarge
        } else {
            ReadError::Malformed
        }
    };
    while let Some(field) = form.next_field().await.map_err(failed)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().map(file_name).unwrap_or_default();
                let bytes = field.bytes().await.map_err(failed)?;
                upload.file = Some((name, bytes));
            }
            Some("data") => upload.data = Some(field.bytes().await.map_err(failed)?),
            // Other fields are read past (the body limit bounds them).
            _ => drop(field.bytes().await.map_err(failed)?),
        }
    }
    Ok(upload)
}

/// The uploaded file's own name (no path), bounded.
fn file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// `%PDF-` within the first KiB (ISO 32000-2 §7.5.2 lets a header follow some bytes).
fn looks_like_pdf(b: &[u8]) -> bool {
    b[..b.len().min(1024)].windows(5).any(|w| w == b"%PDF-")
}

/// A DER SEQUENCE or a PEM block: what a `.p7s` looks like.
fn looks_like_cms(b: &[u8]) -> bool {
    b.first() == Some(&0x30) || b.starts_with(b"-----BEGIN")
}

/// The DER of a `.p7s`, decoding PEM (`-----BEGIN PKCS7-----`, `CMS`) when given so.
fn cms_der(b: &[u8]) -> Option<Vec<u8>> {
    if b.first() == Some(&0x30) {
        return Some(b.to_vec());
    }
    let text = std::str::from_utf8(b).ok()?;
    let body = text.lines().skip_while(|l| !l.starts_with("-----BEGIN"));
    let b64: String = body
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    (der.first() == Some(&0x30)).then_some(der)
}

enum Job {
    Pdf(axum::body::Bytes),
    Detached {
        p7s: Vec<u8>,
        data: axum::body::Bytes,
    },
}

/// Validates on a blocking thread, as `kyso verify` does; `None` if the thread failed.
async fn run(s: &AppState, lang: Lang, name: String, job: Job) -> Option<Report> {
    let anchors =
        s.ca.issuer("root")
            .map(|r| vec![r.cert_der.clone()])
            .unwrap_or_default();
    let fetcher = LocalFetcher {
        state: s.clone(),
        runtime: tokio::runtime::Handle::current(),
    };
    let now = s.ca.clock().now();
    let lang = match lang {
        Lang::Vi => kyso_verify::Lang::Vi,
        Lang::En => kyso_verify::Lang::En,
    };
    let started = Instant::now();
    let report = tokio::task::spawn_blocking(move || {
        let opts = kyso_verify::Options {
            anchors,
            fetcher: Some(&fetcher),
            now,
            lang,
        };
        let name = if name.is_empty() {
            "upload".to_owned()
        } else {
            name
        };
        match job {
            Job::Pdf(pdf) => kyso_verify::verify_pdf(&name, std::sync::Arc::new(pdf), &opts),
            Job::Detached { p7s, data } => {
                kyso_verify::verify_detached(&name, &p7s, &std::sync::Arc::new(data), &opts)
            }
        }
    })
    .await;
    metrics::histogram!("kyso_verify_seconds").record(started.elapsed().as_secs_f64());
    match report {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::error!(error = %e, "verification thread failed");
            None
        }
    }
}

/// Answers OCSP and CRL look-ups for this deployment's own URLs in-process (the same
/// responder and CRL cache `/ocsp` and `/crl/…` serve); any other URL gets no answer.
/// Called on the blocking thread, it waits on the runtime for the async store.
struct LocalFetcher {
    state: AppState,
    runtime: tokio::runtime::Handle,
}

impl LocalFetcher {
    /// The path of an `http(s)://host/path` URL. The host is not compared with the
    /// public URL: the certificate chains to this root, so the URL is one this
    /// deployment wrote, perhaps under an older public name.
    fn path(url: &str) -> Option<&str> {
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))?;
        Some(rest.find('/').map_or("/", |i| &rest[i..]))
    }
}

impl kyso_verify::Fetcher for LocalFetcher {
    fn ocsp(&self, url: &str, request: &[u8]) -> Option<Vec<u8>> {
        if Self::path(url)? != "/ocsp" {
            return None;
        }
        let answer = self.runtime.block_on(self.state.ocsp.respond(request));
        Some(answer.body.to_vec())
    }

    fn crl(&self, url: &str) -> Option<Vec<u8>> {
        let path = Self::path(url).filter(|p| p.starts_with("/crl/"))?;
        let (slug, shard) = kyso_pki::urls::crl_scope(path)?;
        if (slug == "root") != shard.is_none() {
            return None;
        }
        self.runtime
            .block_on(crate::cached_crl(&self.state, slug, shard))
            .ok()
            .map(|b| b.to_vec())
    }
}

/// kyso-verify's reason a file could not be read, in the reader's language.
fn unreadable_words(lang: Lang, e: &str) -> String {
    let text = if e.ends_with("holds no signature") {
        lang.t(
            "Tệp PDF này không có chữ ký số nào.",
            "This PDF holds no signature.",
        )
    } else if e.contains("is not a CMS signature") {
        lang.t(
            "Tệp .p7s không phải là chữ ký CMS hợp lệ.",
            "The .p7s file is not a valid CMS signature.",
        )
    } else if e.contains("cannot be read") {
        lang.t(
            "Không đọc được tệp PDF: tệp bị hỏng hoặc không đúng định dạng PDF.",
            "The PDF cannot be read: the file is damaged or not a well-formed PDF.",
        )
    } else {
        lang.t(
            "Không kiểm tra được tệp này.",
            "This file could not be verified.",
        )
    };
    text.to_owned()
}

/// An attribute (`CN`, `UID`, …) of a subject as kyso-pki displays it (`C=VN, CN=…`).
fn attribute<'a>(subject: &'a str, label: &str) -> Option<&'a str> {
    subject
        .split(", ")
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == label)
        .map(|(_, v)| v)
}

/// A moment in Vietnam's time (UTC+7).
pub(crate) fn when(lang: Lang, t: UnixTime) -> String {
    let (y, mo, d, h, mi, s) = kyso_core::clock::civil_from_unix(t.seconds() + 7 * 3600);
    match lang {
        Lang::Vi => format!("{h:02}:{mi:02}:{s:02} ngày {d:02}/{mo:02}/{y} (GMT+7)"),
        Lang::En => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02} (UTC+7)"),
    }
}

/// A PDF date (`D:YYYYMMDDHHmmSS…`) made readable; anything else as it is.
fn pdf_date(s: &str) -> String {
    let digits = s.strip_prefix("D:").unwrap_or(s);
    let n = |r: std::ops::Range<usize>| {
        digits
            .get(r)
            .filter(|x| x.bytes().all(|b| b.is_ascii_digit()))
    };
    match (n(0..4), n(4..6), n(6..8), n(8..10), n(10..12), n(12..14)) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) => {
            let zone = match digits.get(14..).unwrap_or("") {
                "" | "Z" | "+00'00'" | "+00'00" => "UTC".to_owned(),
                z => z.replace('\'', ""),
            };
            format!("{y}-{mo}-{d} {h}:{mi}:{sec} {zone}")
        }
        _ => s.to_owned(),
    }
}

fn indication_code(i: Indication) -> &'static str {
    match i {
        Indication::TotalPassed => "TOTAL-PASSED",
        Indication::TotalFailed => "TOTAL-FAILED",
        Indication::Indeterminate => "INDETERMINATE",
    }
}

fn sub_code(s: SubIndication) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn level_words(lang: Lang, level: Level) -> &'static str {
    match level {
        Level::LongTermValidation => {
            lang.t("dữ liệu kiểm tra dài hạn", "long-term validation data")
        }
        Level::Signing => lang.t("chữ ký tiếp theo", "further signature"),
        Level::FormFilling => lang.t("điền biểu mẫu", "form filling"),
        Level::Annotations => lang.t("chú thích", "annotation"),
        Level::Illegal => lang.t("KHÔNG ĐƯỢC PHÉP", "NOT ALLOWED"),
    }
}

fn status_words(lang: Lang, status: &Status) -> String {
    match status {
        Status::Good { source, checked_at } => format!(
            "{} ({}, {})",
            lang.t("Chưa bị thu hồi", "Not revoked"),
            source_words(lang, source),
            when(lang, *checked_at)
        ),
        Status::Revoked { since, source } => format!(
            "{} {} ({})",
            lang.t("ĐÃ BỊ THU HỒI từ", "REVOKED since"),
            when(lang, *since),
            source_words(lang, source)
        ),
        Status::NotApplicable => lang
            .t("Không cần kiểm tra thu hồi", "No revocation check applies")
            .to_owned(),
        Status::Unknown { reason } => format!(
            "{}: {reason}",
            lang.t(
                "Không xác định được trạng thái thu hồi",
                "Revocation status unknown"
            )
        ),
    }
}

/// Where a revocation answer came from (kyso-verify names it in English).
fn source_words(lang: Lang, source: &str) -> String {
    match source {
        "embedded OCSP response" => lang.t("phản hồi OCSP kèm trong tệp", source).to_owned(),
        "embedded CRL" => lang.t("CRL kèm trong tệp", source).to_owned(),
        s => s.to_owned(),
    }
}

fn report_page(lang: Lang, report: &Report) -> axum::response::Html<String> {
    let n = report.signatures.len();
    let summary = if report.all_passed {
        message(
            "ok",
            &match lang {
                Lang::Vi => format!("Tất cả {n} chữ ký trong tệp đều hợp lệ."),
                Lang::En => format!("All {n} signature(s) in the file are valid."),
            },
        )
    } else {
        message(
            "err",
            lang.t(
                "Có chữ ký không hợp lệ hoặc chưa xác định được — xem chi tiết bên dưới.",
                "At least one signature is invalid or could not be confirmed — see below.",
            ),
        )
    };
    let mut body = format!(
        "{summary}<p class=\"hint\">{} <span class=\"mono\">{}</span> · {n} {}</p>",
        lang.t("Tệp:", "File:"),
        esc(&report.file),
        lang.t("chữ ký", "signature(s)"),
    );
    for (i, s) in report.signatures.iter().enumerate() {
        body.push_str(&signature_card(lang, i + 1, s));
    }
    body.push_str(&format!(
        "<p><a class=\"button\" href=\"/verify?lang={}\">{}</a></p>\
         <p class=\"hint\">{}</p>",
        lang.t("vi", "en"),
        lang.t("Kiểm tra tệp khác", "Verify another file"),
        lang.t(
            "Tệp đã tải lên không được lưu lại.",
            "The uploaded file was not kept.",
        ),
    ));
    page(
        lang,
        lang.t("Kết quả kiểm tra chữ ký", "Verification report"),
        "/verify",
        &body,
    )
}

pub(crate) fn signature_card(lang: Lang, n: usize, s: &SignatureReport) -> String {
    let kind = if s.kind == "document_timestamp" {
        lang.t("Dấu thời gian tài liệu", "Document time-stamp")
    } else {
        lang.t("Chữ ký", "Signature")
    };
    let class = match s.indication {
        Indication::TotalPassed => "ok",
        Indication::TotalFailed => "err",
        Indication::Indeterminate => "info",
    };
    let verdict = match s.sub_indication {
        Some(sub) => format!("{} / {}", indication_code(s.indication), sub_code(sub)),
        None => indication_code(s.indication).to_owned(),
    };
    let mut rows: Vec<(&str, String)> = vec![(
        lang.t("Kết luận (EN 319 102-1)", "Verdict (EN 319 102-1)"),
        format!("<span class=\"mono\">{}</span>", esc(&verdict)),
    )];
    let subject = s.signer_subject.as_deref().unwrap_or("");
    let cn = attribute(subject, "CN")
        .map(str::to_owned)
        .or_else(|| s.signer.clone());
    rows.push((
        lang.t("Người ký", "Signer"),
        esc(cn.as_deref().unwrap_or(lang.t("không rõ", "unknown"))),
    ));
    if let Some(uid) = attribute(subject, "UID") {
        rows.push((
            lang.t("Định danh", "Identifier"),
            format!("<span class=\"mono\">{}</span>", esc(uid)),
        ));
    }
    if let Some(org) = attribute(subject, "O") {
        rows.push((lang.t("Tổ chức", "Organisation"), esc(org)));
    }
    let time = match (s.timestamp_time, &s.claimed_time) {
        (Some(t), _) => format!(
            "{} <span class=\"hint\">({})</span>",
            esc(&when(lang, t)),
            lang.t("chứng thực bởi dấu thời gian", "proven by a time-stamp")
        ),
        (None, Some(c)) => format!(
            "{} <span class=\"hint\">({})</span>",
            esc(&pdf_date(c)),
            lang.t(
                "do người ký tự khai, không có dấu thời gian",
                "as the signer claims; no time-stamp"
            )
        ),
        (None, None) => esc(lang.t("Không có", "None")),
    };
    rows.push((lang.t("Thời điểm ký", "Signing time"), time));
    if let Some(e) = &s.timestamp_error
        && s.has_timestamp
    {
        rows.push((
            lang.t("Dấu thời gian", "Time-stamp"),
            format!(
                "{}: <span class=\"mono\">{}</span>",
                lang.t("không hợp lệ", "invalid"),
                esc(e)
            ),
        ));
    }
    let integrity = match (&s.integrity_error, s.sub_indication) {
        (Some(e), _) => format!(
            "{}: <span class=\"mono\">{}</span>",
            lang.t("KHÔNG nguyên vẹn", "NOT intact"),
            esc(e)
        ),
        (None, Some(SubIndication::FormatFailure)) => esc(lang.t(
            "Không kiểm tra được (cấu trúc chữ ký không hợp lệ)",
            "Not checked (the signature is malformed)",
        )),
        (None, _) => esc(lang.t(
            "Nguyên vẹn: nội dung được ký không bị sửa, giá trị chữ ký đúng",
            "Intact: the signed content is unchanged and the signature value is correct",
        )),
    };
    rows.push((lang.t("Toàn vẹn", "Integrity"), integrity));
    let status = if s.chain.is_empty() {
        esc(lang.t(
            "Không tìm thấy chuỗi tới chứng thư gốc được tin cậy",
            "No path to a trusted root certificate",
        ))
    } else {
        let items: String = s
            .chain
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = attribute(c, "CN").unwrap_or(c);
                let words = match s.revocation.get(i) {
                    Some(st) => status_words(lang, st),
                    None => lang
                        .t("điểm tin cậy (chứng thư gốc)", "trust anchor (root)")
                        .to_owned(),
                };
                format!("<li><b>{}</b> — {}</li>", esc(name), esc(&words))
            })
            .collect();
        format!("<ul class=\"history\">{items}</ul>")
    };
    rows.push((lang.t("Chứng thư số", "Certificates"), status));
    rows.push((
        lang.t("Phạm vi", "Coverage"),
        esc(if s.covers_whole_document {
            lang.t("Toàn bộ tài liệu", "The whole document")
        } else {
            lang.t(
                "Một phiên bản trước của tài liệu (có cập nhật sau)",
                "An earlier revision (later updates follow)",
            )
        }),
    ));
    let changes = if s.changes.is_empty() {
        esc(lang.t("Không có", "None"))
    } else {
        let head = match s.modification {
            "illegal" => lang.t("Có thay đổi KHÔNG được phép:", "Changes NOT allowed:"),
            _ => lang.t("Chỉ có thay đổi được phép:", "Only permitted changes:"),
        };
        let items: String = s
            .changes
            .iter()
            .map(|c| {
                format!(
                    "<li>{} — <span class=\"hint\">{}</span></li>",
                    esc(level_words(lang, c.level)),
                    esc(&c.what)
                )
            })
            .collect();
        format!("{}<ul class=\"history\">{items}</ul>", esc(head))
    };
    rows.push((
        lang.t("Thay đổi sau khi ký", "Changes after signing"),
        changes,
    ));
    let dl: String = rows
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{v}</dd>", esc(k)))
        .collect();
    let details = if s.details.is_empty() {
        String::new()
    } else {
        let items: String = s
            .details
            .iter()
            .map(|d| format!("<li class=\"mono\">{}</li>", esc(d)))
            .collect();
        format!(
            "<details><summary>{}</summary><ul class=\"history\">{items}</ul></details>",
            lang.t("Chi tiết kỹ thuật", "Technical details")
        )
    };
    format!(
        "<section class=\"card\"><h2>{n}. {kind} — <span class=\"mono\">{field}</span></h2>{msg}<dl>{dl}</dl>{details}</section>",
        field = esc(&s.field),
        msg = message(class, &s.message),
    )
}

/// The page's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(verify))]
struct VerifyApi;

pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    <VerifyApi as utoipa::OpenApi>::openapi()
}

/// Shapes for the OpenAPI document only: the report is `kyso_verify::Report` serialised
/// (see that crate for the authoritative definition).
#[allow(dead_code)]
mod schema {
    use utoipa::ToSchema;

    /// The form.
    #[derive(ToSchema)]
    pub struct Upload {
        /// The signed PDF, or a `.p7s` (CMS) signature.
        #[schema(value_type = String, format = Binary)]
        file: Vec<u8>,
        /// With a detached `.p7s`: the data it signs.
        #[schema(value_type = Option<String>, format = Binary)]
        data: Option<Vec<u8>>,
    }

    /// A refusal.
    #[derive(ToSchema)]
    pub struct VerifyError {
        /// Machine-readable reason.
        error: String,
        /// In the requested language.
        message: String,
        /// With `unreadable`: the report, whose `error` says why.
        report: Option<Report>,
    }

    /// The verification report (`kyso_verify::Report`).
    #[derive(ToSchema)]
    pub struct Report {
        /// The file's name, as given.
        file: String,
        /// One per signature, in form order.
        signatures: Vec<SignatureReport>,
        /// Whether every signature passed (and there is at least one).
        all_passed: bool,
        /// If the file could not be read at all.
        error: Option<String>,
    }

    /// The verdict (ETSI EN 319 102-1).
    #[derive(ToSchema)]
    pub enum Indication {
        /// Passed every check.
        #[serde(rename = "TOTAL-PASSED")]
        TotalPassed,
        /// Not valid.
        #[serde(rename = "TOTAL-FAILED")]
        TotalFailed,
        /// Could not be concluded.
        #[serde(rename = "INDETERMINATE")]
        Indeterminate,
    }

    /// The report on one signature (`kyso_verify::SignatureReport`).
    #[derive(ToSchema)]
    pub struct SignatureReport {
        /// The signature field's name.
        field: String,
        /// `signature` or `document_timestamp`.
        kind: String,
        /// The signer's commonName (or the TSA's).
        signer: Option<String>,
        /// The signer's full subject.
        signer_subject: Option<String>,
        /// `/M`, as the signer claims (not proof).
        claimed_time: Option<String>,
        /// Unix seconds proven by a time-stamp.
        timestamp_time: Option<i64>,
        /// Whether the signature covers the whole file.
        covers_whole_document: bool,
        /// Null when hash and signature are fine, else why not.
        integrity_error: Option<String>,
        /// The path to a trust anchor (subjects, signer first), if found.
        chain: Vec<String>,
        /// Revocation status of each certificate of the path below the anchor.
        revocation: Vec<Revocation>,
        /// Null if valid or absent (see `has_timestamp`), else why not.
        timestamp_error: Option<String>,
        /// Whether a signature time-stamp is present.
        has_timestamp: bool,
        /// Changes made after signing.
        changes: Vec<Change>,
        /// `none`, `allowed` or `illegal`.
        modification: String,
        indication: Indication,
        /// Why, when not passed: `FORMAT_FAILURE`, `HASH_FAILURE`, `SIG_CRYPTO_FAILURE`,
        /// `REVOKED`, `SIG_CONSTRAINTS_FAILURE`, `NO_CERTIFICATE_CHAIN_FOUND`,
        /// `NO_SIGNING_CERTIFICATE_FOUND`, `REVOKED_NO_POE`, `OUT_OF_BOUNDS_NO_POE`,
        /// `TRY_LATER`, `CRYPTO_CONSTRAINTS_FAILURE`.
        sub_indication: Option<String>,
        /// One sentence saying all this, in the requested language.
        message: String,
        /// Details, for the curious (English).
        details: Vec<String>,
    }

    /// The revocation status of one certificate.
    #[derive(ToSchema)]
    pub struct Revocation {
        /// `good`, `revoked`, `not_applicable` or `unknown`.
        status: String,
        /// With `good` and `revoked`: where the answer came from.
        source: Option<String>,
        /// With `good`: when the answer was produced (Unix seconds).
        checked_at: Option<i64>,
        /// With `revoked`: since when (Unix seconds).
        since: Option<i64>,
        /// With `unknown`: why.
        reason: Option<String>,
    }

    /// A change made after signing.
    #[derive(ToSchema)]
    pub struct Change {
        /// `long_term_validation`, `signing`, `form_filling`, `annotations` or `illegal`.
        level: String,
        /// What it is, in English.
        what: String,
        /// The form field it fills, if any.
        field: Option<String>,
    }
}

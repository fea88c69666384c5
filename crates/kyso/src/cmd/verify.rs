//! `kyso verify`: validation reports for people (Vietnamese or English) and for programs
//! (JSON).

use crate::cli::VerifyArgs;
use crate::context::Context;
use anyhow::Context as _;
use kyso_pdf::FileSource;
use kyso_verify::{Indication, Lang, Options, Report, Status};
use std::io::{Read as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(ctx: &Context, a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let lang: Lang = a.lang.parse().map_err(anyhow::Error::msg)?;
    let mut anchors = Vec::new();
    for path in &a.trust {
        let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let found = pem_certificates(&text);
        if found.is_empty() {
            anyhow::bail!("{} holds no PEM certificate", path.display());
        }
        anchors.extend(found);
    }
    if a.trust.is_empty() && ctx.data_dir.exists() {
        // The local deployment's root, when there is one.
        if let Ok(ca) = ctx.load_ca().await
            && let Some(root) = ca.issuer("root")
        {
            anchors.push(root.cert_der.clone());
        }
    }
    let opts = Options {
        anchors,
        fetcher: if a.offline { None } else { Some(&HTTP_FETCHER) },
        now: kyso_core::UnixTime::from_system_time(std::time::SystemTime::now()),
        lang,
    };
    let name = a.file.display().to_string();
    let file = a.file.clone();
    let data = a.detached_data.clone();
    // Validation is blocking work (hashing, parsing, network): off the async runtime.
    let report = tokio::task::spawn_blocking(move || -> anyhow::Result<Report> {
        let opts = opts;
        Ok(match data {
            Some(data) => {
                let p7s =
                    std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let source = FileSource::open(&data)
                    .with_context(|| format!("reading {}", data.display()))?;
                kyso_verify::verify_detached(&name, &p7s, &source, &opts)
            }
            None => {
                let source = FileSource::open(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                kyso_verify::verify_pdf(&name, source, &opts)
            }
        })
    })
    .await??;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report, lang);
    }
    Ok(if report.all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn pem_certificates(text: &[u8]) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(text);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body = &rest[start + 27..];
        let Some(end) = body.find("-----END CERTIFICATE-----") else {
            break;
        };
        let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(der);
        }
        rest = &body[end..];
    }
    out
}

fn print_report(report: &Report, lang: Lang) {
    let vi = lang == Lang::Vi;
    if let Some(e) = &report.error {
        println!("{}: {e}", if vi { "Lỗi" } else { "Error" });
        return;
    }
    println!(
        "{} — {} {}",
        report.file,
        report.signatures.len(),
        if vi { "chữ ký" } else { "signature(s)" }
    );
    for (i, s) in report.signatures.iter().enumerate() {
        let verdict = match s.indication {
            Indication::TotalPassed => "TOTAL-PASSED",
            Indication::TotalFailed => "TOTAL-FAILED",
            Indication::Indeterminate => "INDETERMINATE",
        };
        let sub = s
            .sub_indication
            .map(|x| {
                format!(
                    " / {}",
                    serde_json::to_value(x)
                        .unwrap_or_default()
                        .as_str()
                        .unwrap_or("")
                )
            })
            .unwrap_or_default();
        println!("\n[{}] {} — {verdict}{sub}", i + 1, s.field);
        println!("    {}", s.message);
        if let Some(subject) = &s.signer_subject {
            println!("    {}: {subject}", if vi { "Người ký" } else { "Signer" });
        }
        if !s.chain.is_empty() {
            println!(
                "    {}: {}",
                if vi { "Chuỗi chứng thư" } else { "Chain" },
                s.chain.join(" → ")
            );
        }
        for status in &s.revocation {
            let line = match status {
                Status::Good { source, checked_at } => format!(
                    "{} ({source}, {})",
                    if vi {
                        "chưa bị thu hồi"
                    } else {
                        "not revoked"
                    },
                    checked_at.to_rfc3339()
                ),
                Status::Revoked { since, source } => format!(
                    "{} {} ({source})",
                    if vi {
                        "ĐÃ THU HỒI từ"
                    } else {
                        "REVOKED since"
                    },
                    since.to_rfc3339()
                ),
                Status::NotApplicable => (if vi {
                    "không cần kiểm tra thu hồi"
                } else {
                    "no revocation check applies"
                })
                .into(),
                Status::Unknown { reason } => format!(
                    "{}: {reason}",
                    if vi {
                        "không rõ trạng thái thu hồi"
                    } else {
                        "revocation unknown"
                    }
                ),
            };
            println!("    {}: {line}", if vi { "Thu hồi" } else { "Revocation" });
        }
        if let Some(t) = s.timestamp_time {
            println!(
                "    {}: {}",
                if vi {
                    "Dấu thời gian"
                } else {
                    "Time-stamp"
                },
                t.to_rfc3339()
            );
        }
        println!(
            "    {}: {}",
            if vi { "Phạm vi" } else { "Coverage" },
            match (s.covers_whole_document, vi) {
                (true, true) => "toàn bộ tài liệu",
                (true, false) => "the whole document",
                (false, true) => "một phiên bản trước của tài liệu (có cập nhật sau)",
                (false, false) => "an earlier revision (later updates follow)",
            }
        );
        for c in &s.changes {
            let label = if vi {
                "Thay đổi sau khi ký"
            } else {
                "Changed after signing"
            };
            println!("    {label}: {} — {}", level_name(c.level, vi), c.what);
        }
        for d in &s.details {
            println!("    · {d}");
        }
    }
}

fn level_name(level: kyso_verify::changes::Level, vi: bool) -> &'static str {
    use kyso_verify::changes::Level;
    match (level, vi) {
        (Level::LongTermValidation, true) => "dữ liệu kiểm tra dài hạn",
        (Level::LongTermValidation, false) => "long-term validation data",
        (Level::Signing, true) => "chữ ký tiếp theo",
        (Level::Signing, false) => "further signature",
        (Level::FormFilling, true) => "điền biểu mẫu",
        (Level::FormFilling, false) => "form filling",
        (Level::Annotations, true) => "chú thích",
        (Level::Annotations, false) => "annotation",
        (Level::Illegal, true) => "KHÔNG ĐƯỢC PHÉP",
        (Level::Illegal, false) => "NOT ALLOWED",
    }
}

/// Fetches OCSP (POST) and CRLs (GET) over plain HTTP — the scheme OCSP and CRL URLs use
/// (RFC 5280 §4.2.1.13, RFC 6960 App. A) — with a 5-second budget each.
struct HttpFetcher;

static HTTP_FETCHER: HttpFetcher = HttpFetcher;

impl HttpFetcher {
    fn exchange(url: &str, method: &str, ctype: Option<&str>, body: &[u8]) -> Option<Vec<u8>> {
        let rest = url.strip_prefix("http://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = if authority.contains(':') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        use std::net::ToSocketAddrs as _;
        let sock = addr.to_socket_addrs().ok()?.next()?;
        let mut s = std::net::TcpStream::connect_timeout(&sock, Duration::from_secs(5)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some(c) = ctype {
            req.push_str(&format!("Content-Type: {c}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).ok()?;
        s.write_all(body).ok()?;
        let mut resp = Vec::new();
        s.take(64 << 20).read_to_end(&mut resp).ok()?;
        let head_end = resp.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&resp[..head_end]).to_ascii_lowercase();
        if !head.starts_with("http/1.1 200") && !head.starts_with("http/1.0 200") {
            return None;
        }
        if head.contains("transfer-encoding: chunked") {
            return dechunk(&resp[head_end + 4..]);
        }
        Some(resp[head_end + 4..].to_vec())
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).ok()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

impl kyso_verify::Fetcher for HttpFetcher {
    fn ocsp(&self, url: &str, request: &[u8]) -> Option<Vec<u8>> {
        Self::exchange(url, "POST", Some("application/ocsp-request"), request)
    }
    fn crl(&self, url: &str) -> Option<Vec<u8>> {
        Self::exchange(url, "GET", None, &[])
    }
}

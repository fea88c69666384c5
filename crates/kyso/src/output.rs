//! How records are printed: one line of text per item, or JSON.

use kyso_store::CertificateRecord;
use serde_json::{Value, json};

pub fn cert_json(c: &CertificateRecord) -> Value {
    json!({
        "serial": c.serial,
        "profile": c.profile,
        "issuer": c.issuer,
        "subject": c.subject,
        "subject_id": c.subject_id,
        "status": c.status.as_str(),
        "status_reason": c.status_reason.map(|r| r.as_str()),
        "status_changed_at": c.status_changed_at.map(|t| t.to_rfc3339()),
        "not_before": c.not_before.to_rfc3339(),
        "not_after": c.not_after.to_rfc3339(),
        "credential_id": c.key_id,
        "crl_shard": c.crl_shard,
    })
}

pub fn cert_line(c: &CertificateRecord) -> String {
    let status = match (c.status_reason, c.status_changed_at) {
        (Some(r), Some(t)) => format!("{} ({r}, {t})", c.status),
        _ => c.status.to_string(),
    };
    format!(
        "{}  {:<8}  {:<28}  {}  until {}",
        c.serial, c.profile, status, c.subject, c.not_after
    )
}

pub fn print_json(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("JSON serialises")
    );
}

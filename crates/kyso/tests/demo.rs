//! `kyso demo` initialises an empty data directory, serves HTTP and prints what it started;
//! a second start reuses the data.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

fn http_get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Starts the demo on a free port; returns the child and its printed lines up to the prompt.
fn start(k: &Kyso) -> (std::process::Child, Vec<String>) {
    let mut child = k
        .command()
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    (child, lines)
}

#[test]
fn demo_serves_health_and_metrics() {
    let k = Kyso::sqlite();
    let (mut child, lines) = start(&k);
    let text = lines.join("\n");
    assert!(
        text.contains("initialised now with a demo province"),
        "{text}"
    );
    assert!(text.contains("Nguyễn Thị Lan"), "{text}");
    let health = lines
        .iter()
        .find(|l| l.trim_start().starts_with("health"))
        .expect("health URL printed");
    let url = health.split_whitespace().last().unwrap();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/healthz");
    let resp = http_get(addr, "/healthz");
    assert!(
        resp.starts_with("HTTP/1.0 200") || resp.starts_with("HTTP/1.1 200"),
        "{resp}"
    );
    assert!(resp.contains("\"status\":\"ok\""), "{resp}");
    assert!(http_get(addr, "/metrics").contains("kyso_http_requests_total"));

    // The demo certificates point at the running service: their OCSP URL answers.
    let serial = k
        .json(&["cert", "list"])
        .as_array()
        .unwrap()
        .iter()
        // One of kyso's own citizen-CA certificates (chain.pem); campaign certificates
        // come from the demo providers' CAs.
        .find(|c| c["profile"] == "citizen" && c["issuer"] == "citizen-ca")
        .map(|c| c["serial"].as_str().unwrap().to_owned())
        .unwrap();
    let leaf = k.write(
        "leaf.pem",
        k.ok(&["cert", "show", &serial, "--pem"]).as_bytes(),
    );
    let export = k.export();
    let uri = openssl(
        k.dir.path(),
        &["x509", "-noout", "-ocsp_uri", "-in", leaf.to_str().unwrap()],
    );
    assert_eq!(uri.trim(), format!("http://{addr}/ocsp"));
    let out = std::process::Command::new("openssl")
        .arg("ocsp")
        .arg("-issuer")
        .arg(export.join("chain.pem"))
        .arg("-cert")
        .arg(&leaf)
        .arg("-url")
        .arg(uri.trim())
        .arg("-CAfile")
        .arg(export.join("root.pem"))
        .output()
        .unwrap();
    let out = format!("{}{}", common::text(&out.stdout), common::text(&out.stderr));
    assert!(
        out.contains("Response verify OK") && out.contains(": good"),
        "{out}"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // Second start: same data, nothing re-initialised.
    let before = k.count();
    let (mut child, lines) = start(&k);
    assert!(!lines.join("\n").contains("initialised now"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(k.count(), before);
}

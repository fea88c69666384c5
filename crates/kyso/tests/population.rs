//! `kyso population generate` and `kyso population import`: a generated province imports
//! whole; a file with bad rows imports nothing and reports exactly those rows, on SQLite
//! and PostgreSQL.

mod common;
use common::*;

fn count(k: &Kyso, extra: &[&str]) -> u64 {
    let mut args = vec!["population", "count"];
    args.extend_from_slice(extra);
    k.json(&args)["people"].as_u64().unwrap()
}

fn generated_province_imports_whole(k: &Kyso, adults: usize) {
    let csv = k.path("hue.csv");
    let n = adults.to_string();
    k.ok(&[
        "population",
        "generate",
        "--province",
        "46",
        "--adults",
        &n,
        "--seed",
        "7",
        "--out",
        csv.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().count(),
        adults + 1,
        "header + one line per adult"
    );
    assert!(text.starts_with(
        "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code,village,address\n"
    ));
    let report = k.json(&["population", "import", csv.to_str().unwrap()]);
    assert_eq!(
        report["imported"]["people"].as_u64(),
        Some(adults as u64),
        "{report}"
    );
    let households = report["imported"]["households"].as_u64().unwrap();
    assert!(
        households > adults as u64 / 4 && households < adults as u64,
        "{households} households for {adults} adults"
    );
    assert_eq!(count(k, &[]), adults as u64);
    assert_eq!(count(k, &["--province", "46"]), adults as u64);
    assert_eq!(count(k, &["--province", "01"]), 0);

    // The same file again: every adult is already registered; nothing changes.
    let out = k.run(&["population", "import", csv.to_str().unwrap(), "--json"]);
    assert!(!out.status.success());
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rejected = again["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), adults, "{}", text_of(&out.stderr));
    assert!(rejected[0]["reason"].as_str().unwrap().contains("already"));
    assert_eq!(count(k, &[]), adults as u64);
}

fn text_of(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_generated_province_of_100000_adults_imports_on_sqlite() {
    generated_province_imports_whole(&Kyso::sqlite(), 100_000);
}

#[test]
fn a_generated_province_imports_on_postgres() {
    generated_province_imports_whole(&Kyso::postgres(), 20_000);
}

#[test]
fn five_bad_rows_import_nothing_and_are_each_reported() {
    for k in [Kyso::sqlite(), Kyso::postgres()] {
        let csv = k.path("good.csv");
        k.ok(&[
            "population",
            "generate",
            "--province",
            "46",
            "--adults",
            "200",
            "--seed",
            "11",
            "--out",
            csv.to_str().unwrap(),
        ]);
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let field = |line: &str, i: usize| line.split(',').nth(i).unwrap().to_owned();
        let set = |line: &str, i: usize, v: &str| {
            let mut f: Vec<String> = line.split(',').map(str::to_owned).collect();
            f[i] = v.to_owned();
            f.join(",")
        };
        // File lines are 1-based with the header as line 1: lines[i] is line i + 1.
        lines[10] = set(&lines[10], 0, "04619001234"); // 11 digits
        lines[20] = set(&lines[20], 6, "99999"); // no such commune
        let first_cccd = field(&lines[1], 0);
        lines[30] = set(&lines[30], 0, &first_cccd); // duplicate of line 2
        // Under 18: born last year, with a CCCD that agrees with that birth.
        let under = {
            let sex = field(&lines[40], 3);
            let digit = if sex == "Nữ" { "3" } else { "2" };
            let cccd = format!("046{digit}{}123456", &(2025u32 % 100).to_string());
            let l = set(&lines[40], 0, &cccd);
            set(&l, 2, "2025-06-01")
        };
        lines[40] = under;
        // Born in 1990 by the date, in 1985 by the CCCD.
        let mismatch = {
            let cccd = field(&lines[50], 0);
            let l = set(&lines[50], 2, "1990-05-05");
            let sex = field(&l, 3);
            let digit = if sex == "Nữ" { "1" } else { "0" };
            set(&l, 0, &format!("{}{digit}85{}", &cccd[..3], &cccd[6..]))
        };
        lines[50] = mismatch;
        let bad = k.write("bad.csv", (lines.join("\n") + "\n").as_bytes());
        let out = k.run(&["population", "import", bad.to_str().unwrap(), "--json"]);
        assert!(!out.status.success(), "a file with bad rows was accepted");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(report["imported"].is_null(), "{report}");
        let rejected = report["rejected"].as_array().unwrap();
        let got: Vec<u64> = rejected
            .iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect();
        assert_eq!(got, vec![11, 21, 31, 41, 51], "{report}");
        let reasons: Vec<&str> = rejected
            .iter()
            .map(|r| r["reason"].as_str().unwrap())
            .collect();
        assert!(reasons[0].contains("CCCD"), "{reasons:?}");
        assert!(reasons[1].contains("commune"), "{reasons:?}");
        assert!(reasons[2].contains("line 2"), "{reasons:?}");
        assert!(reasons[3].contains("18"), "{reasons:?}");
        assert!(reasons[4].contains("birth"), "{reasons:?}");
        assert_eq!(count(&k, &[]), 0, "nothing of a rejected file is kept");

        // The human form names each row too.
        let out = k.run(&["population", "import", bad.to_str().unwrap()]);
        assert!(!out.status.success());
        let text = format!("{}{}", text_of(&out.stdout), text_of(&out.stderr));
        for line in ["11", "21", "31", "41", "51"] {
            assert!(text.contains(&format!("line {line}")), "{text}");
        }

        // Malformed input: not CSV, wrong header, not UTF-8 — a clear error, nothing kept.
        let junk = k.write("junk.csv", b"\xff\xfe\x00binary");
        let err = k.fails(&["population", "import", junk.to_str().unwrap()]);
        assert!(!err.is_empty());
        assert_eq!(count(&k, &[]), 0);
    }
}

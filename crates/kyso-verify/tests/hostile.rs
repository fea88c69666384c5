//! The `pdf` fuzz corpus (`fuzz/corpus/pdf/`) on stable Rust, in every CI run: each hostile
//! seed ends in its expected error in bounded time, and truncations and byte changes of
//! every seed are read and validated without panicking. (Coverage-guided fuzzing runs with
//! `cargo +nightly fuzz run pdf`.)

use kyso_pdf::{Limits, ObjRef, Object, Pdf, PdfError};
use kyso_verify::{Lang, Options};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/pdf")
}

fn seed(name: &str) -> Vec<u8> {
    let p = corpus_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 12, "the pdf corpus is too small");
    out
}

fn offline() -> Options<'static> {
    Options {
        anchors: Vec::new(),
        fetcher: None,
        now: kyso_core::UnixTime(1_800_000_000),
        lang: Lang::En,
    }
}

/// Everything the fuzz target does, for one input.
fn exercise(data: &[u8]) {
    let limits = Limits {
        max_decoded_stream: 4 << 20,
        ..Limits::default()
    };
    if let Ok(pdf) = Pdf::open_with(data.to_vec(), limits) {
        let _ = pdf.pages();
        let _ = kyso_docs::fields::signature_fields(&pdf);
        let mut nums: Vec<u32> = pdf.xref().keys().copied().collect();
        nums.sort_unstable();
        for num in nums.into_iter().take(500) {
            if let Ok(Object::Stream(s)) = pdf.get(ObjRef::new(num)) {
                let _ = pdf.decode_stream(&s);
            }
        }
    }
    let report = kyso_verify::verify_pdf("x.pdf", data.to_vec(), &offline());
    assert!(!report.all_passed, "an untrusted signature passed");
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    // Generous: this is about "bounded", not speed (the machines are noisy).
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

#[test]
fn hostile_files_end_in_clear_errors() {
    let bomb = Pdf::open(seed("deflate-bomb.pdf")).unwrap();
    let Object::Stream(s) = bomb.get(ObjRef::new(6)).unwrap() else {
        panic!("object 6 is the bomb");
    };
    let err = timed("deflate bomb", || bomb.decode_stream(&s)).unwrap_err();
    assert!(matches!(err, PdfError::Limit(_)), "{err}");
    assert!(err.to_string().contains("deflate bomb"), "{err}");

    let loop_ = Pdf::open(seed("reference-loop.pdf")).unwrap();
    let err = timed("reference loop", || {
        loop_.resolve(&Object::Ref(ObjRef::new(6)))
    })
    .unwrap_err();
    assert!(matches!(err, PdfError::Limit(_)), "{err}");

    let deep = Pdf::open(seed("deep-nesting.pdf")).unwrap();
    let err = timed("deep nesting", || deep.get(ObjRef::new(6))).unwrap_err();
    assert!(matches!(err, PdfError::Limit(_)), "{err}");

    let tree = Pdf::open(seed("page-tree-loop.pdf")).unwrap();
    let err = timed("page tree loop", || tree.pages()).unwrap_err();
    assert!(err.to_string().contains("twice"), "{err}");

    let err = Pdf::open(seed("prev-loop.pdf")).unwrap_err();
    assert!(err.to_string().contains("/Prev loops"), "{err}");

    let past = Pdf::open(seed("length-past-end.pdf")).unwrap();
    let err = past.get(ObjRef::new(4)).unwrap_err();
    assert!(err.to_string().contains("past the end"), "{err}");

    // The well-formed seeds read fully.
    for name in [
        "classic.pdf",
        "xref-stream.pdf",
        "object-stream.pdf",
        "incremental.pdf",
    ] {
        let pdf = Pdf::open(seed(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let pages = pdf.pages().unwrap();
        assert_eq!(pages.len(), 1, "{name}");
        let page = pdf.get(pages[0]).unwrap();
        assert!(page.as_dict().unwrap().is_name("Type", "Page"), "{name}");
    }
}

#[test]
fn every_seed_and_its_mutations_are_handled_without_panic() {
    for (name, data) in seeds() {
        timed(&name, || exercise(&data));
        // Truncations at a spread of lengths, and byte changes at a spread of offsets
        // (the full cross product is the fuzzer's job).
        let step = (data.len() / 40).max(1);
        for n in (0..data.len()).step_by(step) {
            exercise(&data[..n]);
        }
        for i in (0..data.len()).step_by(step) {
            for b in [0x00u8, b'0', b'<', b'/', 0xff] {
                let mut v = data.clone();
                v[i] = b;
                exercise(&v);
            }
        }
    }
}

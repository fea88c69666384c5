//! Every file of the shared corpus (real-world signed PDFs, some adversarial) opens, and its
//! page tree and signature fields can be walked, or it fails with an error — never a panic.

use kyso_pdf::{FileSource, Object, Pdf};
use std::path::PathBuf;

/// The shared adversarial corpus: `$KYSO_CORPUS`, or `../shared/corpus` beside the
/// checkout, or `/work/shared/corpus` (where CI's clones live).
pub fn corpus_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("KYSO_CORPUS").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")),
        Some(PathBuf::from("/work/shared/corpus")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("pdf-dss").is_dir())
        .expect("the shared PDF corpus (../shared/corpus/pdf-dss) is missing: set KYSO_CORPUS")
}

fn corpus() -> Vec<PathBuf> {
    let dir = corpus_dir().join("pdf-dss");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    files
}

#[test]
fn corpus_files_open_and_walk() {
    let mut opened = 0;
    for path in corpus() {
        let pdf = match Pdf::open(FileSource::open(&path).unwrap()) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                continue;
            }
        };
        let pages = pdf.pages().unwrap();
        assert!(!pages.is_empty(), "{}", path.display());
        let catalog = pdf.catalog().unwrap();
        if let Some(form) = catalog.get("AcroForm") {
            let form = pdf.resolve_dict(form, "AcroForm").unwrap();
            let fields = pdf
                .resolve(form.get("Fields").unwrap_or(&Object::Null))
                .unwrap();
            assert!(fields.as_array().is_some(), "{}", path.display());
        }
        opened += 1;
    }
    assert!(opened >= 20, "only {opened} corpus files opened");
}

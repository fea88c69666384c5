//! The procedures citizens can file, kept as data.
//!
//! Each procedure is one JSON file in `data/procedures/`, named after its code
//! (`1.001193.json`). The files shipped with kyso are embedded at build time
//! ([`Catalogue::embedded`]); an operator can point [`Catalogue::from_dir`] at a directory
//! of their own and add a procedure without touching code.
//!
//! Loading is strict and all-or-nothing: unknown keys, a duplicate code, duplicate field
//! ids, an empty label, a pattern that does not compile, a select without options or an
//! attachment limit of 0 bytes refuses the whole catalogue, with an error that names the
//! file and the path of the field (`1.001193.json: sections[1].fields[3].pattern: …`).
//! A form is a legal document; a half-loaded catalogue would show citizens a form that
//! differs from the one its author wrote.
//!
//! # File format
//!
//! ```json
//! {
//!   "code": "1.001193",
//!   "name": { "vi": "Đăng ký khai sinh", "en": "Birth registration" },
//!   "agency": { "level": "commune", "name": { "vi": "…", "en": "…" } },
//!   "fee": { "vnd": 0, "source": "…" },
//!   "processing_working_days": 1,
//!   "result": { "vi": "Giấy khai sinh", "en": "Birth certificate" },
//!   "note": "optional remarks",
//!   "sections": [ { "id": "child", "title": { "vi": "…", "en": "…" }, "fields": [
//!     { "id": "child_full_name", "label": { "vi": "…", "en": "…" }, "type": "text",
//!       "required": true, "max_length": 64, "pattern": "[\\p{L} ]+",
//!       "help": { "vi": "…", "en": "…" } }
//!   ] } ],
//!   "attachments": [ { "id": "medical_birth_certificate", "label": { "vi": "…", "en": "…" },
//!     "required": true, "mime_types": ["application/pdf", "image/jpeg", "image/png"],
//!     "max_bytes": 5242880 } ]
//! }
//! ```
//!
//! Field `type`s and the keys each takes besides `id`, `label`, `required`, `help`:
//! `text` (`max_length`, required; `pattern`, matched against the whole normalised value),
//! `date` (`not_future`), `cccd`, `phone`, `select` (`options`: `[{value, label}]`),
//! `number` (`min`, `max`, both required). Any other key is an error.

mod procedure;
mod raw;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub use procedure::{
    AgencyLevel, AttachmentSpec, Fee, Field, FieldKind, FileType, Label, MAX_ATTACHMENT_BYTES,
    Pattern, Procedure, Section, SelectOption,
};

/// The shipped procedure files. A test checks this list against `data/procedures/`, so a
/// file added there without a line here (or the reverse) fails the build's tests.
const EMBEDDED_FILES: &[(&str, &str)] = &[
    (
        "1.000894.json",
        include_str!("../../../../data/procedures/1.000894.json"),
    ),
    (
        "1.001193.json",
        include_str!("../../../../data/procedures/1.001193.json"),
    ),
    (
        "1.004194.json",
        include_str!("../../../../data/procedures/1.004194.json"),
    ),
    (
        "1.004222.json",
        include_str!("../../../../data/procedures/1.004222.json"),
    ),
    (
        "local.gplx-doi.json",
        include_str!("../../../../data/procedures/local.gplx-doi.json"),
    ),
];

/// The names of the embedded files, for tests that compare them with the directory.
pub fn embedded_file_names() -> impl Iterator<Item = &'static str> {
    EMBEDDED_FILES.iter().map(|(name, _)| *name)
}

static EMBEDDED: LazyLock<Catalogue> = LazyLock::new(|| {
    // The embedded files are part of the source tree and loaded by this crate's tests, so a
    // failure here is a build defect, not bad input.
    Catalogue::from_sources(EMBEDDED_FILES.iter().copied())
        .unwrap_or_else(|e| panic!("embedded procedure catalogue is invalid: {e}"))
});

/// Largest procedure file read from a directory. The biggest shipped one is a few tens of
/// kilobytes; a megabyte is a wrong file, not a long form.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    /// A directory or file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// What was being read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not JSON of the procedure shape: a syntax error, a missing or unknown key
    /// (serde names it, with line and column), a value of the wrong JSON type.
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// serde's description.
        message: String,
    },
    /// A value breaks a catalogue rule.
    #[error("{file}: {field}: {why}")]
    Invalid {
        /// The file.
        file: String,
        /// Path of the value in the file, e.g. `sections[1].fields[3].pattern`.
        field: String,
        /// What is wrong.
        why: String,
    },
    /// Two files define the same procedure code.
    #[error("{file}: code: procedure {code} is already defined in {first}")]
    DuplicateCode {
        /// The second file.
        file: String,
        /// The code.
        code: String,
        /// The file that defined it first.
        first: String,
    },
    /// A file is larger than any procedure needs.
    #[error("{file}: {size} bytes; a procedure file is at most {MAX_FILE_BYTES}")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
    },
    /// The directory holds no `*.json` file: probably the wrong directory.
    #[error("{}: no procedure files (*.json)", dir.display())]
    NoProcedures {
        /// The directory.
        dir: PathBuf,
    },
}

/// A set of procedures, each checked, ordered by code.
#[derive(Debug, Clone)]
pub struct Catalogue {
    procedures: Vec<Procedure>,
    by_code: HashMap<String, usize>,
}

impl Catalogue {
    /// The procedures shipped with kyso, parsed on first use.
    pub fn embedded() -> &'static Catalogue {
        &EMBEDDED
    }

    /// Every `*.json` file of `dir` (other files are ignored; subdirectories are not
    /// searched), all or nothing.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Catalogue, CatalogueError> {
        let dir = dir.as_ref();
        let read_err = |path: &Path, source| CatalogueError::Read {
            path: path.to_owned(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| read_err(dir, e))? {
            let path = entry.map_err(|e| read_err(dir, e))?.path();
            if path.extension().is_some_and(|e| e == "json") && path.is_file() {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Err(CatalogueError::NoProcedures {
                dir: dir.to_owned(),
            });
        }
        // Sorted, so that which of two duplicates is "first" does not depend on the
        // file system's order.
        paths.sort();
        let mut sources = Vec::with_capacity(paths.len());
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let size = std::fs::metadata(&path)
                .map_err(|e| read_err(&path, e))?
                .len();
            if size > MAX_FILE_BYTES {
                return Err(CatalogueError::TooLarge { file: name, size });
            }
            let text = std::fs::read_to_string(&path).map_err(|e| read_err(&path, e))?;
            sources.push((name, text));
        }
        Catalogue::from_sources(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// Procedures from `(file name, JSON text)` pairs, all or nothing. Each file must be
    /// named `<code>.json`.
    pub fn from_sources<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Catalogue, CatalogueError> {
        let mut parsed: Vec<(&str, Procedure)> = Vec::new();
        for (file, json) in files {
            parsed.push((file, Procedure::from_json(file, json)?));
        }
        let mut first_file: HashMap<&str, &str> = HashMap::new();
        for (file, p) in &parsed {
            if let Some(first) = first_file.insert(p.code(), file) {
                return Err(CatalogueError::DuplicateCode {
                    file: (*file).to_owned(),
                    code: p.code().to_owned(),
                    first: first.to_owned(),
                });
            }
        }
        // Checked after duplicates, so that a copied file says "already defined" rather
        // than only "wrong name".
        for (file, p) in &parsed {
            let expected = format!("{}.json", p.code());
            if file.rsplit(['/', '\\']).next() != Some(expected.as_str()) {
                return Err(CatalogueError::Invalid {
                    file: (*file).to_owned(),
                    field: "code".to_owned(),
                    why: format!(
                        "procedure {} must be in a file named {expected}, so that the file an operator looks for is the one that defines it",
                        p.code()
                    ),
                });
            }
        }
        let mut procedures: Vec<Procedure> = parsed.into_iter().map(|(_, p)| p).collect();
        procedures.sort_by(|a, b| a.code().cmp(b.code()));
        let by_code = procedures
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code().to_owned(), i))
            .collect();
        Ok(Catalogue {
            procedures,
            by_code,
        })
    }

    /// The procedure with this code.
    pub fn get(&self, code: &str) -> Option<&Procedure> {
        self.by_code.get(code).map(|&i| &self.procedures[i])
    }

    /// Every procedure, ordered by code.
    pub fn list(&self) -> &[Procedure] {
        &self.procedures
    }
}

//! The Document Security Store (ETSI EN 319 142-1 §5.4.2): certificates, OCSP responses
//! and CRLs appended in an incremental update so that a signature can be validated later
//! without reaching the CA (PAdES B-LT).

use crate::DocError;
use kyso_pdf::{Dict, Object, Pdf, Source, Stream, StreamData, Update};

/// Builds the update that adds `certs`, `ocsps` and `crls` (DER) to the document's DSS,
/// keeping whatever an earlier DSS holds.
pub fn add_dss<S: Source>(
    pdf: &Pdf<S>,
    certs: &[Vec<u8>],
    ocsps: &[Vec<u8>],
    crls: &[Vec<u8>],
) -> Result<Vec<u8>, DocError> {
    let mut update = Update::new(pdf)?;
    let root_ref = pdf.root_ref()?;
    let mut catalog = pdf.catalog()?;
    let existing_ref = catalog.get("DSS").and_then(Object::as_ref);
    let mut dss = match catalog.get("DSS") {
        Some(d) => pdf.resolve_plain_dict(d, "/DSS")?,
        None => Dict::new().with("Type", Object::name("DSS")),
    };
    for (key, items) in [("Certs", certs), ("OCSPs", ocsps), ("CRLs", crls)] {
        if items.is_empty() {
            continue;
        }
        let mut refs = match dss.get(key) {
            Some(a) => match pdf.resolve(a)? {
                Object::Array(a) => a,
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        for der in items {
            let stream = Object::Stream(Stream {
                dict: Dict::new(),
                data: StreamData::Bytes(der.clone()),
            });
            refs.push(Object::Ref(update.add(stream)));
        }
        dss.set(key, Object::Array(refs));
    }
    match existing_ref {
        Some(r) => update.set(r, Object::Dict(dss)),
        None => {
            let dss_ref = update.add(Object::Dict(dss));
            catalog.set("DSS", Object::Ref(dss_ref));
            update.set(root_ref, Object::Dict(catalog));
        }
    }
    Ok(update.serialise(pdf)?.bytes)
}

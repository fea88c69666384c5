//! Any bytes given to kyso's PDF reader and validator: no panic, bounded work. Opens the
//! document, walks its page tree and signature fields, resolves and decodes every object
//! (up to a bound), and validates every signature offline.
#![no_main]

use kyso_pdf::{Limits, ObjRef, Object, Pdf};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
    let opts = kyso_verify::Options {
        anchors: Vec::new(),
        fetcher: None,
        now: kyso_core::UnixTime(1_800_000_000),
        lang: kyso_verify::Lang::En,
    };
    let report = kyso_verify::verify_pdf("fuzz.pdf", data.to_vec(), &opts);
    assert!(!report.all_passed, "an untrusted signature passed");
});

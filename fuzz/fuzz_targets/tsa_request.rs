//! Any bytes given to the time-stamp request parser: no panic; refusals carry the failure
//! information the TSA answers with; accepted imprints have their algorithm's length.
#![no_main]

use kyso_pki::tsp::parse_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_request(data) {
        Ok(req) => {
            assert!(req.message_imprint_der.len() <= data.len());
            assert!(req.hash.digest_len() >= 32);
        }
        Err(e) => {
            let _ = e.failure_info();
            let _ = e.to_string();
        }
    }
});

//! Timings on a million rows. Ignored by default; run in release:
//!
//! ```sh
//! cargo test -p kyso-population --release --test perf -- --ignored --nocapture
//! ```
//!
//! Set `KYSO_POPULATION_SAMPLE=path` to also keep the generated file.

use kyso_population::{Date, Units, generate, parse_csv_with_progress};
use std::time::Instant;

#[test]
#[ignore = "timing; run in release"]
fn a_million_adults() {
    let today = Date::new(2025, 7, 1).expect("date");
    let units = Units::embedded();
    let t = Instant::now();
    let mut bytes = Vec::with_capacity(80 << 20);
    let summary = generate("46", 1_000_000, 2025, today, &mut bytes).expect("generate");
    let gen_time = t.elapsed();
    println!(
        "generate: {} adults, {} households, {} communes, {:.1} MB in {:.2?}",
        summary.adults,
        summary.households,
        summary.communes_used,
        bytes.len() as f64 / 1e6,
        gen_time
    );
    if let Ok(path) = std::env::var("KYSO_POPULATION_SAMPLE") {
        std::fs::write(path, &bytes).expect("write sample");
    }

    let t = Instant::now();
    let mut ticks = 0;
    let adults = parse_csv_with_progress(bytes.as_slice(), units, today, |_| ticks += 1)
        .unwrap_or_else(|e| panic!("refused: {e}"));
    let parse_time = t.elapsed();
    println!(
        "parse: {} adults in {:.2?} ({ticks} progress calls)",
        adults.len(),
        parse_time
    );
    assert_eq!(adults.len(), 1_000_000);
    drop(adults);

    let t = Instant::now();
    let mut small = Vec::new();
    generate("46", 100_000, 2025, today, &mut small).expect("generate");
    println!("generate 100,000: {:.2?}", t.elapsed());
}

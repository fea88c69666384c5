//! A generated population is realistic and passes the importer's own checks.

use kyso_core::PersonName;
use kyso_population::{CommuneKind, Date, Sex, Units, generate, parse_csv};
use std::collections::{HashMap, HashSet};

fn today() -> Date {
    Date::new(2025, 7, 1).expect("date")
}

fn population(province: &str, adults: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let summary = generate(province, adults, seed, today(), &mut out).expect("generate");
    assert_eq!(summary.adults, adults);
    out
}

#[test]
fn ten_thousand_adults_of_hue_import_cleanly() {
    let bytes = population("46", 10_000, 42);
    let text = std::str::from_utf8(&bytes).expect("UTF-8");
    assert!(text.starts_with(
        "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code,village,address\n"
    ));
    let units = Units::embedded();
    let adults = match parse_csv(bytes.as_slice(), units, today()) {
        Ok(a) => a,
        Err(e) => panic!("generated file refused: {e}"),
    };
    assert_eq!(adults.len(), 10_000);

    // CCCDs unique and consistent with birth and sex (the importer checked; check again).
    let cccds: HashSet<_> = adults.iter().map(|a| a.cccd.as_str()).collect();
    assert_eq!(cccds.len(), 10_000);
    for a in &adults {
        assert_eq!(i32::from(a.cccd.birth_year()), a.birth_date.year());
        assert_eq!(a.cccd.is_female(), a.sex == Sex::Female);
        let age = a.birth_date.age_on(today());
        assert!((18..=95).contains(&age), "{age}");
        assert_eq!(a.province_code, "46");
        // Names are NFC already: parsing changes nothing.
        let again = PersonName::parse(a.full_name.as_str()).expect("name");
        assert_eq!(again, a.full_name);
        assert!(
            a.full_name.as_str().split(' ').count() >= 3,
            "{}",
            a.full_name
        );
        if let Some(p) = &a.phone {
            assert!(p.len() == 10 && p.starts_with('0'), "{p}");
        }
        let hh: Vec<&str> = a.household_id.split('-').collect();
        assert_eq!(hh, ["46", a.commune_code.as_str(), hh[2]]);
        assert_eq!(hh[2].len(), 6);
    }
    // Most were born in Huế itself.
    let local = adults
        .iter()
        .filter(|a| a.cccd.province_code() == "046")
        .count();
    assert!((8_500..9_500).contains(&local), "{local}");

    // Households: 1–4 adults, one commune each, mean about 2.3.
    let mut households: HashMap<&str, Vec<&str>> = HashMap::new();
    for a in &adults {
        households
            .entry(a.household_id.as_str())
            .or_default()
            .push(a.commune_code.as_str());
    }
    for (id, communes) in &households {
        assert!(
            (1..=4).contains(&communes.len()),
            "{id}: {}",
            communes.len()
        );
        assert!(communes.iter().all(|c| *c == communes[0]));
    }
    let mean = 10_000.0 / households.len() as f64;
    assert!((2.1..2.5).contains(&mean), "{mean}");

    // Communes: more than 90% of Huế's 40 get people.
    let used: HashSet<_> = adults.iter().map(|a| a.commune_code.as_str()).collect();
    assert!(
        used.len() * 10 > units.communes_of("46").len() * 9,
        "{}",
        used.len()
    );

    // Surnames: Nguyễn near its national share; Thị and Văn common but not universal.
    let share = |f: &dyn Fn(&str) -> bool| {
        adults.iter().filter(|a| f(a.full_name.as_str())).count() as f64 / 10_000.0
    };
    let nguyen = share(&|n| n.starts_with("Nguyễn "));
    assert!((0.30..0.46).contains(&nguyen), "Nguyễn {nguyen}");
    assert!(share(&|n| n.starts_with("Trần ")) > 0.07);
    let thi = share(&|n| n.split(' ').nth(1) == Some("Thị"));
    assert!((0.10..0.35).contains(&thi), "Thị {thi}");

    // Sexes roughly balanced; ages spread over the whole range.
    let women = adults.iter().filter(|a| a.sex == Sex::Female).count();
    assert!((4_600..5_600).contains(&women), "{women}");
    let old = adults
        .iter()
        .filter(|a| a.birth_date.age_on(today()) >= 80)
        .count();
    let young = adults
        .iter()
        .filter(|a| a.birth_date.age_on(today()) < 30)
        .count();
    assert!(old > 100 && young > 1_000, "old {old}, young {young}");
}

#[test]
fn every_household_lives_in_a_village_at_one_address() {
    let units = Units::embedded();
    let bytes = population("46", 20_000, 5);
    let adults = parse_csv(bytes.as_slice(), units, today()).expect("parse");
    // Household → (commune, village, address), the same for all its adults.
    let mut households: HashMap<&str, (&str, &str, &str)> = HashMap::new();
    for a in &adults {
        let village = a.village.as_deref().expect("every adult has a village");
        let address = a.address.as_deref().expect("every adult has an address");
        let place = (a.commune_code.as_str(), village, address);
        let first = households.entry(a.household_id.as_str()).or_insert(place);
        assert_eq!(*first, place, "{}", a.household_id);

        let commune = units.commune(&a.commune_code).expect("commune");
        let prefix = match commune.kind {
            CommuneKind::Ward => "Tổ dân phố ",
            CommuneKind::SpecialZone => "Khu ",
            _ => "Thôn ",
        };
        let n = village.strip_prefix(prefix).expect(village);
        assert!(n.parse::<u32>().is_ok_and(|n| n >= 1), "{village}");
        let rest = address.strip_prefix("Số ").expect(address);
        let (number, lane) = rest.split_once(" Ngõ ").unwrap_or((rest, "1"));
        assert!(
            number.parse::<u32>().is_ok() && lane.parse::<u32>().is_ok(),
            "{address}"
        );
        if commune.kind != CommuneKind::Ward {
            assert!(!address.contains("Ngõ"), "{address}");
        }
    }
    // Villages hold roughly 150–400 households each (wider here: households are drawn at
    // random, and a commune's last village may be small).
    let mut villages: HashMap<(&str, &str), usize> = HashMap::new();
    let mut per_commune: HashMap<&str, HashSet<&str>> = HashMap::new();
    for &(commune, village, _) in households.values() {
        *villages.entry((commune, village)).or_default() += 1;
        per_commune.entry(commune).or_default().insert(village);
    }
    let mean = households.len() as f64 / villages.len() as f64;
    assert!(
        (100.0..450.0).contains(&mean),
        "{mean} households per village"
    );
    assert!(per_commune.values().any(|v| v.len() > 1));
    // Addresses are (nearly) unique within a village: numbers only grow.
    let addresses: HashSet<_> = households.values().collect();
    assert_eq!(addresses.len(), households.len());
}

#[test]
fn rows_have_nine_plain_fields() {
    // Nothing the generator writes needs quoting: a naive split reads it.
    let a = population("46", 300, 9);
    let text = std::str::from_utf8(&a).expect("UTF-8");
    for line in text.lines().skip(1) {
        assert_eq!(line.split(',').count(), 9, "{line}");
        assert!(!line.contains('"'), "{line}");
    }
}

#[test]
fn same_seed_same_bytes() {
    let a = population("46", 2_000, 7);
    let b = population("46", 2_000, 7);
    let c = population("46", 2_000, 8);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn merged_provinces_use_their_former_codes() {
    // Đà Nẵng (48) absorbed Quảng Nam (49): CCCDs of its people start with both.
    let bytes = population("48", 3_000, 1);
    let adults = parse_csv(bytes.as_slice(), Units::embedded(), today()).expect("parse");
    let count = |code: &str| {
        adults
            .iter()
            .filter(|a| a.cccd.province_code() == code)
            .count()
    };
    assert!(
        count("048") > 200 && count("049") > 1_000,
        "{} {}",
        count("048"),
        count("049")
    );
}

#[test]
fn refuses_unknown_province_and_exact_small_counts() {
    assert!(generate("47", 10, 1, today(), Vec::new()).is_err());
    for n in [0, 1, 2, 3, 5] {
        let bytes = population("01", n, 3);
        let adults = parse_csv(bytes.as_slice(), Units::embedded(), today()).expect("parse");
        assert_eq!(adults.len(), n);
    }
}

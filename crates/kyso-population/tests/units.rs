//! The embedded 2025 administrative units.

use kyso_population::{CommuneKind, Units};
use std::collections::HashSet;

#[test]
fn counts_match_the_reform() {
    let u = Units::embedded();
    assert_eq!(u.provinces().len(), 34);
    assert_eq!(u.communes().len(), 3_321);
    let count = |k| u.communes().iter().filter(|c| c.kind == k).count();
    assert_eq!(count(CommuneKind::Ward), 687);
    assert_eq!(count(CommuneKind::Commune), 2_621);
    assert_eq!(count(CommuneKind::SpecialZone), 13);
    assert_eq!(u.legacy_provinces().len(), 63);
    let per_province: usize = u
        .provinces()
        .iter()
        .map(|p| u.communes_of(&p.code).len())
        .sum();
    assert_eq!(per_province, 3_321);
}

#[test]
fn hue_is_46_with_its_40_communes() {
    let u = Units::embedded();
    let hue = u.province("46").expect("province 46");
    assert_eq!(hue.name, "Thành phố Huế");
    assert!((16.0..17.0).contains(&hue.lat) && (107.0..108.5).contains(&hue.lon));
    let communes = u.communes_of("46");
    assert_eq!(communes.len(), 40);
    assert!(communes.iter().all(|c| c.province_code == "46"));
    assert!(communes.iter().all(|c| c.legacy_province_code == "46"));
    assert!(communes.iter().any(|c| c.name == "Phường Thuận Hóa"));
    let first = &communes[0];
    assert_eq!(u.commune(&first.code), Some(first));
    assert!(u.communes_of("47").is_empty());
    assert!(u.province("47").is_none());
}

#[test]
fn codes_are_unique_and_well_formed() {
    let u = Units::embedded();
    let mut seen = HashSet::new();
    for c in u.communes() {
        assert_eq!(c.code.len(), 5, "{}", c.code);
        assert!(c.code.bytes().all(|b| b.is_ascii_digit()));
        assert!(seen.insert(c.code.as_str()), "duplicate {}", c.code);
        assert!(c.name.starts_with(c.kind.as_vi()), "{}", c.name);
        assert!(u.province(&c.province_code).is_some());
        assert!(u.legacy_province(&c.legacy_province_code).is_some());
        assert!(
            (8.0..24.0).contains(&c.lat) && (102.0..118.0).contains(&c.lon),
            "{c:?}"
        );
    }
    let provinces: HashSet<_> = u.provinces().iter().map(|p| p.code.as_str()).collect();
    assert_eq!(provinces.len(), 34);
    assert_eq!(
        u.communes().iter().filter(|c| c.area_km2.is_none()).count(),
        2
    );
}

#[test]
fn merged_provinces_keep_their_old_codes() {
    let u = Units::embedded();
    let into = |old: &str| u.legacy_province(old).map(|l| l.province_code.clone());
    assert_eq!(into("49").as_deref(), Some("48")); // Quảng Nam → Đà Nẵng
    assert_eq!(into("74").as_deref(), Some("79")); // Bình Dương → TP Hồ Chí Minh
    assert_eq!(into("46").as_deref(), Some("46"));
    // Every 2025 province absorbed at least its own code or one that merged into it.
    for p in u.provinces() {
        assert!(
            u.legacy_provinces()
                .iter()
                .any(|l| l.province_code == p.code)
        );
    }
}

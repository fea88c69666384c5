//! A synthetic adult population for one province, written as a population CSV file.
//!
//! Campaign rehearsals, load tests and demos need a register that looks like the real one
//! (names, ages, households, CCCD numbers whose digits agree with the birth date, every
//! commune populated) without touching anyone's personal data. The output is a pure
//! function of (province, number of adults, seed, today): the same arguments give the same
//! bytes, on any machine, so a failing load test can be replayed.
//!
//! The model, deliberately simple:
//!
//! * households of 1–4 adults (mean ≈ 2.3): a single adult; a couple; a parent and grown-up
//!   child; a couple with one or two grown-up children or with an elderly parent;
//! * each household lives in one commune, drawn with weights that favour urban wards and
//!   vary randomly from commune to commune (the 2025 communes were drawn to comparable
//!   populations, so area would be a poor proxy);
//! * each commune is divided into villages of roughly 150–400 households (at least one),
//!   as many as its expected share of households calls for: `Tổ dân phố N` in wards,
//!   `Thôn N` in rural communes, `Khu N` in special zones. A household lives in one of its
//!   commune's villages, at a house number (`Số N`, in wards sometimes down a lane:
//!   `Số N Ngõ M`) that grows as the village fills; all its adults share both;
//! * ages 18–95 following the shape of Vietnam's population pyramid; spouses are a few
//!   years apart, children 20–40 years younger than their parents;
//! * children take their father's surname; a wife keeps her own, as in Vietnam;
//! * 88% of CCCD numbers carry the pre-2025 province code of the commune the person lives
//!   in, the rest one of the 63 codes at random (people born elsewhere);
//! * most have a mobile number, the very old less often.

use crate::cccd::century_sex_digit;
use crate::date::Date;
use crate::names::Names;
use crate::rng::{Rng, Weighted};
use crate::rows::{HEADER_WITH_ADDRESS, Sex};
use crate::units::{Commune, CommuneKind, Units};
use std::collections::HashSet;
use std::io::{self, BufWriter, Write};

/// Upper bound on one run: keeps memory (a set of CCCDs) and the household-number space of
/// a commune (six digits) safe.
pub const MAX_ADULTS: usize = 20_000_000;

/// Households per village: each commune draws its own size in this range.
const VILLAGE_HOUSEHOLDS: (u64, u64) = (150, 400);

/// Youngest and oldest generated ages.
const MIN_AGE: i32 = 18;
const MAX_AGE: i32 = 95;

/// Relative number of people of each age 18–95, by five-year band (approximately the shape
/// of the 2019 census pyramid, in hundred-thousands per band).
const AGE_BANDS: &[(i32, u64)] = &[
    (18, 72),
    (20, 67),
    (25, 70),
    (30, 80),
    (35, 79),
    (40, 73),
    (45, 68),
    (50, 61),
    (55, 55),
    (60, 47),
    (65, 38),
    (70, 26),
    (75, 15),
    (80, 10),
    (85, 6),
    (90, 3),
];

/// Mobile prefixes by network with rough market shares (per mille, shared equally by the
/// prefixes of a network): Viettel, VinaPhone, MobiFone, Vietnamobile, Gmobile.
const PHONE_NETWORKS: &[(u64, &[&str])] = &[
    (
        540,
        &[
            "086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039",
        ],
    ),
    (
        230,
        &["088", "091", "094", "081", "082", "083", "084", "085"],
    ),
    (
        200,
        &["089", "090", "093", "070", "076", "077", "078", "079"],
    ),
    (20, &["092", "056", "058"]),
    (10, &["099", "059"]),
];

/// Why a population could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// No 2025 province has this code.
    #[error("no province has code {0:?} (expected one of the 34 two-digit 2025 codes)")]
    UnknownProvince(String),
    /// More adults than one run supports.
    #[error("{requested} adults requested; at most {max} per run")]
    TooManyAdults {
        /// Asked for.
        requested: usize,
        /// The limit.
        max: usize,
    },
    /// A commune ran out of six-digit household numbers.
    #[error("commune {0} would have more than 999,999 households")]
    CommuneFull(String),
    /// Writing the output failed.
    #[error("writing the population failed: {0}")]
    Io(#[from] io::Error),
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Two-digit province code.
    pub province_code: String,
    /// Rows written.
    pub adults: usize,
    /// Households formed.
    pub households: usize,
    /// Communes with at least one household.
    pub communes_used: usize,
    /// Adults who are women.
    pub women: usize,
    /// Adults whose CCCD carries a code other than their commune's own pre-2025 province.
    pub born_elsewhere: usize,
}

/// Writes `adults` synthetic adults living in province `province_code` (2025 code, e.g.
/// `46`) as a population CSV (see [`crate::rows`] for the format) to `out`.
///
/// `today` fixes ages, so that a given seed gives the same file on any day.
pub fn generate<W: Write>(
    province_code: &str,
    adults: usize,
    seed: u64,
    today: Date,
    out: W,
) -> Result<Summary, GenError> {
    if adults > MAX_ADULTS {
        return Err(GenError::TooManyAdults {
            requested: adults,
            max: MAX_ADULTS,
        });
    }
    let units = Units::embedded();
    let communes = units.communes_of(province_code);
    if communes.is_empty() {
        return Err(GenError::UnknownProvince(province_code.to_owned()));
    }
    let mut rng = Rng::new(seed);
    // Villages and house numbers draw from their own stream, forked from the communes' one:
    // every other column is what it was before villages were written.
    let mut commune_rng = rng.fork(1);
    let weights = commune_weights(communes, &mut commune_rng);
    let villages = village_counts(&weights, adults, &mut commune_rng);
    let mut g = Generator {
        commune_weights: Weighted::new(weights.iter().copied()),
        next_house: villages.iter().map(|&n| vec![0; n as usize]).collect(),
        villages,
        place_rng: commune_rng.fork(2),
        communes,
        origins: communes
            .iter()
            .map(|c| code_value(&c.legacy_province_code))
            .collect(),
        legacy: units
            .legacy_provinces()
            .iter()
            .map(|l| code_value(&l.code))
            .collect(),
        names: Names::new(),
        ages: Weighted::new((MIN_AGE..=MAX_AGE).map(age_weight)),
        networks: Weighted::new(PHONE_NETWORKS.iter().map(|&(w, _)| w)),
        today,
        rng,
        next_household: vec![0; communes.len()],
        cccds: HashSet::with_capacity(adults),
        members: Vec::with_capacity(4),
        line: String::with_capacity(128),
        summary: Summary {
            province_code: province_code.to_owned(),
            adults: 0,
            households: 0,
            communes_used: 0,
            women: 0,
            born_elsewhere: 0,
        },
    };

    let mut out = BufWriter::with_capacity(1 << 16, out);
    out.write_all(HEADER_WITH_ADDRESS.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    while g.summary.adults < adults {
        g.household(adults - g.summary.adults, &mut out)?;
    }
    out.flush()?;
    g.summary.communes_used = g.next_household.iter().filter(|&&n| n > 0).count();
    Ok(g.summary)
}

fn age_weight(age: i32) -> u64 {
    AGE_BANDS
        .iter()
        .rev()
        .find(|&&(from, _)| age >= from)
        .map_or(0, |&(_, w)| w)
}

/// Urban wards are denser than rural communes, island special zones sparser; on top of
/// that each commune gets a random factor (0.6–1.4) so that the seed, not the code order,
/// decides which communes are large.
fn commune_weights(communes: &[Commune], rng: &mut Rng) -> Vec<u64> {
    communes
        .iter()
        .map(|c| {
            let kind = match c.kind {
                CommuneKind::Ward => 150,
                CommuneKind::SpecialZone => 40,
                _ => 100,
            };
            kind * (60 + rng.below(81))
        })
        .collect()
}

/// How many villages each commune has: its expected number of households (from its weight
/// and the mean household of 2.3 adults) over a village size drawn per commune in
/// [`VILLAGE_HOUSEHOLDS`], rounded, at least one.
fn village_counts(weights: &[u64], adults: usize, rng: &mut Rng) -> Vec<u32> {
    let total: u64 = weights.iter().sum::<u64>().max(1);
    let households = adults as u64 * 10 / 23;
    weights
        .iter()
        .map(|&w| {
            let (lo, hi) = VILLAGE_HOUSEHOLDS;
            let size = lo + rng.below(hi - lo + 1);
            // At most 20,000,000 adults × weight ≤ 21,000: no overflow.
            let expected = households * w / total;
            ((expected + size / 2) / size).clamp(1, u64::from(u32::MAX)) as u32
        })
        .collect()
}

/// The name of village `n` (from 1) of a commune of this kind.
fn village_name(kind: CommuneKind, n: u32) -> String {
    match kind {
        CommuneKind::Ward => format!("Tổ dân phố {n}"),
        CommuneKind::SpecialZone => format!("Khu {n}"),
        _ => format!("Thôn {n}"),
    }
}

/// One adult of a household being formed.
#[derive(Debug, Clone, Copy)]
struct Member {
    sex: Sex,
    age: i32,
    surname: &'static str,
}

struct Generator<'u> {
    communes: &'u [Commune],
    commune_weights: Weighted,
    /// Each commune's pre-2025 province code, as a number.
    origins: Vec<u64>,
    /// All 63 pre-2025 province codes, as numbers.
    legacy: Vec<u64>,
    names: Names,
    ages: Weighted,
    networks: Weighted,
    today: Date,
    rng: Rng,
    /// Draws villages and house numbers, apart from `rng`.
    place_rng: Rng,
    /// Villages of each commune.
    villages: Vec<u32>,
    /// Last house number given in each village of each commune.
    next_house: Vec<Vec<u32>>,
    /// Households numbered so far in each commune.
    next_household: Vec<u32>,
    cccds: HashSet<u64>,
    members: Vec<Member>,
    line: String,
    summary: Summary,
}

impl Generator<'_> {
    /// An age in `lo..=hi`, distributed like the population.
    fn age(&mut self, lo: i32, hi: i32) -> i32 {
        let (lo, hi) = (lo.clamp(MIN_AGE, MAX_AGE), hi.clamp(MIN_AGE, MAX_AGE));
        let i = self.ages.sample_in(
            &mut self.rng,
            (lo - MIN_AGE) as usize,
            (hi.max(lo) - MIN_AGE) as usize,
        );
        MIN_AGE + i as i32
    }

    fn uniform_age(&mut self, lo: i32, hi: i32) -> i32 {
        let (lo, hi) = (lo.clamp(MIN_AGE, MAX_AGE), hi.clamp(MIN_AGE, MAX_AGE));
        self.rng.between(i64::from(lo), i64::from(hi.max(lo))) as i32
    }

    fn sex(&mut self, female_per_mille: u64) -> Sex {
        if self.rng.chance(female_per_mille) {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    fn push(&mut self, sex: Sex, age: i32, surname: &'static str) {
        self.members.push(Member { sex, age, surname });
    }

    /// A married couple; the husband's age drawn in `lo..=hi`, the wife a little younger,
    /// and at least `wife_min`. Returns the husband's surname and the younger age.
    fn couple(&mut self, lo: i32, hi: i32, wife_min: i32) -> (&'static str, i32, i32) {
        let husband = self.age(lo, hi);
        let gap = self.rng.between(-2, 6) as i32;
        let wife = (husband - gap).clamp(wife_min.max(MIN_AGE), MAX_AGE);
        let (hs, ws) = (
            self.names.surname(&mut self.rng),
            self.names.surname(&mut self.rng),
        );
        self.push(Sex::Male, husband, hs);
        self.push(Sex::Female, wife, ws);
        (hs, husband, wife)
    }

    /// A grown-up child of a parent aged `parent_age` (at least 38), 20–40 years younger.
    fn child(&mut self, parent_age: i32, surname: &'static str) {
        let age = self.uniform_age((parent_age - 40).max(MIN_AGE), parent_age - 20);
        let sex = self.sex(490);
        self.push(sex, age, surname);
    }

    /// An elderly parent of the husband aged `age`; more often a widowed mother.
    fn elder(&mut self, age: i32, son_surname: &'static str) {
        let elder_age = self.uniform_age(age + 20, (age + 40).min(MAX_AGE));
        let sex = self.sex(650);
        let surname = match sex {
            Sex::Male => son_surname,
            Sex::Female => self.names.surname(&mut self.rng),
        };
        self.push(sex, elder_age, surname);
    }

    /// Chooses who lives together: `max` caps the size so the total comes out exact.
    fn compose(&mut self, max: usize) {
        self.members.clear();
        // P(size) = 22%, 38%, 28%, 12%: mean 2.30 adults.
        let size = match self.rng.below(100) {
            0..22 => 1,
            22..60 => 2,
            60..88 => 3,
            _ => 4,
        }
        .min(max);
        let shape = self.rng.below(1000);
        match size {
            1 => {
                // Young adults living alone or as a young couple make up for those counted
                // as grown-up children elsewhere, keeping the overall pyramid's shape.
                let hi = if self.rng.chance(500) { 39 } else { MAX_AGE };
                let age = self.age(MIN_AGE, hi);
                // Among the old, those living alone are mostly widows.
                let sex = self.sex(if age >= 65 { 650 } else { 450 });
                let surname = self.names.surname(&mut self.rng);
                self.push(sex, age, surname);
            }
            2 if shape < 700 => {
                let hi = if self.rng.chance(500) { 42 } else { MAX_AGE };
                self.couple(20, hi, MIN_AGE);
            }
            2 => {
                let age = self.age(40, MAX_AGE);
                let sex = self.sex(600);
                let surname = self.names.surname(&mut self.rng);
                self.push(sex, age, surname);
                let child_surname = match sex {
                    Sex::Male => surname,
                    Sex::Female => self.names.surname(&mut self.rng),
                };
                self.child(age, child_surname);
            }
            3 if shape < 700 => {
                let (s, _, wife) = self.couple(40, MAX_AGE, 38);
                self.child(wife, s);
            }
            3 => {
                let (s, husband, _) = self.couple(25, 70, MIN_AGE);
                self.elder(husband, s);
            }
            _ if shape < 600 => {
                let (s, _, wife) = self.couple(40, MAX_AGE, 38);
                self.child(wife, s);
                self.child(wife, s);
            }
            _ => {
                let (s, husband, wife) = self.couple(40, 70, 38);
                self.child(wife, s);
                self.elder(husband, s);
            }
        }
    }

    /// Forms one household of at most `max` adults and writes its rows.
    fn household(&mut self, max: usize, out: &mut impl Write) -> Result<(), GenError> {
        self.compose(max);
        let ci = self.commune_weights.sample(&mut self.rng);
        self.next_household[ci] += 1;
        let seq = self.next_household[ci];
        if seq > 999_999 {
            return Err(GenError::CommuneFull(self.communes[ci].code.clone()));
        }
        let commune = &self.communes[ci];
        // Where the household lives inside the commune: a village, and a house number
        // there that grows by one or two with each household.
        let village = self.place_rng.below(u64::from(self.villages[ci])) as usize;
        let house = &mut self.next_house[ci][village];
        *house += 1 + self.place_rng.below(2) as u32;
        let number = *house;
        let lane = (commune.kind == CommuneKind::Ward && self.place_rng.chance(350))
            .then(|| 1 + self.place_rng.below(40));
        // The columns every adult of the household shares, from `household_id` on. No field
        // holds a comma or a quote, so none needs quoting.
        let mut shared = format!(
            ",{}-{}-{seq:06},{},{},Số {number}",
            commune.province_code,
            commune.code,
            commune.code,
            village_name(commune.kind, village as u32 + 1),
        );
        if let Some(lane) = lane {
            use std::fmt::Write as _;
            let _ = write!(shared, " Ngõ {lane}");
        }
        shared.push('\n');
        self.summary.households += 1;
        for i in 0..self.members.len() {
            let m = self.members[i];
            self.adult(m, ci, &shared);
            out.write_all(self.line.as_bytes())?;
        }
        Ok(())
    }

    /// Fills `self.line` with one CSV row; `shared` is the household's columns, from
    /// `household_id` to the end of the line.
    fn adult(&mut self, m: Member, ci: usize, shared: &str) {
        use std::fmt::Write as _;
        // A birth date at which the person is exactly `m.age` today.
        let latest = self.today.years_before(m.age).to_days();
        let earliest = self.today.years_before(m.age + 1).to_days() + 1;
        let birth = Date::from_days(self.rng.between(earliest, latest));
        let cccd = self.cccd(birth.year(), m.sex, ci);

        self.line.clear();
        let _ = write!(self.line, "{cccd:012},{}", m.surname);
        self.names
            .push_middle_and_given(&mut self.rng, m.sex, birth.year(), &mut self.line);
        let _ = write!(self.line, ",{birth},{},", m.sex.as_vi());
        let phone_odds = match m.age {
            ..60 => 960,
            60..75 => 850,
            _ => 550,
        };
        if self.rng.chance(phone_odds) {
            let network = PHONE_NETWORKS[self.networks.sample(&mut self.rng)].1;
            let prefix = network[self.rng.below(network.len() as u64) as usize];
            let _ = write!(self.line, "{prefix}{:07}", self.rng.below(10_000_000));
        }
        self.line.push_str(shared);

        self.summary.adults += 1;
        if m.sex == Sex::Female {
            self.summary.women += 1;
        }
    }

    /// A CCCD number (as its 12-digit value) not yet used in this run, for someone living
    /// in commune `ci`.
    fn cccd(&mut self, birth_year: i32, sex: Sex, ci: usize) -> u64 {
        let home = self.origins[ci];
        let mut origin = if self.rng.chance(880) {
            home
        } else {
            self.legacy[self.rng.below(self.legacy.len() as u64) as usize]
        };
        // Birth years here are 1929–2007 (ages 18–95), always inside the scheme.
        let digit = u64::from(century_sex_digit(birth_year, sex).unwrap_or(0));
        let yy = birth_year.rem_euclid(100) as u64;
        let mut tries = 0u32;
        loop {
            let prefix = ((origin * 10 + digit) * 100 + yy) * 1_000_000;
            let n = prefix + self.rng.below(1_000_000);
            if self.cccds.insert(n) {
                if origin != home {
                    self.summary.born_elsewhere += 1;
                }
                return n;
            }
            // A million numbers per (province, century, sex, year): only a huge run could
            // crowd one; then move to another province's numbers rather than spin.
            tries += 1;
            if tries.is_multiple_of(64) {
                origin = self.legacy[self.rng.below(self.legacy.len() as u64) as usize];
            }
        }
    }
}

/// A two-digit code as a number; codes are checked to be digits when the tables load.
fn code_value(code: &str) -> u64 {
    code.bytes()
        .fold(0, |acc, b| acc * 10 + u64::from(b.wrapping_sub(b'0') % 10))
}

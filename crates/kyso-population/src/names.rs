//! Vietnamese personal names for synthetic citizens: family – middle – given.
//!
//! Realistic names matter for rehearsals: search, sorting, certificate subjects and
//! on-screen layouts all meet the real spread of surnames (four in ten people are Nguyễn),
//! the sex-marked middle names (Thị, Văn) and their decline among younger people, and
//! diacritics on nearly every syllable. Every literal here is NFC with modern tone-mark
//! placement (Hòa, Thủy, Quý), as the national population database writes them.

use crate::rng::{Rng, Weighted};
use crate::rows::Sex;

/// Surnames with approximate shares in per ten thousand of the population. The first
/// fourteen follow published estimates (Nguyễn ~38%, Trần ~11%, Lê ~9.5%, Phạm ~7%,
/// Hoàng/Huỳnh ~5%, …); the long tail shares what is left.
const SURNAMES: &[(&str, u64)] = &[
    ("Nguyễn", 3800),
    ("Trần", 1100),
    ("Lê", 950),
    ("Phạm", 700),
    ("Hoàng", 260),
    ("Huỳnh", 250),
    ("Phan", 450),
    ("Vũ", 200),
    ("Võ", 190),
    ("Đặng", 210),
    ("Bùi", 200),
    ("Đỗ", 140),
    ("Hồ", 130),
    ("Ngô", 130),
    ("Dương", 100),
    ("Lý", 50),
    ("Đinh", 60),
    ("Đoàn", 60),
    ("Trương", 60),
    ("Trịnh", 50),
    ("Lâm", 40),
    ("Mai", 40),
    ("Lương", 40),
    ("Cao", 35),
    ("Hà", 35),
    ("Đào", 35),
    ("Tôn", 30),
    ("Thái", 30),
    ("Lưu", 30),
    ("Châu", 25),
    ("Tạ", 25),
    ("Tô", 25),
    ("Chu", 20),
    ("Phùng", 20),
    ("Văn", 20),
    ("Kiều", 15),
    ("La", 15),
    ("Quách", 15),
    ("Triệu", 15),
    ("Nông", 15),
    ("Vương", 15),
    ("Hứa", 15),
    ("Lại", 15),
    ("Thân", 10),
    ("Mạc", 10),
    ("Từ", 10),
    ("Khúc", 10),
    ("Doãn", 10),
    ("Nghiêm", 10),
    ("Giang", 10),
    ("Ông", 10),
    ("Tăng", 10),
    ("Lã", 5),
    ("Âu", 5),
    ("Khổng", 5),
    ("Tiêu", 5),
];

/// Middle names for women other than Thị, most frequent first.
const MIDDLE_FEMALE: &[&str] = &[
    "Ngọc", "Thu", "Thanh", "Kim", "Bảo", "Minh", "Phương", "Thùy", "Mỹ", "Hồng", "Diệu", "Quỳnh",
    "Khánh", "Hoài", "Như", "Tuyết", "Ánh", "Hải", "Cẩm", "Xuân", "Bích", "Thúy", "Lan", "Gia",
    "Tường", "Uyên", "Hà", "Vân", "Nhã",
];

/// Middle names for men other than Văn, most frequent first.
const MIDDLE_MALE: &[&str] = &[
    "Đức", "Minh", "Hữu", "Quốc", "Thanh", "Công", "Ngọc", "Xuân", "Gia", "Bảo", "Trọng", "Quang",
    "Đình", "Anh", "Hoàng", "Duy", "Thành", "Tiến", "Nhật", "Trung", "Hải", "Khánh", "Phúc", "Tấn",
    "Thế", "Mạnh", "Viết", "Chí", "Tuấn", "Đăng",
];

const GIVEN_FEMALE: &[&str] = &[
    "Lan", "Hương", "Linh", "Trang", "Thảo", "Hoa", "Hằng", "Ngọc", "Anh", "Mai", "Hà", "Nhung",
    "Thủy", "Phương", "Huyền", "Hạnh", "Nga", "Vân", "Yến", "Oanh", "Loan", "Dung", "Hồng", "Thu",
    "Liên", "Trinh", "Nhi", "Vy", "Quỳnh", "Giang", "Uyên", "Tâm", "Hiền", "Thư", "Ngân", "My",
    "Châu", "Diệp", "Khánh", "Tuyết", "Xuân", "Hậu", "Nhàn", "Chi", "Ly", "Trâm", "Diễm", "Thúy",
    "Lệ", "An", "Bích", "Đào", "Sương", "Ánh", "Hiếu", "Lài", "Mến", "Thơ", "Tiên", "Nguyệt",
];

const GIVEN_MALE: &[&str] = &[
    "Hùng", "Dũng", "Nam", "Minh", "Tuấn", "Hải", "Long", "Sơn", "Thành", "Hoàng", "Huy", "Quân",
    "Phúc", "Đức", "Trung", "Hiếu", "Khoa", "Cường", "Thắng", "Bình", "Tài", "Tùng", "Vinh",
    "Hưng", "Phong", "Quang", "Toàn", "Thịnh", "Việt", "Khánh", "Lộc", "Tiến", "Tâm", "An", "Bảo",
    "Đạt", "Hòa", "Kiên", "Lâm", "Nghĩa", "Nhân", "Phát", "Quý", "Sang", "Tân", "Thái", "Thiện",
    "Thông", "Tín", "Trí", "Tú", "Vũ", "Duy", "Đông", "Khải", "Hiển", "Chiến", "Hào", "Kiệt",
    "Nguyên",
];

/// Weighted name tables, built once per generation run.
#[derive(Debug)]
pub(crate) struct Names {
    surnames: Weighted,
    middle_female: Weighted,
    middle_male: Weighted,
    given_female: Weighted,
    given_male: Weighted,
}

/// Roughly Zipf-shaped weights for a list sorted by frequency: a few very common names and
/// a long tail, which is how given names are spread.
fn zipf(len: usize) -> Weighted {
    Weighted::new((0..len as u64).map(|i| 10_000 / (i + 4)))
}

impl Names {
    pub(crate) fn new() -> Self {
        Names {
            surnames: Weighted::new(SURNAMES.iter().map(|&(_, w)| w)),
            middle_female: zipf(MIDDLE_FEMALE.len()),
            middle_male: zipf(MIDDLE_MALE.len()),
            given_female: zipf(GIVEN_FEMALE.len()),
            given_male: zipf(GIVEN_MALE.len()),
        }
    }

    /// A surname.
    pub(crate) fn surname(&self, rng: &mut Rng) -> &'static str {
        SURNAMES[self.surnames.sample(rng)].0
    }

    /// Middle and given names for someone of `sex` born in `birth_year`, appended to `out`
    /// after the surname already there.
    ///
    /// Thị and Văn mark sex and were near universal for the generations born before
    /// reunification; parents have chosen them less and less since, so their odds fall with
    /// the birth year. About one person in eight carries two middle names.
    pub(crate) fn push_middle_and_given(
        &self,
        rng: &mut Rng,
        sex: Sex,
        birth_year: i32,
        out: &mut String,
    ) {
        let (marker, marker_odds, middles, middle_w, givens, given_w) = match sex {
            Sex::Female => (
                "Thị",
                marker_odds(birth_year, [650, 450, 250]),
                MIDDLE_FEMALE,
                &self.middle_female,
                GIVEN_FEMALE,
                &self.given_female,
            ),
            Sex::Male => (
                "Văn",
                marker_odds(birth_year, [550, 350, 150]),
                MIDDLE_MALE,
                &self.middle_male,
                GIVEN_MALE,
                &self.given_male,
            ),
        };
        let mut last = if rng.chance(marker_odds) {
            marker
        } else {
            middles[middle_w.sample(rng)]
        };
        out.push(' ');
        out.push_str(last);
        if rng.chance(125) {
            let second = middles[middle_w.sample(rng)];
            if second != last && second != marker {
                out.push(' ');
                out.push_str(second);
                last = second;
            }
        }
        let given = loop {
            let g = givens[given_w.sample(rng)];
            if g != last {
                break g;
            }
        };
        out.push(' ');
        out.push_str(given);
    }
}

fn marker_odds(birth_year: i32, per_mille: [u64; 3]) -> u64 {
    match birth_year {
        ..1975 => per_mille[0],
        1975..1995 => per_mille[1],
        _ => per_mille[2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    #[test]
    fn every_literal_is_nfc_and_a_single_word() {
        let all = SURNAMES
            .iter()
            .map(|(s, _)| *s)
            .chain(MIDDLE_FEMALE.iter().copied())
            .chain(MIDDLE_MALE.iter().copied())
            .chain(GIVEN_FEMALE.iter().copied())
            .chain(GIVEN_MALE.iter().copied());
        for s in all {
            assert_eq!(s.nfc().collect::<String>(), s, "{s} is not NFC");
            assert!(!s.contains(' ') && !s.is_empty(), "{s:?}");
        }
    }

    #[test]
    fn lists_have_no_duplicates() {
        for list in [MIDDLE_FEMALE, MIDDLE_MALE, GIVEN_FEMALE, GIVEN_MALE] {
            let mut v = list.to_vec();
            v.sort_unstable();
            v.dedup();
            assert_eq!(v.len(), list.len());
        }
        let mut s: Vec<_> = SURNAMES.iter().map(|(s, _)| *s).collect();
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), SURNAMES.len());
    }
}

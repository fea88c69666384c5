//! Population CSV import: all or nothing, every bad row reported with its line.

use kyso_population::{
    Date, ImportError, RowError, RowProblem, Sex, Units, for_each_adult, parse_csv,
    parse_csv_with_progress,
};

const HEADER: &str = "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code";
const HEADER9: &str =
    "cccd,full_name,date_of_birth,sex,phone,household_id,commune_code,village,address";

fn today() -> Date {
    Date::new(2025, 7, 1).expect("date")
}

fn errors_of(input: &[u8]) -> Vec<RowError> {
    match parse_csv(input, Units::embedded(), today()) {
        Ok(a) => panic!("accepted {} adults", a.len()),
        Err(ImportError::Rejected(r)) => r.errors,
        Err(e) => panic!("{e}"),
    }
}

fn lines(errors: &[RowError]) -> Vec<usize> {
    errors.iter().map(|e| e.line).collect()
}

#[test]
fn five_bad_rows_are_all_reported_with_their_lines() {
    let csv = [
        HEADER,
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,0912345678,46-19777-000001,19777", // 2
        "046088000001,Trần Văn Hùng,1988-01-15,Nam,,46-19777-000001,19777",           // 3
        "04619001234X,Lê Văn Tám,1990-01-01,Nam,,46-19777-000002,19777",              // 4 bad CCCD
        "046175000002,Lê Thị Hoa,1975-05-05,Nữ,0398765432,46-19753-000001,19753",     // 5
        "046080000003,Phạm Văn Nam,1980-02-02,Nam,,46-99999-000001,99999",            // 6 commune
        "046190012345,Võ Thị Mai,1990-08-08,Nữ,,46-19753-000002,19753",               // 7 duplicate
        "046310000004,Hồ Ngọc Anh,2010-01-01,Nữ,,46-19753-000002,19753",              // 8 under 18
        "046185000005,Đặng Thu Hà,1986-06-06,Nữ,,46-19753-000003,19753",              // 9 mismatch
        "046070000006,Bùi Đức Long,1970-10-10,Nam,0987654321,46-19753-000003,19753",  // 10
    ]
    .join("\n");
    let errors = errors_of(csv.as_bytes());
    assert_eq!(lines(&errors), [4, 6, 7, 8, 9], "{errors:#?}");
    assert!(matches!(&errors[0].reason, RowProblem::BadCccd { value } if value == "04619001234X"));
    assert!(matches!(&errors[1].reason, RowProblem::UnknownCommune { code } if code == "99999"));
    assert_eq!(
        errors[2].reason,
        RowProblem::DuplicateCccd { first_line: 2 }
    );
    assert_eq!(errors[3].reason, RowProblem::UnderEighteen { age: 15 });
    assert_eq!(
        errors[4].reason,
        RowProblem::CccdDoesNotMatchBirth {
            cccd_year: 1985,
            cccd_sex: Sex::Female,
            birth_year: 1986,
            sex: Sex::Female
        }
    );
    assert_eq!(errors[2].cccd.as_deref(), Some("046190012345"));

    // Messages name the line, in English and in Vietnamese.
    assert_eq!(
        errors[2].to_string(),
        "line 7 (CCCD 046190012345): the CCCD number already appears on line 2"
    );
    assert_eq!(
        errors[2].vi(),
        "Dòng 7 (CCCD 046190012345): Số CCCD trùng với dòng 2"
    );
    assert!(errors[4].to_string().contains("a woman born in 1985"));
    assert!(errors.iter().all(|e| e.also.is_empty()));
    assert!(errors[3].vi().contains("chưa đủ 18 tuổi"));
}

#[test]
fn rejection_summarises() {
    let csv = format!("{HEADER}\n1,Lan,x,y,z,,\n");
    let Err(ImportError::Rejected(r)) = parse_csv(csv.as_bytes(), Units::embedded(), today())
    else {
        panic!("accepted");
    };
    assert_eq!(r.rows, 1);
    assert_eq!(r.errors.len(), 1);
    let problems: Vec<_> = r.errors[0].problems().collect();
    assert_eq!(
        problems,
        [
            &RowProblem::MissingField {
                column: "household_id"
            },
            &RowProblem::MissingField {
                column: "commune_code"
            },
            &RowProblem::BadCccd { value: "1".into() },
            &RowProblem::BadDate { value: "x".into() },
            &RowProblem::BadSex { value: "y".into() },
            &RowProblem::BadPhone { value: "z".into() },
        ]
    );
    assert!(
        r.to_string()
            .starts_with("1 of 1 row(s) are bad; nothing was imported; first: line 2: household_id is empty; also commune_code is empty; also"),
        "{r}"
    );
}

#[test]
fn bom_crlf_and_quoted_fields_are_accepted() {
    let csv = format!(
        "\u{FEFF}{HEADER}\r\n\
         \"046190012345\",\"Nguyễn Thị Lan\",1990-03-02,Nữ,\"+84 912 345 678\",\"46-19777,A\",19777\r\n\
         046088000001, Trần Văn Hùng ,1988-01-15,nam,,\"46-19777,A\",\"19777\"\r\n"
    );
    let adults = parse_csv(csv.as_bytes(), Units::embedded(), today()).expect("accepted");
    assert_eq!(adults.len(), 2);
    let lan = &adults[0];
    assert_eq!(lan.cccd.as_str(), "046190012345");
    assert_eq!(lan.full_name.as_str(), "Nguyễn Thị Lan");
    assert_eq!(lan.birth_date, Date::new(1990, 3, 2).expect("date"));
    assert_eq!(lan.sex, Sex::Female);
    assert_eq!(lan.phone.as_deref(), Some("0912345678"));
    assert_eq!(lan.household_id, "46-19777,A");
    assert_eq!(
        (lan.commune_code.as_str(), lan.province_code.as_str()),
        ("19777", "46")
    );
    assert_eq!(adults[1].full_name.as_str(), "Trần Văn Hùng");
    assert_eq!(adults[1].sex, Sex::Male);
    assert_eq!(adults[1].phone, None);
    // Rows keep their physical line numbers in CRLF files (as Excel saves them).
    assert_eq!((adults[0].line, adults[1].line), (2, 3));
    let bad = format!(
        "{HEADER}\r\n046190012345,Lan,1990-03-02,Nữ,,h1,19777\r\n04619001234,Tám,1990-03-02,Nam,,h2,19777\r\n"
    );
    let Err(ImportError::Rejected(r)) = parse_csv(bad.as_bytes(), Units::embedded(), today())
    else {
        panic!("accepted");
    };
    assert_eq!(r.errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3]);
    // Only a well-formed CCCD is echoed in a report.
    assert_eq!(r.errors[0].cccd, None);
    // A household id with an invisible character would look like another household.
    let hidden = format!("{HEADER}\n046190012345,Lan,1990-03-02,Nữ,,46-19777\u{200B}-1,19777\n");
    let Err(ImportError::Rejected(r)) = parse_csv(hidden.as_bytes(), Units::embedded(), today())
    else {
        panic!("accepted");
    };
    assert!(
        matches!(r.errors[0].reason, RowProblem::BadHouseholdId { .. }),
        "{r}"
    );
}

#[test]
fn decomposed_unicode_is_normalised() {
    let csv = format!(
        "{HEADER}\n046190012345,Nguye\u{302}\u{303}n Thi\u{323} Lan,1990-03-02,Nu\u{31B}\u{303},,h1,19777\n"
    );
    let adults = parse_csv(csv.as_bytes(), Units::embedded(), today()).expect("accepted");
    assert_eq!(adults[0].full_name.as_str(), "Nguyễn Thị Lan");
    assert_eq!(adults[0].sex, Sex::Female);
}

#[test]
fn line_numbers_count_physical_lines() {
    // The quoted field on line 2 spans two lines, so the next row starts on line 4.
    let csv = format!(
        "{HEADER}\n\
         046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,\"h\n1\",19777\n\
         X,Trần Văn Hùng,1988-01-15,Nam,,h2,19777\n"
    );
    let errors = errors_of(csv.as_bytes());
    assert_eq!(lines(&errors), [2, 4]);
    assert!(matches!(
        errors[0].reason,
        RowProblem::BadHouseholdId { .. }
    ));
    assert!(matches!(errors[1].reason, RowProblem::BadCccd { .. }));
}

#[test]
fn non_utf8_is_refused_with_its_line() {
    let mut csv =
        format!("{HEADER}\n046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777\n").into_bytes();
    csv.extend_from_slice(b"046088000001,Tr\xe2n V\xe3n H\xf9ng,1988-01-15,Nam,,h2,19777\n");
    let errors = errors_of(&csv);
    assert_eq!(lines(&errors), [3]);
    assert_eq!(
        errors[0].reason,
        RowProblem::NotUtf8 {
            column: "full_name"
        }
    );
    assert!(errors[0].vi().contains("UTF-8"));
}

#[test]
fn a_bad_header_stops_everything() {
    for input in [
        "cccd,name,dob,sex,phone,household,commune\n046190012345,A B,1990-03-02,Nữ,,h,19777\n",
        "",
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777\n",
    ] {
        let errors = errors_of(input.as_bytes());
        assert_eq!(lines(&errors), [1]);
        assert!(matches!(errors[0].reason, RowProblem::BadHeader { .. }));
    }
    // Only the two forms: not one of the new columns alone, nor them in another order.
    for header in [
        format!("{HEADER},village"),
        format!("{HEADER},address,village"),
        format!("{HEADER9},note"),
    ] {
        let errors = errors_of(format!("{header}\n").as_bytes());
        assert_eq!(lines(&errors), [1]);
        assert!(matches!(errors[0].reason, RowProblem::BadHeader { .. }));
        // The message names both accepted headers, in English and Vietnamese.
        assert!(
            errors[0]
                .to_string()
                .contains(&format!("`{HEADER}` or `{HEADER9}`"))
        );
        assert!(
            errors[0]
                .vi()
                .contains(&format!("`{HEADER}` hoặc `{HEADER9}`"))
        );
    }
}

#[test]
fn seven_column_files_import_as_before_without_a_place() {
    let csv = [
        HEADER,
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777",
        "046088000001,Trần Văn Hùng,1988-01-15,Nam,,h1,19777",
    ]
    .join("\n");
    let adults = parse_csv(csv.as_bytes(), Units::embedded(), today()).expect("accepted");
    assert_eq!(adults.len(), 2);
    assert!(
        adults
            .iter()
            .all(|a| a.village.is_none() && a.address.is_none())
    );
    // Nine fields under a seven-column header are refused, and the other way round.
    let csv = format!("{HEADER}\n046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777,Thôn 1,\n");
    let errors = errors_of(csv.as_bytes());
    assert_eq!(
        errors[0].reason,
        RowProblem::WrongColumnCount {
            expected: 7,
            found: 9
        }
    );
    let csv = format!("{HEADER9}\n046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777\n");
    let errors = errors_of(csv.as_bytes());
    assert_eq!(lines(&errors), [2]);
    assert_eq!(
        errors[0].reason,
        RowProblem::WrongColumnCount {
            expected: 9,
            found: 7
        }
    );
    assert_eq!(
        errors[0].vi(),
        "Dòng 2 (CCCD 046190012345): Cần 9 cột (như dòng tiêu đề), nhưng dòng này có 7 cột"
    );
}

#[test]
fn nine_column_files_give_village_and_address() {
    let csv = format!(
        "\u{FEFF}{HEADER9}\r\n\
         046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777, Tổ dân phố 3 ,\"Số 12, Kiệt 4\"\r\n\
         046088000001,Trần Văn Hùng,1988-01-15,Nam,,h1,19777,To\u{302}\u{309} da\u{302}n pho\u{302}\u{301} 3,\"Số 12, Kiệt 4\"\r\n\
         046175000002,Lê Thị Hoa,1975-05-05,Nữ,,h2,19753,,\r\n\
         046070000006,Bùi Đức Long,1970-10-10,Nam,,h3,19753,Thôn Đông,\r\n"
    );
    let adults = parse_csv(csv.as_bytes(), Units::embedded(), today()).expect("accepted");
    assert_eq!(adults.len(), 4);
    for a in &adults[..2] {
        // Trimmed, and in NFC: the decomposed spelling on line 3 is the same village.
        assert_eq!(a.village.as_deref(), Some("Tổ dân phố 3"));
        assert_eq!(a.address.as_deref(), Some("Số 12, Kiệt 4"));
    }
    // Empty fields are absent, not empty strings.
    assert_eq!(
        (adults[2].village.as_deref(), adults[2].address.as_deref()),
        (None, None)
    );
    assert_eq!(
        (adults[3].village.as_deref(), adults[3].address.as_deref()),
        (Some("Thôn Đông"), None)
    );
}

#[test]
fn long_or_odd_villages_and_addresses_are_refused_with_their_lines() {
    let long = "Thôn ".repeat(20) + "1"; // 101 characters
    let csv = [
        HEADER9.to_owned(),
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777,Thôn 1,Số 1".to_owned(), // 2
        format!("046088000001,Trần Văn Hùng,1988-01-15,Nam,,h2,19777,{long},Số 2"),   // 3
        "046175000002,Lê Thị Hoa,1975-05-05,Nữ,,h3,19753,Thôn\u{7}2,Số 3".to_owned(), // 4
        "046070000006,Bùi Đức Long,1970-10-10,Nam,,h4,19753,Thôn 4,Số\u{202E}4".to_owned(), // 5
        format!(
            "046080000003,Phạm Văn Nam,1980-02-02,Nam,,h5,19753,{},Số 5",
            "x".repeat(100)
        ), // 6 ok
    ]
    .join("\n");
    let errors = errors_of(csv.as_bytes());
    assert_eq!(lines(&errors), [3, 4, 5], "{errors:#?}");
    assert_eq!(
        errors[0].reason,
        RowProblem::BadVillage {
            value: long.clone()
        }
    );
    assert_eq!(
        errors[1].reason,
        RowProblem::BadVillage {
            value: "Thôn\u{7}2".into()
        }
    );
    assert_eq!(
        errors[2].reason,
        RowProblem::BadAddress {
            value: "Số\u{202E}4".into()
        }
    );
    // Both languages name the column; neither echoes the control character raw.
    assert!(
        errors[1]
            .to_string()
            .starts_with("line 4 (CCCD 046175000002): village \"Thôn\\u{7}2\""),
        "{}",
        errors[1]
    );
    assert_eq!(
        errors[1].vi(),
        "Dòng 4 (CCCD 046175000002): Thôn/tổ dân phố \"Thôn\\u{7}2\" dài quá 100 ký tự hoặc có \
         ký tự điều khiển"
    );
    assert!(
        errors[2].to_string().contains("address \"Số\\u{202e}4\""),
        "{}",
        errors[2]
    );
    assert!(
        errors[2].vi().contains("Địa chỉ \"Số\\u{202e}4\""),
        "{}",
        errors[2].vi()
    );
    for e in &errors {
        assert!(!e.to_string().contains(['\u{7}', '\u{202E}']));
        assert!(!e.vi().contains(['\u{7}', '\u{202E}']));
    }
}

#[test]
fn a_household_lives_in_one_village_at_one_address() {
    let csv = [
        HEADER9,
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777,Thôn 1,Số 5",
        "046088000001,Trần Văn Hùng,1988-01-15,Nam,,h1,19777,Thôn 1,Số 5", // same: fine
        "046175000002,Lê Thị Hoa,1975-05-05,Nữ,,h1,19777,Thôn 2,Số 5",     // 4 other village
        "046070000006,Bùi Đức Long,1970-10-10,Nam,,h1,19777,Thôn 1,",      // 5 no address
        "046080000003,Phạm Văn Nam,1980-02-02,Nam,,h2,19777,,",            // 6
        "046185000005,Đặng Thu Hà,1985-06-06,Nữ,,h2,19777,Thôn 3,Số 9",    // 7 both differ
        "046086000007,Võ Văn Sáu,1986-06-06,Nam,,h3,19753,\"Thôn\u{7}\",Số 1", // 8 bad village
        "046087000008,Võ Văn Bảy,1987-06-06,Nam,,h3,19753,Thôn 4,Số 1",    // 9 first good place
        "046089000009,Võ Văn Chín,1989-06-06,Nam,,h3,19753,Thôn 5,Số 1",   // 10 differs from 9
        "046079000010,Hồ Văn Mười,1979-06-06,Nam,,h1,19753,Thôn 9,Số 9",   // 11 other commune
    ]
    .join("\n");
    let errors = errors_of(csv.as_bytes());
    assert_eq!(lines(&errors), [4, 5, 7, 8, 10, 11], "{errors:#?}");
    assert_eq!(
        errors[0].reason,
        RowProblem::HouseholdInTwoVillages {
            household_id: "h1".into(),
            first_line: 2,
            first_village: Some("Thôn 1".into()),
            village: Some("Thôn 2".into()),
        }
    );
    assert!(errors[0].also.is_empty());
    assert_eq!(
        errors[1].reason,
        RowProblem::HouseholdAtTwoAddresses {
            household_id: "h1".into(),
            first_line: 2,
            first_address: Some("Số 5".into()),
            address: None,
        }
    );
    assert_eq!(
        errors[2].problems().cloned().collect::<Vec<_>>(),
        [
            RowProblem::HouseholdInTwoVillages {
                household_id: "h2".into(),
                first_line: 6,
                first_village: None,
                village: Some("Thôn 3".into()),
            },
            RowProblem::HouseholdAtTwoAddresses {
                household_id: "h2".into(),
                first_line: 6,
                first_address: None,
                address: Some("Số 9".into()),
            },
        ]
    );
    assert!(matches!(errors[3].reason, RowProblem::BadVillage { .. }));
    assert_eq!(
        errors[4].reason,
        RowProblem::HouseholdInTwoVillages {
            household_id: "h3".into(),
            first_line: 9,
            first_village: Some("Thôn 4".into()),
            village: Some("Thôn 5".into()),
        }
    );
    // Another commune is the one problem reported: the village is not compared.
    assert!(matches!(
        errors[5].problems().collect::<Vec<_>>().as_slice(),
        [RowProblem::HouseholdInTwoCommunes { .. }]
    ));
    assert_eq!(
        errors[0].to_string(),
        "line 4 (CCCD 046175000002): household h1 is in village \"Thôn 2\" here but in village \
         \"Thôn 1\" on line 2"
    );
    assert_eq!(
        errors[0].vi(),
        "Dòng 4 (CCCD 046175000002): Hộ h1 ở thôn/tổ dân phố \"Thôn 2\" tại dòng này nhưng ở \
         thôn/tổ dân phố \"Thôn 1\" tại dòng 2"
    );
    assert_eq!(
        errors[1].to_string(),
        "line 5 (CCCD 046070000006): household h1 has address (empty) here but address \"Số 5\" \
         on line 2"
    );
    assert!(
        errors[1]
            .vi()
            .contains("địa chỉ (trống) tại dòng này nhưng địa chỉ \"Số 5\" tại dòng 2")
    );
}

#[test]
fn structural_and_household_problems() {
    let csv = [
        HEADER,
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777",
        "046088000001,Trần Văn Hùng,1988-01-15,Nam,,h1,19753", // same household, other commune
        "046088000002,Trần Văn Hải,1988-01-15,Nam,,h2",        // six columns
        "046088000003,,1988-01-15,Nam,,h3,19777",              // no name
        "099088000004,Lê Văn Ba,1988-01-15,Nam,,h4,19777",     // no province 099
        "046088000005,Lê Văn Tư,2026-01-15,Nam,,h5,19777",     // born after today
    ]
    .join("\n");
    let errors = errors_of(csv.as_bytes());
    assert_eq!(lines(&errors), [3, 4, 5, 6, 7], "{errors:#?}");
    assert_eq!(
        errors[0].reason,
        RowProblem::HouseholdInTwoCommunes {
            household_id: "h1".into(),
            first_line: 2,
            first_commune: "19777".into(),
            commune: "19753".into(),
        }
    );
    assert_eq!(
        errors[1].reason,
        RowProblem::WrongColumnCount {
            expected: 7,
            found: 6
        }
    );
    assert_eq!(
        errors[2].reason,
        RowProblem::MissingField {
            column: "full_name"
        }
    );
    assert_eq!(
        errors[3].reason,
        RowProblem::UnknownBirthProvince { code: "099".into() }
    );
    assert!(matches!(
        errors[4].reason,
        RowProblem::ImplausibleBirthDate { .. }
    ));
    for e in &errors {
        assert!(!e.to_string().is_empty() && !e.vi().is_empty());
    }
}

#[test]
fn long_or_odd_names_are_refused() {
    let long = "Nguyễn ".repeat(12);
    let csv = format!("{HEADER}\n046190012345,{long},1990-03-02,Nữ,,h1,19777\n");
    let errors = errors_of(csv.as_bytes());
    assert!(
        matches!(errors[0].reason, RowProblem::BadName { .. }),
        "{errors:?}"
    );
    let csv = format!("{HEADER}\n046190012345,Lan\u{202E}nA,1990-03-02,Nữ,,h1,19777\n");
    assert!(matches!(
        errors_of(csv.as_bytes())[0].reason,
        RowProblem::BadName { .. }
    ));
}

#[test]
fn streaming_hands_over_good_rows_and_reports_progress() {
    let csv = [
        HEADER,
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777",
        "046088000001,Trần Văn Hùng,1988-01-15,Nam,,h1,19777",
    ]
    .join("\n");
    let mut done = Vec::new();
    let adults =
        parse_csv_with_progress(csv.as_bytes(), Units::embedded(), today(), |n| done.push(n))
            .expect("accepted");
    assert_eq!(adults.len(), 2);
    assert_eq!(done.last(), Some(&2));

    let bad = format!(
        "{csv}\nX,Lê Văn Ba,1988-01-15,Nam,,h4,19777\n046088000009,Lê Văn Bốn,1988-01-15,Nam,,h4,19777"
    );
    let mut received = 0;
    let r = for_each_adult(
        bad.as_bytes(),
        Units::embedded(),
        today(),
        |_| received += 1,
        |_| {},
    );
    assert!(r.is_err());
    assert_eq!(received, 2, "nothing after the first bad row");
}

#[test]
fn one_entry_per_line_with_the_first_problem_first() {
    // A copied CCCD that also disagrees with this person's birth: the duplicate is the
    // cause, the mismatch follows from it.
    let csv = [
        HEADER,
        "046190012345,Nguyễn Thị Lan,1990-03-02,Nữ,,h1,19777",
        "046190012345,Trần Văn Hùng,1988-01-15,Nam,,h2,19777",
    ]
    .join("\n");
    let errors = errors_of(csv.as_bytes());
    assert_eq!(lines(&errors), [3]);
    assert_eq!(
        errors[0].reason,
        RowProblem::DuplicateCccd { first_line: 2 }
    );
    assert!(matches!(
        errors[0].also.as_slice(),
        [RowProblem::CccdDoesNotMatchBirth { .. }]
    ));
    assert!(
        errors[0]
            .to_string()
            .contains("; also the CCCD number does not match")
    );
}

#[test]
fn five_rows_broken_in_a_generated_file_are_exactly_the_ones_reported() {
    let mut bytes = Vec::new();
    kyso_population::generate("46", 200, 11, today(), &mut bytes).expect("generate");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let mut rows: Vec<String> = text.lines().map(str::to_owned).collect();
    let field = |line: &str, i: usize| line.split(',').nth(i).unwrap_or_default().to_owned();
    let set = |line: &str, i: usize, v: &str| {
        let mut f: Vec<&str> = line.split(',').collect();
        f[i] = v;
        f.join(",")
    };
    // rows[i] is file line i + 1.
    rows[10] = set(&rows[10], 0, "04619001234");
    rows[20] = set(&rows[20], 6, "99999");
    let first = field(&rows[1], 0);
    rows[30] = set(&rows[30], 0, &first);
    let digit = if field(&rows[40], 3) == "Nữ" { 3 } else { 2 };
    rows[40] = set(
        &set(&rows[40], 0, &format!("046{digit}24123456")),
        2,
        "2024-06-01",
    );
    let cccd = field(&rows[50], 0);
    rows[50] = set(&rows[50], 0, &format!("{}99{}", &cccd[..4], &cccd[6..]));
    let errors = errors_of((rows.join("\n") + "\n").as_bytes());
    assert_eq!(lines(&errors), [11, 21, 31, 41, 51], "{errors:#?}");
    let kinds: Vec<_> = errors.iter().map(|e| &e.reason).collect();
    assert!(matches!(kinds[0], RowProblem::BadCccd { .. }));
    assert!(matches!(kinds[1], RowProblem::UnknownCommune { .. }));
    assert_eq!(kinds[2], &RowProblem::DuplicateCccd { first_line: 2 });
    assert_eq!(kinds[3], &RowProblem::UnderEighteen { age: 1 });
    assert!(matches!(
        kinds[4],
        RowProblem::CccdDoesNotMatchBirth { cccd_year, .. } if cccd_year % 100 == 99
    ));
}

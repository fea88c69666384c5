//! The payload: EMVCo TLV text, each element `ID` (2 digits) `length` (2 digits) `value`,
//! ending with the CRC element `6304XXXX`.

use crate::fields::{AccountNumber, Amount, BillNumber, Bin, Purpose, Service};
use crate::{Error, crc16_ccitt_false};
use std::fmt;

/// The globally unique identifier of NAPAS in the merchant account information (tag `38`,
/// sub-tag `00`).
pub const NAPAS_GUID: &str = "A000000727";

/// A transfer to request: whom to pay, how much, and what for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// The beneficiary's bank.
    pub bin: Bin,
    /// The beneficiary's account or card number.
    pub account: AccountNumber,
    /// Whether `account` is an account or a card number.
    pub service: Service,
    /// The amount; without one the code is static (`01` = `11`) and the payer types it.
    pub amount: Option<Amount>,
    /// The reference the payment should come back with.
    pub bill: Option<BillNumber>,
    /// The transfer message.
    pub purpose: Option<Purpose>,
}

/// A VietQR payload: its text and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    text: String,
    transfer: Transfer,
    dynamic: bool,
}

/// Why a text is not a VietQR payload kyso can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text has characters outside ASCII; lengths would be ambiguous (bytes or
    /// characters), and VietQR values are ASCII.
    #[error("a VietQR payload is ASCII text; this one has other characters")]
    NotAscii,
    /// The text does not end with the CRC element `6304` and 4 hexadecimal digits.
    #[error("a VietQR payload ends with 6304 and a 4-digit hexadecimal CRC")]
    NoCrc,
    /// The CRC does not match: the text was altered or mistyped.
    #[error("CRC mismatch: the payload says {found:04X}, its content gives {computed:04X}")]
    Crc {
        /// The CRC written in tag `63`.
        found: u16,
        /// The CRC of the rest.
        computed: u16,
    },
    /// An element's id or length is not two digits, or its value runs past the end.
    #[error("malformed element at byte {at} of {template}")]
    Malformed {
        /// Where the element starts, in the template.
        at: usize,
        /// `payload` or the tag of the template, e.g. `38.01`.
        template: String,
    },
    /// An element appears twice in one template.
    #[error("tag {0} appears twice")]
    Duplicate(String),
    /// A required element is missing.
    #[error("tag {0} is missing")]
    Missing(&'static str),
    /// An element has a value kyso does not accept here.
    #[error("tag {tag} must be {expected}, got {got:?}")]
    Unexpected {
        /// The element, e.g. `53` or `38.02`.
        tag: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        got: String,
    },
    /// The format indicator `00` is not the first element, or the CRC `63` not the last.
    #[error("tag 00 must come first and tag 63 last")]
    Order,
    /// A value carried in the payload is not a valid VietQR input.
    #[error("tag {tag}: {source}")]
    Field {
        /// The element, e.g. `54`.
        tag: &'static str,
        /// What is wrong with it.
        source: Error,
    },
}

/// One TLV element: its id and value.
type Element<'a> = (&'a str, &'a str);

/// Appends one element; the value is at most 99 bytes (checked by the field types, and by
/// [`Payload::new`] for templates).
fn push(out: &mut String, id: &str, value: &str) {
    debug_assert!(value.len() <= 99 && id.len() == 2);
    out.push_str(id);
    out.push_str(&format!("{:02}", value.len()));
    out.push_str(value);
}

/// Splits a template into its elements, refusing duplicates.
fn elements<'a>(text: &'a str, template: &str) -> Result<Vec<Element<'a>>, ParseError> {
    let malformed = |at| ParseError::Malformed {
        at,
        template: template.to_owned(),
    };
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut out: Vec<Element<'a>> = Vec::new();
    while at < bytes.len() {
        let head = bytes.get(at..at + 4).ok_or_else(|| malformed(at))?;
        if !head.iter().all(u8::is_ascii_digit) {
            return Err(malformed(at));
        }
        let len = usize::from(head[2] - b'0') * 10 + usize::from(head[3] - b'0');
        let end = at + 4 + len;
        if end > bytes.len() {
            return Err(malformed(at));
        }
        // ASCII was checked first, so these are character boundaries.
        let id = &text[at..at + 2];
        if out.iter().any(|(seen, _)| *seen == id) {
            return Err(ParseError::Duplicate(if template == "payload" {
                id.to_owned()
            } else {
                format!("{template}.{id}")
            }));
        }
        out.push((id, &text[at + 4..end]));
        at = end;
    }
    Ok(out)
}

fn find<'a>(elements: &[Element<'a>], id: &str) -> Option<&'a str> {
    elements.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
}

fn require<'a>(
    elements: &[Element<'a>],
    id: &str,
    tag: &'static str,
) -> Result<&'a str, ParseError> {
    find(elements, id).ok_or(ParseError::Missing(tag))
}

fn expect(tag: &'static str, got: &str, expected: &'static str) -> Result<(), ParseError> {
    if got == expected {
        Ok(())
    } else {
        Err(ParseError::Unexpected {
            tag,
            expected,
            got: got.to_owned(),
        })
    }
}

fn field<T>(tag: &'static str, r: Result<T, Error>) -> Result<T, ParseError> {
    r.map_err(|source| ParseError::Field { tag, source })
}

impl Payload {
    /// Writes the payload for a transfer.
    ///
    /// Fails only when the bill number and purpose together overflow tag `62`; every other
    /// length is bounded by the field types.
    pub fn new(transfer: &Transfer) -> Result<Self, Error> {
        let mut beneficiary = String::new();
        push(&mut beneficiary, "00", transfer.bin.as_str());
        push(&mut beneficiary, "01", transfer.account.as_str());
        let mut merchant = String::new();
        push(&mut merchant, "00", NAPAS_GUID);
        push(&mut merchant, "01", &beneficiary);
        push(&mut merchant, "02", transfer.service.code());

        let mut additional = String::new();
        if let Some(bill) = &transfer.bill {
            push(&mut additional, "01", bill.as_str());
        }
        if let Some(purpose) = &transfer.purpose {
            push(&mut additional, "08", purpose.as_str());
        }
        if additional.len() > 99 {
            return Err(Error::AdditionalDataTooLong {
                len: additional.len(),
            });
        }

        let dynamic = transfer.amount.is_some();
        let mut text = String::with_capacity(160);
        push(&mut text, "00", "01");
        push(&mut text, "01", if dynamic { "12" } else { "11" });
        push(&mut text, "38", &merchant);
        push(&mut text, "53", "704");
        if let Some(amount) = transfer.amount {
            push(&mut text, "54", &amount.to_string());
        }
        push(&mut text, "58", "VN");
        if !additional.is_empty() {
            push(&mut text, "62", &additional);
        }
        // The CRC covers its own id and length.
        text.push_str("6304");
        let crc = crc16_ccitt_false(text.as_bytes());
        text.push_str(&format!("{crc:04X}"));
        Ok(Payload {
            text,
            transfer: transfer.clone(),
            dynamic,
        })
    }

    /// Reads a payload: the CRC, then the TLV structure, then every value kyso relies on.
    ///
    /// Elements kyso does not use (a merchant name `59`, a terminal label `62.07`, …) are
    /// allowed, as other issuers write them; the NAPAS ones must be present and right.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if !text.is_ascii() {
            return Err(ParseError::NotAscii);
        }
        // Structure and CRC first: nothing is read from a payload that was altered.
        let split = text.len().checked_sub(4).ok_or(ParseError::NoCrc)?;
        let (body, crc) = text.split_at(split);
        if !body.ends_with("6304") || !crc.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseError::NoCrc);
        }
        let found = u16::from_str_radix(crc, 16).map_err(|_| ParseError::NoCrc)?;
        let computed = crc16_ccitt_false(body.as_bytes());
        if found != computed {
            return Err(ParseError::Crc { found, computed });
        }

        let top = elements(text, "payload")?;
        if top.first().map(|e| e.0) != Some("00") || top.last().map(|e| e.0) != Some("63") {
            return Err(ParseError::Order);
        }
        expect("00", top[0].1, "01")?;
        let dynamic = match require(&top, "01", "01")? {
            "11" => false,
            "12" => true,
            got => {
                return Err(ParseError::Unexpected {
                    tag: "01",
                    expected: "11 (static) or 12 (dynamic)",
                    got: got.to_owned(),
                });
            }
        };
        expect("53", require(&top, "53", "53")?, "704")?;
        expect("58", require(&top, "58", "58")?, "VN")?;
        let amount = find(&top, "54")
            .map(|a| field("54", Amount::parse(a)))
            .transpose()?;

        let merchant = elements(require(&top, "38", "38")?, "38")?;
        expect("38.00", require(&merchant, "00", "38.00")?, NAPAS_GUID)?;
        let code = require(&merchant, "02", "38.02")?;
        let service = Service::from_code(code).ok_or_else(|| ParseError::Unexpected {
            tag: "38.02",
            expected: "QRIBFTTA (account) or QRIBFTTC (card)",
            got: code.to_owned(),
        })?;
        let beneficiary = elements(require(&merchant, "01", "38.01")?, "38.01")?;
        let bin = field(
            "38.01.00",
            Bin::parse(require(&beneficiary, "00", "38.01.00")?),
        )?;
        let account = field(
            "38.01.01",
            AccountNumber::parse(require(&beneficiary, "01", "38.01.01")?, service),
        )?;

        let (bill, purpose) = match find(&top, "62") {
            None => (None, None),
            Some(additional) => {
                let additional = elements(additional, "62")?;
                (
                    find(&additional, "01")
                        .map(|b| field("62.01", BillNumber::parse(b)))
                        .transpose()?,
                    find(&additional, "08")
                        .map(|p| field("62.08", Purpose::parse(p)))
                        .transpose()?,
                )
            }
        };

        Ok(Payload {
            text: text.to_owned(),
            transfer: Transfer {
                bin,
                account,
                service,
                amount,
                bill,
                purpose,
            },
            dynamic,
        })
    }

    /// The payload text, as encoded in the QR code.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What the payload asks for.
    pub fn transfer(&self) -> &Transfer {
        &self.transfer
    }

    /// Whether the code is dynamic (`01` = `12`: for one payment, usually with an amount)
    /// rather than static (`11`: reusable).
    pub fn is_dynamic(&self) -> bool {
        self.dynamic
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The official NAPAS example, quoted in the project's context notes.
    const NAPAS: &str = "00020101021238570010A00000072701270006970403011300110123456780208QRIBFTTA530370454061800005802VN62340107NPS68690819thanh toan don hang63042E2E";

    fn napas_inputs() -> Transfer {
        Transfer {
            bin: Bin::parse("970403").unwrap(),
            account: AccountNumber::parse("0011012345678", Service::Account).unwrap(),
            service: Service::Account,
            amount: Some(Amount::parse("180000").unwrap()),
            bill: Some(BillNumber::parse("NPS6869").unwrap()),
            purpose: Some(Purpose::parse("thanh toan don hang").unwrap()),
        }
    }

    /// Appends a fresh CRC, to build altered payloads that pass the CRC check.
    fn with_crc(body: &str) -> String {
        let body = format!("{body}6304");
        let crc = crc16_ccitt_false(body.as_bytes());
        format!("{body}{crc:04X}")
    }

    #[test]
    fn napas_example_byte_for_byte() {
        let p = Payload::new(&napas_inputs()).unwrap();
        assert_eq!(p.as_str(), NAPAS);
        assert!(p.is_dynamic());
    }

    #[test]
    fn napas_example_parses_to_its_inputs() {
        let p = Payload::parse(NAPAS).unwrap();
        assert_eq!(p.transfer(), &napas_inputs());
        assert!(p.is_dynamic());
        assert_eq!(p.to_string(), NAPAS);
    }

    #[test]
    fn round_trips() {
        let base = napas_inputs();
        let mut cases = vec![base.clone()];
        cases.push(Transfer {
            amount: None,
            bill: None,
            purpose: None,
            ..base.clone()
        });
        cases.push(Transfer {
            service: Service::Card,
            account: AccountNumber::parse("9704031234567890123", Service::Card).unwrap(),
            amount: Some(Amount::new(Amount::MAX).unwrap()),
            bill: None,
            ..base.clone()
        });
        cases.push(Transfer {
            bill: Some(BillNumber::parse("HS-1.001193-000042").unwrap()),
            purpose: Some(Purpose::parse(&"p".repeat(99 - 4 - 4 - 18)).unwrap()),
            ..base.clone()
        });
        for t in cases {
            let p = Payload::new(&t).unwrap();
            let back = Payload::parse(p.as_str()).unwrap();
            assert_eq!(back, p, "{p}");
            assert_eq!(Payload::new(back.transfer()).unwrap().as_str(), p.as_str());
        }
        let stat = Payload::new(&Transfer {
            amount: None,
            ..base
        })
        .unwrap();
        assert!(!stat.is_dynamic());
        assert!(stat.as_str().starts_with("000201010211"), "{stat}");
        assert!(!stat.as_str().contains("5406"), "{stat}");
    }

    #[test]
    fn additional_data_must_fit_its_template() {
        let t = Transfer {
            bill: Some(BillNumber::parse(&"B".repeat(50)).unwrap()),
            purpose: Some(Purpose::parse(&"p".repeat(50)).unwrap()),
            ..napas_inputs()
        };
        assert_eq!(
            Payload::new(&t),
            Err(Error::AdditionalDataTooLong { len: 108 })
        );
    }

    #[test]
    fn lowercase_crc_is_read() {
        let lower = format!("{}2e2e", &NAPAS[..NAPAS.len() - 4]);
        assert!(Payload::parse(&lower).is_ok());
    }

    #[test]
    fn altered_payloads_are_refused() {
        // One changed digit of the amount: the CRC catches it.
        let altered = NAPAS.replace("5406180000", "5406980000");
        assert_eq!(
            Payload::parse(&altered),
            Err(ParseError::Crc {
                found: 0x2E2E,
                computed: crc16_ccitt_false(&altered.as_bytes()[..altered.len() - 4]),
            })
        );
        assert_eq!(Payload::parse(""), Err(ParseError::NoCrc));
        assert_eq!(Payload::parse("6304"), Err(ParseError::NoCrc));
        assert_eq!(
            Payload::parse(&NAPAS[..NAPAS.len() - 1]),
            Err(ParseError::NoCrc)
        );
        assert_eq!(
            Payload::parse(&NAPAS.replace("toan", "toán")),
            Err(ParseError::NotAscii)
        );
    }

    #[test]
    fn structure_and_values_are_checked() {
        let body = &NAPAS[..NAPAS.len() - 8];
        let cases: Vec<(String, ParseError)> = vec![
            // A wrong length: the elements after it no longer line up.
            (
                with_crc(&body.replace("5802VN", "5809VN")),
                ParseError::Malformed {
                    at: 103,
                    template: "payload".into(),
                },
            ),
            // A value running past the end of its template.
            (
                with_crc(&body.replace("0819thanh", "0829thanh")),
                ParseError::Malformed {
                    at: 11,
                    template: "62".into(),
                },
            ),
            (
                with_crc(&format!("{body}5802VN")),
                ParseError::Duplicate("58".into()),
            ),
            (
                with_crc(&body.replace("5303704", "5303840")),
                ParseError::Unexpected {
                    tag: "53",
                    expected: "704",
                    got: "840".into(),
                },
            ),
            (
                with_crc(&body.replace("0010A000000727", "0010A000000999")),
                ParseError::Unexpected {
                    tag: "38.00",
                    expected: NAPAS_GUID,
                    got: "A000000999".into(),
                },
            ),
            (
                with_crc(&body.replace("QRIBFTTA", "QRPUSHXX")),
                ParseError::Unexpected {
                    tag: "38.02",
                    expected: "QRIBFTTA (account) or QRIBFTTC (card)",
                    got: "QRPUSHXX".into(),
                },
            ),
            (
                with_crc(&body.replace("010212", "010213")),
                ParseError::Unexpected {
                    tag: "01",
                    expected: "11 (static) or 12 (dynamic)",
                    got: "13".into(),
                },
            ),
            (
                with_crc(&body.replace("5406180000", "5406018000")),
                ParseError::Field {
                    tag: "54",
                    source: Error::BadAmount("018000".into()),
                },
            ),
            (
                with_crc(&body.replace("0006970403", "000697040X")),
                ParseError::Field {
                    tag: "38.01.00",
                    source: Error::BadBin("97040X".into()),
                },
            ),
            (
                with_crc(&body.replace("5802VN", "")),
                ParseError::Missing("58"),
            ),
            (with_crc(&body.replacen("000201", "", 1)), ParseError::Order),
            // An element whose length swallows the CRC element: 63 is not the last.
            (with_crc(&format!("{body}5910ab")), ParseError::Order),
        ];
        for (text, want) in cases {
            assert_eq!(Payload::parse(&text), Err(want), "{text}");
        }
    }

    #[test]
    fn unknown_elements_are_tolerated() {
        // A merchant name (59) and city (60), as some issuers add, and a terminal label.
        let body = NAPAS[..NAPAS.len() - 8]
            .replace("5802VN", "5802VN5906UBND X6006HA NOI")
            .replace("62340107NPS6869", "62440107NPS68690706QUAY 1");
        let p = Payload::parse(&with_crc(&body)).unwrap();
        assert_eq!(p.transfer(), &napas_inputs());
    }
}

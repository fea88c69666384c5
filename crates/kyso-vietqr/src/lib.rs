//! VietQR: the NAPAS profile of the EMVCo merchant-presented QR code, which every
//! Vietnamese banking app scans to pre-fill a transfer. kyso shows one on the fee page of a
//! dossier.
//!
//! - Inputs are parsed into values before anything is built ([`Bin`], [`AccountNumber`],
//!   [`Amount`], [`BillNumber`], [`Purpose`]): a payload that a bank app would refuse, or
//!   worse read differently, cannot be made.
//! - [`Payload::new`] writes the tags in the order of the NAPAS example — `00` format, `01`
//!   initiation (`11` static, `12` with an amount), `38` the beneficiary (NAPAS GUID, bank
//!   BIN and account, service code), `53` currency `704`, `54` amount, `58` `VN`, `62` bill
//!   number and purpose, `63` the CRC — so the NAPAS example inputs give the example string
//!   byte for byte.
//! - [`Payload::parse`] reads one back (the payment side does), checking the CRC first and
//!   then every length, tag and value.
//! - [`QrImage`] draws it: error-correction level M, a quiet zone of 4 modules, as a
//!   self-contained SVG for web pages or a PNG for files.
//!
//! ```
//! use kyso_vietqr::{AccountNumber, Amount, BillNumber, Bin, Payload, Purpose, Service, Transfer};
//!
//! let transfer = Transfer {
//!     bin: Bin::parse("970403")?,
//!     account: AccountNumber::parse("0011012345678", Service::Account)?,
//!     service: Service::Account,
//!     amount: Some(Amount::new(180_000)?),
//!     bill: Some(BillNumber::parse("NPS6869")?),
//!     purpose: Some(Purpose::parse("thanh toan don hang")?),
//! };
//! let payload = Payload::new(&transfer)?;
//! assert!(payload.as_str().ends_with("63042E2E"));
//! assert_eq!(Payload::parse(payload.as_str())?.transfer(), &transfer);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod fields;
mod image;
mod payload;

pub use fields::{AccountNumber, Amount, BillNumber, Bin, Purpose, Service};
pub use image::{QUIET_ZONE, QrImage};
pub use payload::{NAPAS_GUID, ParseError, Payload, Transfer};

/// Why a VietQR input, payload or image could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bank BIN (the NAPAS acquirer id) is exactly 6 digits.
    #[error("bank BIN must be exactly 6 digits, got {0:?}")]
    BadBin(String),
    /// An account number is 1 to 19 ASCII letters or digits; a card number 1 to 19 digits.
    #[error("{what} must be 1 to 19 {expected}, got {got:?}")]
    BadAccount {
        /// "account number" or "card number".
        what: &'static str,
        /// What it must consist of.
        expected: &'static str,
        /// The text that was given.
        got: String,
    },
    /// An amount is a whole number of đồng from 1 to 13 digits, written without sign,
    /// separators, decimals or leading zeros.
    #[error(
        "amount must be a whole number of đồng, 1 to 9999999999999, in plain digits without leading zeros, got {0:?}"
    )]
    BadAmount(String),
    /// A bill number or purpose was empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A field value is longer than the 99 bytes a two-digit EMVCo length can say.
    #[error("{field} is {len} bytes long; a VietQR field holds at most 99")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A field value has characters other than printable ASCII. EMVCo field values are
    /// ASCII, and bank apps show diacritics as garbage or refuse the code, so Vietnamese
    /// text must be written unaccented.
    #[error(
        "{field} {got:?} must be unaccented printable ASCII (VietQR fields cannot carry Vietnamese diacritics); {hint}"
    )]
    NotPlainAscii {
        /// Which field.
        field: &'static str,
        /// The text that was given.
        got: String,
        /// What to write instead: the unaccented text when the only trouble was
        /// Vietnamese diacritics.
        hint: String,
    },
    /// The bill number and purpose together overflow the additional-data template (tag
    /// `62`), whose own length is two digits.
    #[error(
        "bill number and purpose together take {len} bytes in tag 62; at most 99 fit: shorten the purpose"
    )]
    AdditionalDataTooLong {
        /// The template's length in bytes.
        len: usize,
    },
    /// The QR encoder refused the payload (only a payload far longer than any VietQR
    /// would be).
    #[error("cannot encode the payload as a QR code: {0}")]
    Qr(String),
    /// The PNG encoder failed.
    #[error("cannot write the PNG: {0}")]
    Png(String),
    /// The PNG scale (pixels per module) is outside 1..=64.
    #[error("PNG scale must be 1 to 64 pixels per module, got {0}")]
    BadScale(u32),
}

/// CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no reflection, no final
/// XOR): the checksum in tag `63`, computed over the payload up to and including `6304`.
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_known_values() {
        // The catalogue check value of CRC-16/CCITT-FALSE.
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
        assert_eq!(crc16_ccitt_false(b"A"), 0xB915);
    }
}

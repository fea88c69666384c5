//! Fees: the VietQR the citizen scans, and the payment platform's callback.
//!
//! The callback is a JSON body `{"reference", "bill", "amount", "paid_at"}` with the
//! header `X-Kyso-Signature: hex(HMAC-SHA-256(key, body))`, the key derived from the
//! deployment's KEK (`kyso portal payment-key` prints it for the platform's set-up). The
//! platform's transaction `reference` is the payment's key in the store: a replayed or
//! retried callback finds it there and changes nothing.

use crate::officer::group;
use crate::{Payee, Portal, PortalError};
use kyso_core::{DossierState, UnixTime};
use kyso_store::dossiers::{Move, PaymentOutcome, PaymentRecord};
use kyso_vietqr::{
    AccountNumber, Amount, BillNumber, Bin, Payload, Purpose, QrImage, Service, Transfer,
};

/// Header carrying the callback's HMAC.
pub const SIGNATURE_HEADER: &str = "x-kyso-signature";

/// What the fee page shows.
#[derive(Debug, Clone)]
pub struct FeeRequest {
    /// Amount, in đồng.
    pub amount: i64,
    /// "8.000" — the amount as Vietnamese write it.
    pub amount_text: String,
    /// The bill number (the dossier's receipt number).
    pub bill: String,
    /// The transfer message.
    pub purpose: String,
    /// Where to.
    pub payee: Payee,
    /// The VietQR payload.
    pub payload: String,
    /// The QR code as an SVG image.
    pub svg: String,
}

/// A payment notice from the platform.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentNotice {
    /// The platform's transaction reference.
    pub reference: String,
    /// The bill number from the QR (the receipt number).
    pub bill: String,
    /// Amount paid, in đồng.
    pub amount: u64,
    /// When paid (Unix seconds).
    pub paid_at: i64,
}

impl Portal {
    /// The fee page of a dossier waiting for its fee.
    pub async fn fee_request(&self, cccd: &str, id: &str) -> Result<FeeRequest, PortalError> {
        let d = self.own_dossier(cccd, id).await?;
        if d.state != DossierState::FeeRequested || d.fee_paid_at.is_some() || d.fee_vnd <= 0 {
            return Err(PortalError::WrongState(format!(
                "dossier {} has no fee to pay now",
                d.receipt
            )));
        }
        let payee = self.config.payee.clone().ok_or_else(|| {
            PortalError::NotConfigured(
                "no fee account (kyso portal configure --bank-bin … --bank-account …)".into(),
            )
        })?;
        let bad = |e: kyso_vietqr::Error| PortalError::NotConfigured(format!("VietQR: {e}"));
        let purpose = format!("phi ho so {}", d.receipt);
        let transfer = Transfer {
            bin: Bin::parse(&payee.bin).map_err(bad)?,
            account: AccountNumber::parse(&payee.account, Service::Account).map_err(bad)?,
            service: Service::Account,
            amount: Some(Amount::new(d.fee_vnd as u64).map_err(bad)?),
            bill: Some(BillNumber::parse(&d.receipt).map_err(bad)?),
            purpose: Some(Purpose::parse(&purpose).map_err(bad)?),
        };
        let payload = Payload::new(&transfer).map_err(bad)?;
        let svg = QrImage::new(&payload).map_err(bad)?.to_svg();
        Ok(FeeRequest {
            amount: d.fee_vnd,
            amount_text: group(d.fee_vnd),
            bill: d.receipt,
            purpose,
            payee,
            payload: payload.as_str().to_owned(),
            svg,
        })
    }

    /// The HMAC the platform puts in [`SIGNATURE_HEADER`] for `body` (hex).
    pub fn payment_signature(&self, body: &[u8]) -> String {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &*self.payment_key);
        hex::encode(aws_lc_rs::hmac::sign(&key, body))
    }

    /// The callback key, hex, for the payment platform's configuration.
    pub fn payment_key_hex(&self) -> String {
        hex::encode(*self.payment_key)
    }

    /// Handles the platform's callback: authenticated, then recorded once per reference.
    /// The dossier moves on: to its held result (returned at once), or back to processing.
    pub async fn payment_callback(
        &self,
        body: &[u8],
        signature_hex: &str,
    ) -> Result<PaymentOutcome, PortalError> {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &*self.payment_key);
        let tag =
            hex::decode(signature_hex.trim()).map_err(|_| PortalError::BadCallbackSignature)?;
        aws_lc_rs::hmac::verify(&key, body, &tag).map_err(|_| PortalError::BadCallbackSignature)?;
        let notice: PaymentNotice = serde_json::from_slice(body)
            .map_err(|e| PortalError::InvalidInput(format!("payment notice: {e}")))?;
        if notice.reference.is_empty()
            || notice.reference.len() > 64
            || !notice.reference.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(PortalError::InvalidInput(
                "payment reference must be 1 to 64 printable ASCII characters".into(),
            ));
        }
        let d = self
            .store()
            .dossier_by_receipt(&notice.bill)
            .await?
            .ok_or(PortalError::NotFound)?;
        let now = self.now();
        let payment = PaymentRecord {
            reference: notice.reference.clone(),
            dossier_id: d.id.clone(),
            amount_vnd: i64::try_from(notice.amount)
                .map_err(|_| PortalError::InvalidInput("amount out of range".into()))?,
            paid_at: UnixTime(notice.paid_at),
            recorded_at: now,
        };
        let mv = if d.state == DossierState::FeeRequested {
            let held = self.result_held(&d.id).await?;
            let (path, vi, en) = if held {
                (
                    vec![DossierState::Processed, DossierState::ResultReturned],
                    format!("Đã nhận lệ phí hồ sơ {}: mời tải kết quả.", d.receipt),
                    format!(
                        "Fee of dossier {} received: the result is ready to download.",
                        d.receipt
                    ),
                )
            } else {
                (
                    vec![DossierState::Processing],
                    format!(
                        "Đã nhận lệ phí hồ sơ {}; hồ sơ tiếp tục được xử lý.",
                        d.receipt
                    ),
                    format!("Fee of dossier {} received; processing goes on.", d.receipt),
                )
            };
            let mut mv = Move::new(&d.id, d.state, &path, "payment", &notice.reference, now);
            mv.notice = Some((vi, en));
            Some(mv)
        } else {
            None
        };
        // A replayed or concurrent delivery of the same reference is AlreadyRecorded
        // (the store inserts the reference first; the second waits on its key).
        let outcome = self.store().record_payment(&payment, mv.as_ref()).await?;
        if let (PaymentOutcome::Recorded(after), Some(mv)) = (&outcome, &mv)
            && let Some((vi, _)) = &mv.notice
        {
            self.announce(after, vi).await;
        }
        Ok(outcome)
    }
}

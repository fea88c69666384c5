//! The time-stamping authority service (RFC 3161).
//!
//! Serial numbers come from a store sequence reserved in blocks of [`SERIAL_BLOCK`]: one
//! database write per block rather than per token, and after a restart the next block
//! starts past everything reserved before, so serials never repeat and keep increasing
//! (a crash only leaves a gap). Two server processes on one store get disjoint blocks:
//! serials stay unique, each process's increasing.

use crate::{Ca, CaError};
use kyso_pki::tsp::{
    ETSI_BEST_PRACTICES_POLICY, FailureInfo, TokenFields, TokenSigner, parse_request, rejection,
};

/// Serial numbers reserved per store write.
pub const SERIAL_BLOCK: u64 = 1024;

/// Store sequence holding the last reserved serial.
const SERIAL_SEQUENCE: &str = "tsa.serial";

/// Store setting naming the TSA policy OID (default: ETSI best practices, 0.4.0.2023.1.1).
pub const POLICY_SETTING: &str = "tsa.policy";

/// Accuracy asserted around genTime: the clock is NTP-disciplined and genTime is truncated
/// to the second.
pub const ACCURACY_SECONDS: u8 = 1;

/// What the TSA answers.
#[derive(Debug, Clone)]
pub struct TsaAnswer {
    /// The DER TimeStampResp.
    pub body: Vec<u8>,
    /// `granted`, or the failure that refused it.
    pub outcome: &'static str,
}

/// The time-stamping authority.
#[derive(Debug)]
pub struct TimeStampAuthority {
    ca: Ca,
    signer: TokenSigner,
    /// (next serial to hand out, last serial reserved).
    serials: tokio::sync::Mutex<(u64, u64)>,
}

impl TimeStampAuthority {
    /// The TSA of `ca`, with the policy recorded in the store (or the default).
    pub async fn new(ca: &Ca) -> Result<Self, CaError> {
        let tsa = ca
            .signer("tsa")
            .ok_or_else(|| CaError::BrokenAuthority("tsa".into()))?;
        // The TSA certificate's issuer travels with tokens that ask for certificates, so a
        // verifier needs only the root.
        let chain: Vec<Vec<u8>> = ca
            .issuer("seal-ca")
            .map(|i| vec![i.cert_der.clone()])
            .unwrap_or_default();
        let policy = match ca.store().get_setting(POLICY_SETTING).await? {
            Some(p) => const_oid::ObjectIdentifier::new(&p)
                .map_err(|e| CaError::Config(format!("{POLICY_SETTING} {p:?}: {e}")))?,
            None => ETSI_BEST_PRACTICES_POLICY,
        };
        Ok(TimeStampAuthority {
            ca: ca.clone(),
            signer: TokenSigner::new(tsa.clone(), &chain, policy)?,
            serials: tokio::sync::Mutex::new((1, 0)),
        })
    }

    /// The policy written in tokens.
    pub fn policy(&self) -> String {
        self.signer.policy().to_string()
    }

    async fn next_serial(&self) -> Result<u64, CaError> {
        let mut s = self.serials.lock().await;
        if s.0 > s.1 {
            let first = self
                .ca
                .store()
                .reserve_sequence(SERIAL_SEQUENCE, SERIAL_BLOCK)
                .await?;
            *s = (first, first + SERIAL_BLOCK - 1);
        }
        let serial = s.0;
        s.0 += 1;
        Ok(serial)
    }

    /// Answers a DER TimeStampReq. Never fails: problems become a `rejection` status with
    /// the matching failure information.
    pub async fn respond(&self, request: &[u8]) -> TsaAnswer {
        let req = match parse_request(request).and_then(|r| self.signer.check(&r).map(|()| r)) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(error = %e, "time-stamp request refused");
                let info = e.failure_info();
                return TsaAnswer {
                    body: rejection(info, &e.to_string()),
                    outcome: failure_name(info),
                };
            }
        };
        let granted = async {
            let serial = self.next_serial().await?;
            let fields = TokenFields {
                serial,
                gen_time: self.ca.clock().now(),
                accuracy_seconds: ACCURACY_SECONDS,
            };
            Ok::<_, CaError>(
                self.signer
                    .grant(self.ca.keystore().as_ref(), &req, fields)?,
            )
        }
        .await;
        match granted {
            Ok(body) => TsaAnswer {
                body,
                outcome: "granted",
            },
            Err(e) => {
                tracing::error!(error = %e, "time-stamp token could not be produced");
                TsaAnswer {
                    body: rejection(
                        FailureInfo::SystemFailure,
                        "the time-stamping authority failed; try again",
                    ),
                    outcome: "systemFailure",
                }
            }
        }
    }
}

fn failure_name(info: FailureInfo) -> &'static str {
    match info {
        FailureInfo::BadAlg => "badAlg",
        FailureInfo::BadRequest => "badRequest",
        FailureInfo::BadDataFormat => "badDataFormat",
        FailureInfo::TimeNotAvailable => "timeNotAvailable",
        FailureInfo::UnacceptedPolicy => "unacceptedPolicy",
        FailureInfo::UnacceptedExtension => "unacceptedExtension",
        FailureInfo::SystemFailure => "systemFailure",
        _ => "rejected",
    }
}

//! `kyso vietqr`: a VietQR payment code from the command line. Pure: it opens no data
//! directory, so it works anywhere (an officer preparing a printed fee notice).

use crate::cli::VietqrArgs;
use anyhow::Context as _;
use kyso_vietqr::{
    AccountNumber, Amount, BillNumber, Bin, Payload, Purpose, QrImage, Service, Transfer,
};
use std::process::ExitCode;

pub fn run(a: VietqrArgs) -> anyhow::Result<ExitCode> {
    let service = if a.card {
        Service::Card
    } else {
        Service::Account
    };
    // Every input is parsed before anything is written.
    let transfer = Transfer {
        bin: Bin::parse(&a.bin)?,
        account: AccountNumber::parse(&a.account, service)?,
        service,
        amount: a.amount.as_deref().map(Amount::parse).transpose()?,
        bill: a.bill.as_deref().map(BillNumber::parse).transpose()?,
        purpose: a.purpose.as_deref().map(Purpose::parse).transpose()?,
    };
    let payload = Payload::new(&transfer)?;
    if a.png.is_some() || a.svg.is_some() {
        let image = QrImage::new(&payload)?;
        if let Some(path) = &a.png {
            let png = image.to_png(a.scale)?;
            std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
        }
        if let Some(path) = &a.svg {
            std::fs::write(path, image.to_svg())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if a.json {
        let out = serde_json::json!({
            "payload": payload.as_str(),
            "dynamic": payload.is_dynamic(),
            "png": a.png.as_ref().map(|p| p.display().to_string()),
            "svg": a.svg.as_ref().map(|p| p.display().to_string()),
        });
        println!("{out:#}");
    } else {
        println!("{payload}");
    }
    Ok(ExitCode::SUCCESS)
}

//! The URLs written into certificates (AIA, CRL distribution points). They come from the
//! operator's `--public-url`, so issued certificates point at the running service.

/// Base of every URL kyso publishes, and the operator's certificate policy OID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    base: String,
    /// The deployment's own certificate policy OID, written before the ETSI policy.
    pub operator_policy: Option<const_oid::ObjectIdentifier>,
}

impl Urls {
    /// `base` such as `http://127.0.0.1:8080` (a trailing slash is ignored).
    pub fn new(base: &str) -> Self {
        Urls {
            base: base.trim_end_matches('/').to_owned(),
            operator_policy: None,
        }
    }

    /// The public base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// OCSP responder.
    pub fn ocsp(&self) -> String {
        format!("{}/ocsp", self.base)
    }

    /// DER certificate of the CA called `ca_slug`.
    pub fn ca_issuers(&self, ca_slug: &str) -> String {
        format!("{}/ca/{ca_slug}.cer", self.base)
    }

    /// CRL shard `shard` of the CA called `ca_slug`.
    pub fn crl_shard(&self, ca_slug: &str, shard: u16) -> String {
        format!("{}/crl/{ca_slug}/{shard}.crl", self.base)
    }

    /// The full CRL of the CA called `ca_slug` (used for CA certificates issued by the root).
    pub fn crl_full(&self, ca_slug: &str) -> String {
        format!("{}/crl/{ca_slug}.crl", self.base)
    }
}

/// The CA and shard a CRL URL (or path) names — the inverse of [`Urls::crl_shard`]
/// (`…/crl/<ca>/<shard>.crl` → `(ca, Some(shard))`) and [`Urls::crl_full`]
/// (`…/crl/<ca>.crl` → `(ca, None)`). `None` for anything else.
pub fn crl_scope(url: &str) -> Option<(&str, Option<u16>)> {
    let file = url.rsplit_once("/crl/")?.1;
    match file.split_once('/') {
        None => Some((file.strip_suffix(".crl")?, None)),
        Some((ca, shard)) => Some((ca, Some(shard.strip_suffix(".crl")?.parse().ok()?))),
    }
    .filter(|(ca, _)| !ca.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crl_urls_read_back_to_their_scope() {
        let u = Urls::new("http://kyso.example/");
        assert_eq!(
            crl_scope(&u.crl_shard("citizen-ca", 7)),
            Some(("citizen-ca", Some(7)))
        );
        assert_eq!(crl_scope(&u.crl_full("root")), Some(("root", None)));
        assert_eq!(crl_scope("/crl/root.crl"), Some(("root", None)));
        for bad in [
            "/crl/root",
            "/crl/a/b/c.crl",
            "/crl/a/x.crl",
            "/crl/.crl",
            "/ocsp",
        ] {
            assert_eq!(crl_scope(bad), None, "{bad}");
        }
    }
}

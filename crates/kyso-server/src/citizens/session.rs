//! Stateless signed cookies: the citizen's session, the staff member's session and the
//! identity an OpenID provider vouched for (between its callback and the enrolment form).
//!
//! A token is `kind.b64u(subject).expiry.b64u(HMAC-SHA-256(key, kind, subject, expiry))`
//! under a key derived from the deployment's KEK, so any server process accepts it without
//! a read. Session cookies are `HttpOnly; SameSite=Strict`, so another site can neither
//! read them nor post the forms with them.

use super::ui::cookie;
use aws_lc_rs::hmac;
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kyso_core::UnixTime;

/// The citizen's session cookie.
pub(crate) const CITIZEN: Kind = Kind {
    cookie: "kyso_citizen",
    path: "/tai-khoan",
    seconds: 30 * 60,
    purpose: b"citizen sessions",
};

/// The staff member's session cookie.
pub(crate) const STAFF: Kind = Kind {
    cookie: "kyso_staff",
    // The whole site: the staff pages (`/can-bo`), the campaign pages (`/chien-dich`) and
    // the staff APIs (`/api/coverage`) share the session.
    path: "/",
    seconds: 8 * 3600,
    purpose: b"staff sessions",
};

/// The identity an OpenID provider vouched for, until the enrolment form is posted.
pub(crate) const OIDC_IDENTITY: Kind = Kind {
    cookie: "kyso_oidc_identity",
    path: "/dang-ky",
    seconds: 15 * 60,
    purpose: b"citizen oidc identity",
};

/// One kind of signed cookie.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    pub(crate) cookie: &'static str,
    pub(crate) path: &'static str,
    pub(crate) seconds: i64,
    purpose: &'static [u8],
}

fn tag(key: &[u8; 32], kind: &str, subject: &str, expires: i64) -> hmac::Tag {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    let expires = expires.to_string();
    for part in [kind.as_bytes(), subject.as_bytes(), expires.as_bytes()] {
        ctx.update(&(part.len() as u32).to_be_bytes());
        ctx.update(part);
    }
    ctx.sign()
}

/// Key-derivation label of the anti-forgery tokens' HMAC key.
const CSRF_PURPOSE: &[u8] = b"csrf tokens";

fn csrf_of(remote: &kyso_remote::RemoteSigning, cookie_name: &str, token: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &remote.derive_secret(CSRF_PURPOSE));
    let mut ctx = hmac::Context::with_key(&key);
    for part in [cookie_name.as_bytes(), token.as_bytes()] {
        ctx.update(&(part.len() as u32).to_be_bytes());
        ctx.update(part);
    }
    URL_SAFE_NO_PAD.encode(ctx.sign().as_ref())
}

impl Kind {
    fn key(&self, remote: &kyso_remote::RemoteSigning) -> [u8; 32] {
        remote.derive_secret(self.purpose)
    }

    fn name(&self) -> &'static str {
        self.cookie.trim_start_matches("kyso_")
    }

    /// A token for `subject`, valid from `now` for this kind's lifetime.
    pub(crate) fn seal(
        &self,
        remote: &kyso_remote::RemoteSigning,
        subject: &str,
        now: UnixTime,
    ) -> String {
        let expires = now.seconds() + self.seconds;
        let t = tag(&self.key(remote), self.name(), subject, expires);
        format!(
            "{}.{}.{expires}.{}",
            self.name(),
            URL_SAFE_NO_PAD.encode(subject),
            URL_SAFE_NO_PAD.encode(t.as_ref())
        )
    }

    /// The subject of a token of this kind, if its tag is right and it has not expired.
    pub(crate) fn open(
        &self,
        remote: &kyso_remote::RemoteSigning,
        token: &str,
        now: UnixTime,
    ) -> Option<String> {
        let mut parts = token.split('.');
        let (Some(kind), Some(subject), Some(expires), Some(t), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if kind != self.name() {
            return None;
        }
        let subject = String::from_utf8(URL_SAFE_NO_PAD.decode(subject).ok()?).ok()?;
        let expires: i64 = expires.parse().ok()?;
        let given = URL_SAFE_NO_PAD.decode(t).ok()?;
        let want = tag(&self.key(remote), kind, &subject, expires);
        aws_lc_rs::constant_time::verify_slices_are_equal(want.as_ref(), &given).ok()?;
        (now.seconds() < expires).then_some(subject)
    }

    /// The subject of the request's cookie of this kind.
    pub(crate) fn read(
        &self,
        remote: &kyso_remote::RemoteSigning,
        headers: &HeaderMap,
        now: UnixTime,
    ) -> Option<String> {
        self.open(remote, cookie(headers, self.cookie)?, now)
    }

    /// `Set-Cookie` for a token (`SameSite=Strict`; `Secure` behind https).
    pub(crate) fn set(&self, token: &str, secure: bool) -> HeaderValue {
        HeaderValue::from_str(&format!(
            "{}={token}; HttpOnly; SameSite=Strict; Path={}; Max-Age={}{}",
            self.cookie,
            self.path,
            self.seconds,
            if secure { "; Secure" } else { "" }
        ))
        .expect("ASCII cookie")
    }

    /// The anti-forgery token of the request's session of this kind (`None` without a
    /// session cookie): an HMAC of the cookie's value under a key derived from the KEK for
    /// this purpose alone, so a form from this session carries it and a forged post, which
    /// cannot read the page, cannot.
    pub(crate) fn csrf(
        &self,
        remote: &kyso_remote::RemoteSigning,
        headers: &HeaderMap,
    ) -> Option<String> {
        let token = cookie(headers, self.cookie)?;
        Some(csrf_of(remote, self.cookie, token))
    }

    /// Whether `given` is the anti-forgery token of the request's session of this kind.
    pub(crate) fn csrf_ok(
        &self,
        remote: &kyso_remote::RemoteSigning,
        headers: &HeaderMap,
        given: &str,
    ) -> bool {
        match self.csrf(remote, headers) {
            Some(want) if !given.is_empty() => {
                aws_lc_rs::constant_time::verify_slices_are_equal(want.as_bytes(), given.as_bytes())
                    .is_ok()
            }
            _ => false,
        }
    }

    /// `Set-Cookie` that removes this cookie.
    pub(crate) fn clear(&self) -> HeaderValue {
        HeaderValue::from_str(&format!(
            "{}=; HttpOnly; SameSite=Strict; Path={}; Max-Age=0",
            self.cookie, self.path
        ))
        .expect("ASCII cookie")
    }
}

//! `GET /openapi.json`: the OpenAPI 3.1 document of kyso's JSON endpoints (CSC, NEAC-style,
//! staff API, verification, health), with the binary PKI endpoints (OCSP, TSA, CRLs, CA
//! certificates) listed so that integrators find them. Built from the handlers'
//! `#[utoipa::path]` annotations; `tests/openapi.rs` locks it with a snapshot and checks
//! that every documented path is served.

use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kyso",
        description = "Digital signatures for Vietnamese citizens: remote signing (CSC API v2, \
            also at `/csc/v1`; a NEAC-style API for portals), the staff API, the public \
            verification service, and the PKI endpoints (OCSP, RFC 3161 TSA, CRLs, CA \
            certificates)."
    ),
    paths(
        crate::health,
        crate::log_head,
        crate::ca_certificate,
        crate::root_crl,
        crate::shard_crl,
        crate::ocsp_post,
        crate::ocsp_get,
        crate::tsa_post,
    ),
    tags(
        (name = "csc", description = "Cloud Signature Consortium API v2 (`/csc/v2`); the same \
            routes are served at `/csc/v1` (then `info` reports specs 1.0.4.0). Errors are \
            `{\"error\", \"error_description\"}`."),
        (name = "neac", description = "NEAC-style signing API for Vietnamese portals: \
            `{\"status\", \"message\", \"data\"}`; status 0 accepted, 1 signed, 4000 waiting, \
            4001 expired, 4002 rejected, 65000 quota used up, 400/401/404/500 errors. Portals \
            authenticate with `sp_id`/`sp_password` in the body."),
        (name = "staff", description = "Staff API (HTTP Basic: staff id and password; \
            `/api/coverage` also takes the staff pages' session cookie)."),
        (name = "verify", description = "Public signature verification (no login)."),
        (name = "payments", description = "Fee payments of online public-service dossiers \
            (VietQR): the payment platform's signed callback."),
        (name = "pki", description = "Binary PKI endpoints (DER)."),
        (name = "service", description = "Service status."),
    ),
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let http = |scheme, description: &str| {
            let mut h = Http::new(scheme);
            h.description = Some(description.to_owned());
            SecurityScheme::Http(h)
        };
        components.add_security_scheme(
            "csc_bearer",
            http(
                HttpAuthScheme::Bearer,
                "An access token from `oauth2/token` (client credentials).",
            ),
        );
        components.add_security_scheme(
            "client_basic",
            http(
                HttpAuthScheme::Basic,
                "The client id and secret, instead of `client_id`/`client_secret` in the body.",
            ),
        );
        components.add_security_scheme(
            "staff_basic",
            http(HttpAuthScheme::Basic, "A staff member's id and password."),
        );
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::csc::openapi());
    doc.merge(crate::neac::openapi());
    doc.merge(crate::citizens::openapi());
    doc.merge(crate::verify::openapi());
    doc.merge(crate::dossiers::openapi());
    doc.merge(crate::campaign::openapi());
    SecuritySchemes.modify(&mut doc);
    doc
}

/// `GET /openapi.json`.
pub(crate) async fn serve() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        document()
            .to_pretty_json()
            .expect("the OpenAPI document serialises")
    });
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        json.as_str(),
    )
        .into_response()
}

/// `/healthz`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct Health {
    /// `ok` or `unavailable`.
    status: String,
    /// When healthy: `sqlite` or `postgres`.
    database: Option<String>,
}

/// `/log/sth`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct TreeHead {
    tree_size: u64,
    /// Base64 Merkle root.
    root_hash: String,
    /// RFC 3339.
    timestamp: String,
    /// Unix seconds.
    timestamp_unix: i64,
    /// Base64 signature.
    signature: String,
    /// `tsa`.
    signed_by: String,
}

/// A binary (DER) body.
pub(crate) struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("Binary (DER) content"))
            .into()
    }
}

impl ToSchema for Binary {}

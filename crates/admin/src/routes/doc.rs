//! The admin's words for its route table's documentation: who may call
//! (console JWT, inner token, anyone), the envelope every answer is in, and
//! the parameters many routes share.

use common::envelope::schema as envelope;
use common::openapi::{self, int_in, object, one_of, Doc};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};

use crate::error::NO_SECRET_CODE;
use crate::inner::TOKEN_HEADER;
use crate::params;

/// The console's JWT scheme's name.
const JWT: &str = "consoleJwt";
/// The inner token scheme's name.
const INNER: &str = "innerToken";

/// The document's security schemes.
pub(super) fn schemes() -> Vec<(&'static str, SecurityScheme)> {
    let mut jwt = Http::new(HttpAuthScheme::Bearer);
    jwt.bearer_format = Some("JWT".into());
    jwt.description = Some("the `jwt` of `PUT /wxcomponent/auth`".into());
    vec![
        (JWT, SecurityScheme::Http(jwt)),
        (
            INNER,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                TOKEN_HEADER,
                "admin.inner_token (business services and the gateway)",
            ))),
        ),
    ]
}

/// Every code an admin refusal carries.
fn codes() -> Vec<i64> {
    let mut codes = envelope::wxcomponent_codes();
    codes.push(i64::from(NO_SECRET_CODE));
    codes
}

/// The envelope of an answer whose success carries `data` (none: no `data`).
pub(super) fn envelope_of(data: Option<Schema>) -> Schema {
    one_of(vec![envelope::ok(data), envelope::refusal(&codes())])
}

/// The console API's additions to [`Doc`].
pub(super) trait AdminDoc {
    /// Answers HTTP 200 with the envelope, `data` as `schema` on success.
    fn data(self, schema: Schema) -> Doc;
    /// Answers HTTP 200 with the envelope, no `data` on success.
    fn no_data(self) -> Doc;
    /// The required `?appid=` of a mini program or account.
    fn appid(self) -> Doc;
    /// The console's paging: `offset` and `limit` (1 to `max`).
    fn page(self, max: i64) -> Doc;
}

impl AdminDoc for Doc {
    fn data(self, schema: Schema) -> Doc {
        self.response(
            200,
            "the envelope: code 0 and data, or a refusal's code",
            Some(("application/json", envelope_of(Some(schema)))),
        )
    }

    fn no_data(self) -> Doc {
        self.response(
            200,
            "the envelope: code 0, or a refusal's code",
            Some(("application/json", envelope_of(None))),
        )
    }

    fn appid(self) -> Doc {
        self.query("appid", params::appid_schema(), true)
    }

    fn page(self, max: i64) -> Doc {
        self.query("offset", int_in(0, i64::from(i32::MAX)), false)
            .query("limit", int_in(1, max), false)
    }
}

/// A console route (JWT required).
pub(super) fn console(tag: &'static str, summary: &'static str) -> Doc {
    Doc::new(tag, summary).security(JWT)
}

/// A route anyone may call (login, the authorization pages).
pub(super) fn public(tag: &'static str, summary: &'static str) -> Doc {
    Doc::new(tag, summary)
}

/// An inner API route: the inner token, and 401 without it.
pub(super) fn inner(summary: &'static str) -> Doc {
    Doc::new("inner", summary).security(INNER).response(
        401,
        "no or a wrong inner token",
        Some(("application/json", envelope::refusal(&codes()))),
    )
}

/// `{total, records: [...]}` of a list page; records described loosely.
pub(super) fn page_of(records_key: &'static str) -> Schema {
    object(&[
        ("total", openapi::int(), true),
        (records_key, openapi::array(object(&[])), true),
    ])
}

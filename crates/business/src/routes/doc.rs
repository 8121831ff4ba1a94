//! The business service's words for its route table's documentation: who
//! may call (the operator token, a login token, anyone) and the two answer
//! shapes (the templates' `{code, data}` / `{code: -1, errorMsg}` and
//! WeChat's own on the official-account routes).

use common::openapi::{self, any, array, closed_object, constant, int, object, string, Doc};
use serde_json::json;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

/// The operator scheme's name (`business.api_token`).
const OPERATOR: &str = "operatorToken";
/// The login scheme's name (the token of `GET /api/login`).
pub(super) const LOGIN: &str = "loginToken";

/// The document's security schemes.
pub(super) fn schemes() -> Vec<(&'static str, SecurityScheme)> {
    let mut operator = Http::new(HttpAuthScheme::Bearer);
    operator.description = Some("business.api_token".into());
    let mut login = Http::new(HttpAuthScheme::Bearer);
    login.bearer_format = Some("JWT".into());
    login.description = Some("the token of GET /api/login".into());
    vec![
        (OPERATOR, SecurityScheme::Http(operator)),
        (LOGIN, SecurityScheme::Http(login)),
    ]
}

/// `{code: -1, errorMsg}`: every failure of the templates' routes.
pub(super) fn failure() -> Schema {
    closed_object(&[
        ("code", constant(json!(-1)), true),
        ("errorMsg", string(), true),
    ])
}

/// An appid as the business routes accept it.
pub(super) fn appid() -> Schema {
    openapi::string_pattern("^[A-Za-z0-9]{1,64}$")
}

/// An openid as the official-account routes accept it.
pub(super) fn openid() -> Schema {
    openapi::string_pattern("^[A-Za-z0-9_-]{1,64}$")
}

/// `{tagid, openid_list}` of the batch tagging routes.
pub(super) fn batch() -> Schema {
    object(&[
        ("tagid", string(), true),
        ("openid_list", array(openid()), true),
    ])
}

/// The failures every templates' route may answer.
fn failures(doc: Doc) -> Doc {
    let failure = Some(("application/json", failure()));
    doc.response(
        400,
        "the input is unusable; errorMsg says what to send",
        failure.clone(),
    )
    .response(
        502,
        "the token manager or WeChat could not be reached",
        failure.clone(),
    )
    .response(503, "the database is unavailable", failure.clone())
    .response(500, "an internal failure", failure)
}

/// The business routes' additions to [`Doc`].
pub(super) trait BusinessDoc {
    /// Answers 200 `{code: 0, data}` with `data` as `schema`.
    fn data(self, schema: Schema) -> Doc;
}

impl BusinessDoc for Doc {
    fn data(self, schema: Schema) -> Doc {
        self.response(
            200,
            "success",
            Some((
                "application/json",
                closed_object(&[("code", constant(json!(0)), true), ("data", schema, true)]),
            )),
        )
    }
}

/// A templates' route anyone may call.
pub(super) fn app(tag: &'static str, summary: &'static str) -> Doc {
    failures(Doc::new(tag, summary)).response(
        401,
        "no or an invalid login token",
        Some(("application/json", failure())),
    )
}

/// A templates' route for the operator.
pub(super) fn operator(tag: &'static str, summary: &'static str) -> Doc {
    failures(Doc::new(tag, summary).security(OPERATOR))
        .response(
            401,
            "no or a wrong operator token",
            Some(("application/json", failure())),
        )
        .response(
            403,
            "business.api_token is not configured",
            Some(("application/json", failure())),
        )
}

/// An official-account route: the operator token, `?appid=`, and WeChat's
/// answer as it is (`{errcode, errmsg}` for our own refusals).
pub(super) fn wechat(summary: &'static str) -> Doc {
    let wechat_error = Some((
        "application/json",
        object(&[("errcode", int(), true), ("errmsg", string(), true)]),
    ));
    Doc::new("official-account", summary)
        .security(OPERATOR)
        .query("appid", appid(), true)
        .response(200, "WeChat's answer", Some(("application/json", any())))
        .response(
            400,
            "the input is unusable (WeChat-style errcode -1), or the account has not \
             authorized the platform (code -1)",
            wechat_error.map(|(t, s)| (t, openapi::one_of(vec![s, failure()]))),
        )
        .response(
            401,
            "no or a wrong operator token",
            Some(("application/json", failure())),
        )
        .response(
            403,
            "business.api_token is not configured",
            Some(("application/json", failure())),
        )
        .response(
            502,
            "the token manager or WeChat could not be reached",
            Some(("application/json", failure())),
        )
        .response(
            503,
            "the database is unavailable",
            Some(("application/json", failure())),
        )
        .response(
            500,
            "an internal failure",
            Some(("application/json", failure())),
        )
}

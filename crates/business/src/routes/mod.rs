//! HTTP routes; thin handlers over the domain modules.
//!
//! Every API route is one line of the [`api!`] table: method, path, handler
//! (and middleware), and its [`Doc`]. The table registers the actix route
//! and makes the operation of the OpenAPI document at `/api/openapi.json`,
//! so the two cannot drift apart. `/healthz` is not an API operation.

mod autoreply;
mod binding;
mod counter;
mod doc;
mod health;
mod login;
mod message;
mod oa;

use std::sync::OnceLock;

use actix_web::http::Method;
use actix_web::middleware::DefaultHeaders;
use actix_web::{guard, web, HttpResponse};
use common::openapi::{self, int, int_in, object, string, Operation};

use self::doc::{app, operator, wechat, BusinessDoc as _};

/// `X-Served-By` on the counter's answers: the replica that answered (its
/// `HOSTNAME`, a container's id under Docker), so an operator or the compose
/// test can see requests spread over the replicas behind the gateway.
fn served_by() -> DefaultHeaders {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 64
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        })
        .unwrap_or_else(|| "-".to_string());
    DefaultHeaders::new().add(("x-served-by", host))
}

/// Declares the API routes once: `method "path" => handler [middleware],
/// doc;` lines become [`register_api`] (actix resources, each guarded by
/// its method, then 405 for the path's other methods) and [`operations`]
/// (the OpenAPI operations), in order.
macro_rules! api {
    ($( $method:ident $path:literal => $handler:path $([$wrap:expr])?, $doc:expr; )*) => {
        /// Registers every API route of the table.
        fn register_api(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource($path)
                        .guard(guard::Method(method_of(stringify!($method))))
                        $(.wrap($wrap))?
                        .route(web::$method().to($handler)),
                );
            )*
            // After every method's resource: a known path with another
            // method is 405, as one resource with several routes answers.
            $( cfg.service(web::resource($path).to(HttpResponse::MethodNotAllowed)); )*
        }

        /// Every API route of the table with its documentation.
        pub(crate) fn operations() -> Vec<Operation> {
            vec![$(
                Operation {
                    method: openapi::method(stringify!($method)),
                    path: $path,
                    doc: $doc,
                },
            )*]
        }
    };
}

/// actix's method for a table's lowercase method word.
fn method_of(word: &str) -> Method {
    match word {
        "post" => Method::POST,
        "put" => Method::PUT,
        "delete" => Method::DELETE,
        _ => Method::GET,
    }
}

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz));
    register_api(cfg);
}

/// The OpenAPI document of the business API.
async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    openapi::respond(&DOCUMENT, || {
        openapi::document(
            "wxcomponent-rs business (example)",
            "The example business service: the counter, mini-program login, business-id \
             binding, keyword auto-reply and official-account management. Answers are \
             {code: 0, data} on success and {code: -1, errorMsg} on failure; the \
             official-account routes answer like WeChat ({errcode, errmsg}).",
            &operations(),
            doc::schemes(),
            TAGS,
        )
    })
}

/// The document's tags.
const TAGS: &[(&str, &str)] = &[
    ("counter", "the Cloud Run templates' counter"),
    (
        "login",
        "mini-program login and the example protected route",
    ),
    (
        "binding",
        "binding a business id from the authorization redirect",
    ),
    ("autoreply", "keyword auto-reply rules (operator token)"),
    ("messages", "the target of forwarded messages"),
    (
        "official-account",
        "official-account management through authorizer tokens (operator token)",
    ),
    ("docs", "this document"),
];

api! {
    get "/api/openapi.json" => openapi_json,
        openapi::Doc::new("docs", "This OpenAPI document")
            .response(200, "the document", Some(("application/json", object(&[("openapi", string(), true)]))));

    get "/api/count" => counter::get_count [served_by()],
        app("counter", "The current count").data(int());
    post "/api/count" => counter::update_count [served_by()],
        app("counter", "inc adds one, clear resets; the new count")
            .body("application/json", object(&[("action", openapi::one_of_strings(&["inc", "clear"]), true)]))
            .data(int());

    get "/api/login" => login::login,
        app("login", "Exchanges a wx.login code for our token")
            .query("code", string(), true)
            .query("appid", doc::appid(), false)
            .data(object(&[("token", string(), true)]));
    get "/api/me" => login::me,
        app("login", "Who the caller of a login token is")
            .security(doc::LOGIN)
            .data(object(&[
                ("openid", string(), true),
                ("appid", string(), true),
                ("expiresAt", int(), true),
                ("session", openapi::boolean(), true),
            ]));

    post "/api/bind" => binding::bind,
        app("binding", "Exchanges the redirect's auth code and binds the business id")
            .body("application/json", object(&[("authCode", string(), true), ("bizId", string(), true)]))
            .data(object(&[]));
    get "/api/bind" => binding::query,
        app("binding", "The binding of bizId, null when unbound")
            .query("bizId", string(), true)
            .data(openapi::nullable(object(&[])));

    post "/api/wx/message/{appid}" => message::handle,
        openapi::Doc::new("messages", "Answers a forwarded WeChat message (XML or JSON): a passive reply or success")
            .path("appid", string())
            .body("application/json", object(&[]))
            .response(200, "the passive reply in the message's format, or the text success", None)
            .response(400, "not a WeChat message", Some(("application/json", doc::failure())));

    get "/api/autoreply" => autoreply::list,
        operator("autoreply", "Rules of an account (with the global ones), or all")
            .query("appid", string(), false)
            .data(openapi::array(object(&[])));
    post "/api/autoreply" => autoreply::create,
        operator("autoreply", "Creates a rule")
            .body("application/json", object(&[
                ("keyword", string(), true),
                ("match", openapi::one_of_strings(&["exact", "contains"]), true),
                ("reply", object(&[("type", openapi::one_of_strings(&["text", "news"]), true)]), true),
            ]))
            .data(object(&[]));
    delete "/api/autoreply/{id}" => autoreply::delete,
        operator("autoreply", "Deletes a rule")
            .path("id", int_in(i64::from(i32::MIN), i64::from(i32::MAX)))
            .data(object(&[("id", int(), true)]))
            .response(404, "no such rule", Some(("application/json", doc::failure())));

    post "/api/v0.1/cgi-bin/menu" => oa::menu_create,
        wechat("Creates the account's menu").body("application/json", object(&[]));
    get "/api/v0.1/cgi-bin/menu" => oa::menu_get,
        wechat("The account's menu");
    delete "/api/v0.1/cgi-bin/menu" => oa::menu_delete,
        wechat("Deletes the account's menu");
    post "/api/v0.1/cgi-bin/tags" => oa::tags_create,
        wechat("Creates a user tag").body("application/json", object(&[("name", string_bytes(30), true)]));
    get "/api/v0.1/cgi-bin/tags" => oa::tags_get,
        wechat("The account's user tags");
    put "/api/v0.1/cgi-bin/tags" => oa::tags_update,
        wechat("Renames a user tag").body("application/json", object(&[
            ("id", string(), true),
            ("name", string_bytes(30), true),
        ]));
    delete "/api/v0.1/cgi-bin/tags" => oa::tags_delete,
        wechat("Deletes a user tag").body("application/json", object(&[("id", string(), true)]));
    get "/api/v0.1/cgi-bin/user/tags" => oa::user_tags_get,
        wechat("The users of tagid, or the tags of openid")
            .query("tagid", string(), false)
            .query("openid", doc::openid(), false);
    put "/api/v0.1/cgi-bin/user/tags" => oa::user_tags_tag,
        wechat("Tags 1-50 users").body("application/json", doc::batch());
    delete "/api/v0.1/cgi-bin/user/tags" => oa::user_tags_untag,
        wechat("Untags 1-50 users").body("application/json", doc::batch());
    put "/api/v0.1/cgi-bin/user/remark" => oa::user_remark,
        wechat("Sets a user's remark").body("application/json", object(&[
            ("openid", doc::openid(), true),
            ("remark", string_bytes(30), false),
        ]));
}

/// A string of at most `max` bytes, as WeChat counts (UTF-8): at most
/// `max` characters is the most a schema can say, `max / 3` the least.
fn string_bytes(max: usize) -> utoipa::openapi::schema::Schema {
    openapi::string_max(max / 3)
}

//! HTTP routes; thin handlers over the domain modules. Paths, methods and
//! camelCase fields are wxcomponent's (`api/admin/routers.go`,
//! `api/authpage`, `api/innerservice`), plus the proxy-route list, the
//! authorization-link endpoint, `/inner/routes` and `/healthz`.
//!
//! Every API route is one line of the [`api!`] table below: method, path,
//! handler and its [`Doc`]. The table registers the actix route and makes the
//! operation of the OpenAPI document served at `/wxcomponent/openapi.json`,
//! so the two cannot drift apart. The console's pages and files and
//! `/healthz` are not API operations and are registered outside it.

mod authorizers;
mod authpage;
mod bindings;
mod campaigns;
mod console;
mod devweapp;
mod doc;
mod domains;
mod health;
mod inner;
mod miniprogram;
mod overview;
mod proxy;
mod records;
mod rules;
mod session;
mod settings;
mod tokens;

use std::sync::OnceLock;

use actix_web::{web, HttpResponse};
use common::envelope::Envelope;
use common::openapi::{
    self, array, boolean, int, int_in, nullable, object, one_of_ints, one_of_strings, string,
    string_max, Operation,
};
use serde::Serialize;

use self::doc::{console, inner, page_of, public, AdminDoc as _};

/// `{"code":0,"errorMsg":"OK","data":...}`.
pub(crate) fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok(data))
}

/// `{"code":0,"errorMsg":"OK"}`.
pub(crate) fn ok_empty() -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok_empty())
}

/// Declares the API routes once: `method "path" => handler, doc;` lines
/// become [`register_api`] (the actix routes) and [`operations`] (the
/// OpenAPI operations), in the same order.
macro_rules! api {
    ($( $method:ident $path:literal => $handler:path, $doc:expr; )*) => {
        /// Registers every API route of the table.
        fn register_api(cfg: &mut web::ServiceConfig) {
            $( cfg.route($path, web::$method().to($handler)); )*
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

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz));
    register_api(cfg);
    console::assets(cfg);
    console::pages(cfg);
}

/// The OpenAPI document of the admin, console and inner APIs.
async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    openapi::respond(&DOCUMENT, || {
        openapi::document(
            "wxcomponent-rs admin",
            "The token manager's console API (wxcomponent-compatible, under /wxcomponent) and \
             inner API (/inner, for business services and the gateway). Every /wxcomponent \
             answer is HTTP 200 with the envelope {code, errorMsg, data}: code 0 is success, \
             any other code a refusal (see errorMsg and data).",
            &operations(),
            doc::schemes(),
            TAGS,
        )
    })
}

/// The document's tags, in the console's order.
const TAGS: &[(&str, &str)] = &[
    (
        "auth",
        "log in, renew the JWT, change username and password",
    ),
    ("authpage", "the authorization pages (no login)"),
    ("overview", "the console's home page"),
    ("tokens", "ticket and tokens"),
    ("records", "WeChat's pushes and the release check"),
    ("rules", "message forward rules"),
    (
        "authorizers",
        "authorized accounts and business-id bindings",
    ),
    (
        "miniprograms",
        "managed mini programs: code, audit, release, testers, privacy",
    ),
    ("domains", "server and business domains"),
    ("campaigns", "release campaigns"),
    ("settings", "secret, component info, proxy rule and routes"),
    (
        "inner",
        "the inner API for business services and the gateway",
    ),
    ("docs", "this document"),
];

/// `{jwt}`.
fn jwt() -> utoipa::openapi::schema::Schema {
    object(&[("jwt", string(), true)])
}

/// `{token}`.
fn token() -> utoipa::openapi::schema::Schema {
    object(&[("token", string(), true)])
}

/// `{fileName, fileContent}` of a domain confirmation file.
fn confirm_file() -> utoipa::openapi::schema::Schema {
    object(&[
        ("fileName", string(), true),
        ("fileContent", string(), true),
    ])
}

api! {
    get "/wxcomponent/openapi.json" => openapi_json,
        public("docs", "This OpenAPI document")
            .response(200, "the document", Some(("application/json", object(&[("openapi", string(), true)]))));

    // the inner API
    get "/inner/component-access-token" => inner::component_token,
        inner("A usable component_access_token").data(token());
    get "/inner/authorizer-access-token" => inner::authorizer_token,
        inner("A usable authorizer_access_token of appid").appid().data(token());
    post "/inner/token-rejected" => inner::token_rejected,
        inner("Reports a token WeChat rejected; answers the token now current")
            .json_body::<inner::RejectedBody>()
            .data(object(&[("invalidated", boolean(), true), ("token", string(), true)]));
    get "/inner/ticket" => inner::ticket,
        inner("The latest component_verify_ticket").data(object(&[("ticket", string(), true)]));
    post "/inner/bindings" => bindings::bind,
        inner("Exchanges an auth code and binds a business id to the account")
            .json_body::<crate::bindings::BindRequest>()
            .data(object(&[("bizId", string(), true), ("appid", string(), true)]));
    get "/inner/bindings" => bindings::find,
        inner("The binding of bizId, null when unbound")
            .query("bizId", string_max(common::db::bindings::BIZ_ID_WIDTH), true)
            .data(nullable(object(&[("bizId", string(), true), ("appid", string(), true)])));
    get "/inner/routes" => inner::routes,
        inner("The gateway's routing document (ETag, If-None-Match)")
            .data(object(&[]))
            .response(304, "unchanged since the ETag sent", None)
            .response(503, "the database did not answer", Some(("application/json", doc::envelope_of(None))));

    // session
    put "/wxcomponent/auth" => session::login,
        public("auth", "Logs in with the username and md5(password)")
            .json_body::<session::LoginBody>()
            .data(jwt());
    get "/wxcomponent/admin/refresh-auth" => session::refresh,
        console("auth", "A fresh JWT of the same session").data(jwt());
    post "/wxcomponent/admin/username" => session::change_username,
        console("auth", "Renames the logged-in user").json_body::<session::UsernameBody>().no_data();
    post "/wxcomponent/admin/userpwd" => session::change_password,
        console("auth", "Changes the password; other sessions end")
            .json_body::<session::PasswordBody>()
            .data(jwt());

    // authorization pages
    get "/wxcomponent/authpage/componentinfo" => authpage::component_info,
        public("authpage", "The platform's name, description, redirect URL and appid").data(object(&[]));
    get "/wxcomponent/authpage/preauthcode" => authpage::preauthcode,
        public("authpage", "A new pre-auth code").data(object(&[("preAuthCode", string(), true)]));
    get "/wxcomponent/authpage/authorization-links" => authpage::authorization_links,
        public("authpage", "PC and H5 authorization links and their QR codes")
            .query("redirect_uri", openapi::string_pattern("^https?://"), true)
            .query("auth_type", int_in(1, 6), false)
            .query("biz_appid", crate::params::appid_schema(), false)
            .data(object(&[
                ("preAuthCode", string(), true),
                ("expiresIn", int(), true),
                ("pcUrl", string(), true),
                ("h5Url", string(), true),
                ("pcQrSvg", string(), true),
                ("h5QrSvg", string(), true),
            ]));

    // 概览
    get "/wxcomponent/admin/overview" => overview::get,
        console("overview", "The console's home page in one answer").data(object(&[]));

    // 第三方token
    get "/wxcomponent/admin/cloudbase-access-token" => tokens::cloudbase_token,
        console("tokens", "Cloud Run's token: not available here (1008)").no_data();
    get "/wxcomponent/admin/component-access-token" => tokens::component_token,
        console("tokens", "A usable component_access_token").data(token());
    get "/wxcomponent/admin/authorizer-access-token" => tokens::authorizer_token,
        console("tokens", "A usable authorizer_access_token of appid").appid().data(token());
    get "/wxcomponent/admin/ticket" => tokens::ticket,
        console("tokens", "The latest component_verify_ticket").data(object(&[("ticket", string(), true)]));

    // 消息与事件
    get "/wxcomponent/admin/wx-component-records" => records::component_records,
        console("records", "Pushes to the component URL")
            .query("startTime", int_in(0, crate::records::MAX_TIME), false)
            .query("endTime", int_in(0, crate::records::MAX_TIME), false)
            .query("infoType", string(), false)
            .query("appid", crate::params::appid_schema(), false)
            .page(crate::records::MAX_LIMIT)
            .data(page_of("records"));
    get "/wxcomponent/admin/wx-biz-records" => records::biz_records,
        console("records", "Pushes to the message URL")
            .query("startTime", int_in(0, crate::records::MAX_TIME), false)
            .query("endTime", int_in(0, crate::records::MAX_TIME), false)
            .query("appid", string(), false)
            .query("msgType", string(), false)
            .query("event", string(), false)
            .page(crate::records::MAX_LIMIT)
            .data(page_of("records"));
    get "/wxcomponent/admin/callback-config" => records::callback_config,
        console("records", "Where WeChat's pushes must be configured to go").data(object(&[
            ("componentPath", string(), true),
            ("bizPath", string(), true),
            ("textMode", one_of_strings(&["json", "xml"]), true),
        ]));
    get "/wxcomponent/admin/release-check" => records::release_check,
        console("records", "Which steps of the full-network-release check arrived").data(object(&[
            ("testAppids", array(string()), true),
            ("steps", array(object(&[])), true),
        ]));

    // 转发规则
    get "/wxcomponent/admin/callback-proxy-rule-list" => rules::list,
        console("rules", "Forward rules: type 0 all, 1 component, 2 messages")
            .query("type", one_of_ints(&[0, 1, 2]), false)
            .page(1000)
            .data(page_of("rules"));
    post "/wxcomponent/admin/callback-proxy-rule" => rules::update,
        console("rules", "Updates the rule id").json_body::<crate::rules::RuleInput>().no_data();
    put "/wxcomponent/admin/callback-proxy-rule" => rules::add,
        console("rules", "Adds a rule").json_body::<crate::rules::RuleInput>().no_data();
    delete "/wxcomponent/admin/callback-proxy-rule" => rules::delete,
        console("rules", "Deletes the rule ?id=").query("id", int(), true).no_data();
    post "/wxcomponent/admin/callback-test" => rules::test,
        console("rules", "Sends a sample push to the rule's target; data is its answer")
            .json_body::<rules::TestBody>()
            .data(string());

    // 授权账号
    post "/wxcomponent/admin/pull-authorizer-list" => authorizers::pull,
        console("authorizers", "Re-reads every authorizer from WeChat").data(object(&[]));
    get "/wxcomponent/admin/authorizer-list" => authorizers::list,
        console("authorizers", "Authorized accounts")
            .page(crate::authorizers::MAX_LIST_LIMIT)
            .query("appid", crate::params::appid_schema(), false)
            .query("q", string_max(64), false)
            .query("appType", one_of_ints(&[0, 1]), false)
            .data(page_of("records"));
    get "/wxcomponent/admin/bindings" => bindings::list,
        console("authorizers", "Business-id bindings")
            .page(bindings::MAX_LIST_LIMIT)
            .query("bizId", string_max(common::db::bindings::BIZ_ID_WIDTH), false)
            .query("appid", crate::params::appid_schema(), false)
            .data(page_of("records"));
    post "/wxcomponent/admin/unbind" => bindings::unbind,
        console("authorizers", "Removes the binding of bizId").json_body::<bindings::UnbindBody>().no_data();

    // 代开发小程序
    get "/wxcomponent/admin/dev-weapp-list" => devweapp::list,
        console("miniprograms", "Managed mini programs")
            .page(20)
            .query("appid", crate::params::appid_schema(), false)
            .data(page_of("records"));
    post "/wxcomponent/admin/submit-audit" => devweapp::submit_audit,
        console("miniprograms", "Submits the experience version for audit")
            .appid()
            .body("application/json", object(&[]))
            .data(object(&[("auditId", int(), true)]));
    get "/wxcomponent/admin/dev-versions" => devweapp::versions,
        console("miniprograms", "Audit, release and experience versions").appid().data(object(&[]));
    get "/wxcomponent/admin/template-list" => devweapp::templates,
        console("miniprograms", "The template library")
            .query("templateType", int_in(0, 1), false)
            .data(object(&[]));
    get "/wxcomponent/admin/draft-list" => devweapp::drafts,
        console("miniprograms", "The drafts").data(object(&[]));
    post "/wxcomponent/admin/add-to-template" => devweapp::add_to_template,
        console("miniprograms", "Turns a draft into a template")
            .json_body::<crate::devweapp::AddToTemplate>()
            .no_data();
    post "/wxcomponent/admin/delete-template" => devweapp::delete_template,
        console("miniprograms", "Deletes a template")
            .json_body::<crate::devweapp::DeleteTemplate>()
            .no_data();
    post "/wxcomponent/admin/revoke-audit" => devweapp::revoke_audit,
        console("miniprograms", "Withdraws the pending audit").appid().no_data();
    post "/wxcomponent/admin/speed-up-audit" => devweapp::speed_up_audit,
        console("miniprograms", "Speeds up an audit (the latest when auditId is absent)")
            .appid()
            .query("auditId", int_in(1, i64::MAX), false)
            .no_data();
    post "/wxcomponent/admin/commit-code" => devweapp::commit_code,
        console("miniprograms", "Uploads code from a template")
            .appid()
            .json_body::<crate::devweapp::CommitCode>()
            .no_data();
    post "/wxcomponent/admin/release-code" => devweapp::release_code,
        console("miniprograms", "Releases the approved version").appid().no_data();
    post "/wxcomponent/admin/upload-media" => devweapp::upload_media,
        console("miniprograms", "Uploads the multipart file field media as temporary media")
            .appid()
            .query("type", string(), true)
            .body("multipart/form-data", object(&[("media", openapi::binary(), true)]))
            .data(object(&[]));
    post "/wxcomponent/admin/change-visit-status" => devweapp::change_visit_status,
        console("miniprograms", "Opens or closes the service")
            .appid()
            .json_body::<devweapp::VisitBody>()
            .no_data();
    post "/wxcomponent/admin/rollback-release-version" => devweapp::rollback,
        console("miniprograms", "Rolls back to the previous online version").appid().no_data();
    get "/wxcomponent/admin/page-list" => devweapp::pages,
        console("miniprograms", "The pages of the code").appid().data(object(&[]));
    get "/wxcomponent/admin/category" => devweapp::categories,
        console("miniprograms", "The categories").appid().data(object(&[]));
    get "/wxcomponent/admin/qrcode" => devweapp::qrcode,
        console("miniprograms", "The mini-program code as base64")
            .appid()
            .data(object(&[("releaseQrCode", string(), true)]));
    get "/wxcomponent/admin/privacy-setting" => miniprogram::privacy_setting,
        console("miniprograms", "The privacy guide")
            .appid()
            .query("privacyVer", one_of_ints(&[1, 2]), false)
            .data(object(&[]));
    post "/wxcomponent/admin/privacy-setting" => miniprogram::set_privacy_setting,
        console("miniprograms", "Sets the privacy guide")
            .json_body::<miniprogram::SetPrivacyBody>()
            .data(object(&[]));
    post "/wxcomponent/admin/upload-privacy-file" => miniprogram::upload_privacy_file,
        console("miniprograms", "Uploads a custom privacy guide (multipart field file)")
            .appid()
            .body("multipart/form-data", object(&[("file", openapi::binary(), true)]))
            .data(object(&[("extFileMediaId", string(), true)]));
    get "/wxcomponent/admin/testers" => miniprogram::testers,
        console("miniprograms", "Experience members").appid().data(object(&[("members", array(object(&[])), true)]));
    post "/wxcomponent/admin/bind-tester" => miniprogram::bind_tester,
        console("miniprograms", "Adds an experience member")
            .json_body::<miniprogram::BindTesterBody>()
            .data(object(&[("userstr", string(), true)]));
    post "/wxcomponent/admin/unbind-tester" => miniprogram::unbind_tester,
        console("miniprograms", "Removes an experience member (wechatid or userstr)")
            .json_body::<miniprogram::UnbindTesterBody>()
            .data(object(&[]));
    get "/wxcomponent/admin/audit-status" => miniprogram::audit_status,
        console("miniprograms", "The status of an audit")
            .appid()
            .query("auditId", int_in(1, i64::MAX), true)
            .data(object(&[]));
    get "/wxcomponent/admin/audit-quota" => miniprogram::audit_quota,
        console("miniprograms", "The audit and speed-up quota").appid().data(object(&[]));
    get "/wxcomponent/admin/audit-state" => miniprogram::audit_state,
        console("miniprograms", "The stored state of the latest audit, null when none")
            .appid()
            .data(nullable(object(&[])));
    post "/wxcomponent/admin/gray-release" => miniprogram::gray_release,
        console("miniprograms", "Starts a phased release")
            .json_body::<miniprogram::GrayBody>()
            .data(object(&[]));
    get "/wxcomponent/admin/gray-release-plan" => miniprogram::gray_release_plan,
        console("miniprograms", "The phased release plan").appid().data(object(&[]));
    post "/wxcomponent/admin/revert-gray-release" => miniprogram::revert_gray_release,
        console("miniprograms", "Withdraws the running phased release")
            .json_body::<miniprogram::AppidBody>()
            .data(object(&[]));

    // 域名管理
    get "/wxcomponent/admin/platform-server-domain" => domains::platform_server,
        console("domains", "The platform's server domains").data(object(&[]));
    post "/wxcomponent/admin/platform-server-domain" => domains::modify_platform_server,
        console("domains", "Changes the platform's server domains")
            .json_body::<crate::domains::PlatformDomainChange>()
            .data(object(&[]));
    get "/wxcomponent/admin/platform-jump-domain" => domains::platform_jump,
        console("domains", "The platform's business domains").data(object(&[]));
    post "/wxcomponent/admin/platform-jump-domain" => domains::modify_platform_jump,
        console("domains", "Changes the platform's business domains")
            .json_body::<crate::domains::PlatformDomainChange>()
            .data(object(&[]));
    get "/wxcomponent/admin/domain-confirm-file" => domains::platform_confirm_file,
        console("domains", "What each platform business domain serves").data(confirm_file());
    get "/wxcomponent/admin/server-domain" => domains::server_domain,
        console("domains", "A mini program's server domains")
            .appid()
            .query("directly", boolean(), false)
            .data(object(&[]));
    post "/wxcomponent/admin/server-domain" => domains::modify_server_domain,
        console("domains", "Changes a mini program's server domains")
            .body("application/json", object(&[
                ("appid", crate::params::appid_schema(), true),
                ("action", one_of_strings(&["add", "delete", "set", "get"]), true),
            ]))
            .data(object(&[]));
    get "/wxcomponent/admin/effective-domain" => domains::effective_domain,
        console("domains", "The domains in effect and where they come from").appid().data(object(&[]));
    get "/wxcomponent/admin/webview-domain" => domains::webview_domain,
        console("domains", "A mini program's business domains")
            .appid()
            .query("directly", boolean(), false)
            .data(object(&[]));
    post "/wxcomponent/admin/webview-domain" => domains::modify_webview_domain,
        console("domains", "Changes a mini program's business domains")
            .body("application/json", object(&[
                ("appid", crate::params::appid_schema(), true),
                ("action", one_of_strings(&["add", "delete", "set", "get"]), true),
                ("webviewDomain", array(string()), false),
            ]))
            .data(object(&[]));
    get "/wxcomponent/admin/webview-domain-confirm-file" => domains::webview_confirm_file,
        console("domains", "What a business domain set directly must serve").appid().data(confirm_file());

    // 批量发版
    post "/wxcomponent/admin/campaigns" => campaigns::create,
        console("campaigns", "Creates and starts a campaign")
            .body("application/json", object(&[]))
            .data(object(&[("id", int(), true)]));
    get "/wxcomponent/admin/campaigns" => campaigns::list,
        console("campaigns", "Campaigns").page(campaigns::MAX_LIMIT).data(page_of("records"));
    get "/wxcomponent/admin/campaign" => campaigns::get,
        console("campaigns", "One campaign").query("id", int_in(1, i64::from(i32::MAX)), true).data(object(&[]));
    get "/wxcomponent/admin/campaign-accounts" => campaigns::accounts,
        console("campaigns", "A campaign's mini programs")
            .query("id", int_in(1, i64::from(i32::MAX)), true)
            .query("state", one_of_strings(&crate::campaigns::store::ACCOUNT_STATES.map(|s| s.as_str())), false)
            .page(campaigns::MAX_LIMIT)
            .data(page_of("records"));
    post "/wxcomponent/admin/campaign-pause" => campaigns::pause,
        console("campaigns", "Stops claiming the campaign's accounts").json_body::<campaigns::IdBody>().no_data();
    post "/wxcomponent/admin/campaign-resume" => campaigns::resume,
        console("campaigns", "Works a paused campaign again").json_body::<campaigns::IdBody>().no_data();
    post "/wxcomponent/admin/campaign-cancel" => campaigns::cancel,
        console("campaigns", "Cancels the accounts not yet submitted").json_body::<campaigns::IdBody>().no_data();
    post "/wxcomponent/admin/campaign-retry" => campaigns::retry,
        console("campaigns", "Puts failed and rejected accounts back to work")
            .json_body::<campaigns::IdBody>()
            .data(object(&[("requeued", int(), true)]));

    // 设置
    post "/wxcomponent/admin/secret" => settings::set_secret,
        console("settings", "Stores the component secret").json_body::<settings::SecretBody>().no_data();
    get "/wxcomponent/admin/secret" => settings::get_secret,
        console("settings", "The component secret, masked").data(object(&[("secret", string(), true)]));
    post "/wxcomponent/admin/componentinfo" => settings::set_component_info,
        console("settings", "Stores the authorization pages' info")
            .json_body::<crate::platform::ComponentInfo>()
            .no_data();
    get "/wxcomponent/admin/proxy" => proxy::get_config,
        console("settings", "wxcomponent's single proxy rule").data(object(&[
            ("open", boolean(), true),
            ("port", int(), true),
        ]));
    post "/wxcomponent/admin/proxy" => proxy::set_config,
        console("settings", "Sets the single proxy rule").json_body::<proxy::ConfigBody>().no_data();
    get "/wxcomponent/admin/proxy-routes" => proxy::list,
        console("settings", "The gateway's proxy routes").data(page_of("routes"));
    put "/wxcomponent/admin/proxy-route" => proxy::add,
        console("settings", "Adds a proxy route").json_body::<crate::proxy::RouteInput>().no_data();
    post "/wxcomponent/admin/proxy-route" => proxy::update,
        console("settings", "Updates the proxy route id").json_body::<crate::proxy::RouteInput>().no_data();
    delete "/wxcomponent/admin/proxy-route" => proxy::delete,
        console("settings", "Deletes the proxy route ?id=").query("id", int_in(1, i64::MAX), true).no_data();
}

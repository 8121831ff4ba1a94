//! HTTP routes; thin handlers over the domain modules. Paths, methods and
//! camelCase fields are wxcomponent's (`api/admin/routers.go`,
//! `api/authpage`, `api/innerservice`), plus the proxy-route list, the
//! authorization-link endpoint, `/inner/routes` and `/healthz`.

mod authorizers;
mod authpage;
mod bindings;
mod campaigns;
mod console;
mod devweapp;
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

use actix_web::{web, HttpResponse};
use common::envelope::Envelope;
use serde::Serialize;

/// `{"code":0,"errorMsg":"OK","data":...}`.
pub(crate) fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok(data))
}

/// `{"code":0,"errorMsg":"OK"}`.
pub(crate) fn ok_empty() -> HttpResponse {
    HttpResponse::Ok().json(Envelope::ok_empty())
}

/// Registers every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .service(
            web::scope("/inner")
                .route(
                    "/component-access-token",
                    web::get().to(inner::component_token),
                )
                .route(
                    "/authorizer-access-token",
                    web::get().to(inner::authorizer_token),
                )
                .route("/token-rejected", web::post().to(inner::token_rejected))
                .route("/ticket", web::get().to(inner::ticket))
                .route("/bindings", web::post().to(bindings::bind))
                .route("/bindings", web::get().to(bindings::find))
                .route("/routes", web::get().to(inner::routes)),
        )
        .service(
            web::scope("/wxcomponent")
                .route("/auth", web::put().to(session::login))
                .service(
                    web::scope("/authpage")
                        .route("/componentinfo", web::get().to(authpage::component_info))
                        .route("/preauthcode", web::get().to(authpage::preauthcode))
                        .route(
                            "/authorization-links",
                            web::get().to(authpage::authorization_links),
                        ),
                )
                .service(admin_scope())
                .configure(console::assets),
        )
        .configure(console::pages);
}

fn admin_scope() -> actix_web::Scope {
    web::scope("/admin")
        // 概览
        .route("/overview", web::get().to(overview::get))
        // 第三方token
        .route(
            "/cloudbase-access-token",
            web::get().to(tokens::cloudbase_token),
        )
        .route(
            "/component-access-token",
            web::get().to(tokens::component_token),
        )
        .route(
            "/authorizer-access-token",
            web::get().to(tokens::authorizer_token),
        )
        .route("/ticket", web::get().to(tokens::ticket))
        // 消息与事件
        .route(
            "/wx-component-records",
            web::get().to(records::component_records),
        )
        .route("/wx-biz-records", web::get().to(records::biz_records))
        .route("/callback-config", web::get().to(records::callback_config))
        .route("/release-check", web::get().to(records::release_check))
        .route("/callback-proxy-rule-list", web::get().to(rules::list))
        .route("/callback-proxy-rule", web::post().to(rules::update))
        .route("/callback-proxy-rule", web::put().to(rules::add))
        .route("/callback-proxy-rule", web::delete().to(rules::delete))
        .route("/callback-test", web::post().to(rules::test))
        // 授权小程序管理
        .route("/pull-authorizer-list", web::post().to(authorizers::pull))
        .route("/authorizer-list", web::get().to(authorizers::list))
        // 业务id绑定: the operator's page binds through /inner/bindings
        .route("/bindings", web::get().to(bindings::list))
        .route("/unbind", web::post().to(bindings::unbind))
        // 代开发小程序管理
        .route("/dev-weapp-list", web::get().to(devweapp::list))
        .route("/submit-audit", web::post().to(devweapp::submit_audit))
        .route("/dev-versions", web::get().to(devweapp::versions))
        .route("/template-list", web::get().to(devweapp::templates))
        .route("/draft-list", web::get().to(devweapp::drafts))
        .route(
            "/add-to-template",
            web::post().to(devweapp::add_to_template),
        )
        .route(
            "/delete-template",
            web::post().to(devweapp::delete_template),
        )
        .route("/revoke-audit", web::post().to(devweapp::revoke_audit))
        .route("/speed-up-audit", web::post().to(devweapp::speed_up_audit))
        .route("/commit-code", web::post().to(devweapp::commit_code))
        .route("/release-code", web::post().to(devweapp::release_code))
        .route("/upload-media", web::post().to(devweapp::upload_media))
        .route(
            "/change-visit-status",
            web::post().to(devweapp::change_visit_status),
        )
        .route(
            "/rollback-release-version",
            web::post().to(devweapp::rollback),
        )
        .route("/page-list", web::get().to(devweapp::pages))
        .route("/category", web::get().to(devweapp::categories))
        .route("/qrcode", web::get().to(devweapp::qrcode))
        // 小程序: 隐私保护指引、体验者、审核状态与额度、分阶段发布
        .route(
            "/privacy-setting",
            web::get().to(miniprogram::privacy_setting),
        )
        .route(
            "/privacy-setting",
            web::post().to(miniprogram::set_privacy_setting),
        )
        .route(
            "/upload-privacy-file",
            web::post().to(miniprogram::upload_privacy_file),
        )
        .route("/testers", web::get().to(miniprogram::testers))
        .route("/bind-tester", web::post().to(miniprogram::bind_tester))
        .route("/unbind-tester", web::post().to(miniprogram::unbind_tester))
        .route("/audit-status", web::get().to(miniprogram::audit_status))
        .route("/audit-quota", web::get().to(miniprogram::audit_quota))
        .route("/audit-state", web::get().to(miniprogram::audit_state))
        .route("/gray-release", web::post().to(miniprogram::gray_release))
        .route(
            "/gray-release-plan",
            web::get().to(miniprogram::gray_release_plan),
        )
        .route(
            "/revert-gray-release",
            web::post().to(miniprogram::revert_gray_release),
        )
        // 域名管理: the platform's registers first, then each mini program's
        .route(
            "/platform-server-domain",
            web::get().to(domains::platform_server),
        )
        .route(
            "/platform-server-domain",
            web::post().to(domains::modify_platform_server),
        )
        .route(
            "/platform-jump-domain",
            web::get().to(domains::platform_jump),
        )
        .route(
            "/platform-jump-domain",
            web::post().to(domains::modify_platform_jump),
        )
        .route(
            "/domain-confirm-file",
            web::get().to(domains::platform_confirm_file),
        )
        .route("/server-domain", web::get().to(domains::server_domain))
        .route(
            "/server-domain",
            web::post().to(domains::modify_server_domain),
        )
        .route(
            "/effective-domain",
            web::get().to(domains::effective_domain),
        )
        .route("/webview-domain", web::get().to(domains::webview_domain))
        .route(
            "/webview-domain",
            web::post().to(domains::modify_webview_domain),
        )
        .route(
            "/webview-domain-confirm-file",
            web::get().to(domains::webview_confirm_file),
        )
        // 批量发版: release campaigns
        .route("/campaigns", web::post().to(campaigns::create))
        .route("/campaigns", web::get().to(campaigns::list))
        .route("/campaign", web::get().to(campaigns::get))
        .route("/campaign-accounts", web::get().to(campaigns::accounts))
        .route(
            "/campaign-{action:pause|resume|cancel|retry}",
            web::post().to(campaigns::act),
        )
        // 设置
        .route("/secret", web::post().to(settings::set_secret))
        .route("/secret", web::get().to(settings::get_secret))
        .route(
            "/componentinfo",
            web::post().to(settings::set_component_info),
        )
        // 用户管理
        .route("/username", web::post().to(session::change_username))
        .route("/userpwd", web::post().to(session::change_password))
        // 刷新token
        .route("/refresh-auth", web::get().to(session::refresh))
        // 转发设置
        .route("/proxy", web::get().to(proxy::get_config))
        .route("/proxy", web::post().to(proxy::set_config))
        .route("/proxy-routes", web::get().to(proxy::list))
        .route("/proxy-route", web::put().to(proxy::add))
        .route("/proxy-route", web::post().to(proxy::update))
        .route("/proxy-route", web::delete().to(proxy::delete))
}

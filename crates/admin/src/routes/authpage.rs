//! The authorization pages' API (no login, as wxcomponent):
//! `GET /wxcomponent/authpage/componentinfo`, `/preauthcode`, and
//! `/authorization-links?auth_type=&biz_appid=&redirect_uri=` answering
//! ready PC and H5 links and their QR codes.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::ok;
use crate::error::{AdminError, AdminResult};
use crate::params::{self, Query};
use crate::platform::{self, LinkRequest};
use crate::state::AppState;

/// `{name, desc, redirectUrl, appid}`.
pub async fn component_info(state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    Ok(ok(platform::component_info(&state).await?))
}

/// `{"preAuthCode": ...}`.
pub async fn preauthcode(state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let code = platform::preauthcode(&state).await?;
    Ok(ok(json!({ "preAuthCode": code.pre_auth_code })))
}

/// `{preAuthCode, expiresIn, pcUrl, h5Url, pcQrSvg, h5QrSvg}` (the links
/// and each as a QR code in SVG) for `redirect_uri` (required),
/// `auth_type` (1..=6, default 3) and `biz_appid` (optional); camelCase
/// spellings of the parameters are accepted too.
pub async fn authorization_links(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> AdminResult<HttpResponse> {
    let query = Query::parse(req.query_string())?;
    let redirect_uri = query
        .text_either("redirect_uri", "redirectUri")
        .ok_or_else(|| AdminError::invalid("redirect_uri: required"))?
        .to_string();
    if !(redirect_uri.starts_with("http://") || redirect_uri.starts_with("https://")) {
        return Err(AdminError::invalid(
            "redirect_uri: must start with http:// or https://",
        ));
    }
    let auth_type = match query.text_either("auth_type", "authType") {
        None => 3,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|t| (1..=6).contains(t))
            .ok_or_else(|| AdminError::invalid("auth_type: must be 1 to 6"))?,
    };
    let biz_appid = match query.text_either("biz_appid", "bizAppid") {
        Some(appid) => {
            params::check_appid(appid)
                .map_err(|_| AdminError::invalid("biz_appid: not a WeChat appid"))?;
            Some(appid.to_string())
        }
        None => None,
    };
    let request = LinkRequest {
        auth_type,
        biz_appid,
        redirect_uri,
    };
    let code = platform::preauthcode(&state).await?;
    let (pc, h5) = platform::authorization_links(&state.settings, &code.pre_auth_code, &request)?;
    let pc_qr = platform::qr_svg(&pc)?;
    let h5_qr = platform::qr_svg(&h5)?;
    Ok(ok(json!({
        "preAuthCode": code.pre_auth_code,
        "expiresIn": code.expires_in,
        "pcUrl": pc,
        "h5Url": h5,
        "pcQrSvg": pc_qr,
        "h5QrSvg": h5_qr,
    })))
}

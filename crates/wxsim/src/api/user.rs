//! `POST /cgi-bin/user/info/updateremark`: the remark of a user, kept per
//! openid so tests can read it back through `/__sim/state`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::access::{check_openid, json_body, official_account};
use crate::calls::lock;
use crate::errors::{ok, WxError, WxResult};
use crate::state::SimState;

/// Most bytes of a remark.
pub const MAX_REMARK_BYTES: usize = 30;

/// Registers the user routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/cgi-bin/user/info/updateremark",
        web::post().to(update_remark),
    );
}

#[derive(Deserialize)]
struct RemarkBody {
    #[serde(default)]
    openid: String,
    #[serde(default)]
    remark: String,
}

async fn update_remark(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let RemarkBody { openid, remark } = json_body(&body)?;
    check_openid(&openid)?;
    if remark.len() > MAX_REMARK_BYTES {
        // WeChat's code for a remark it refuses ("invalid remark name").
        return Err(WxError::new(
            40092,
            format!(
                "invalid remark name: {} bytes, at most {MAX_REMARK_BYTES}",
                remark.len()
            ),
        ));
    }
    lock(&state.accounts)
        .account(&appid)
        .users
        .entry(openid)
        .or_default()
        .remark = remark;
    Ok(ok())
}

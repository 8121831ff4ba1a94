//! The custom menu of an official account: `POST /cgi-bin/menu/create` with
//! WeChat's validation and error codes, `GET /cgi-bin/menu/get` (46003 when
//! there is none) and `GET /cgi-bin/menu/delete`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::access::{json_body, official_account};
use crate::account_state::MenuButton;
use crate::calls::lock;
use crate::errors::{ok, WxError, WxResult};
use crate::state::SimState;

/// At most this many top-level buttons.
pub const MAX_BUTTONS: usize = 3;
/// At most this many sub-buttons under one button.
pub const MAX_SUB_BUTTONS: usize = 5;
/// Most bytes of a top-level button name.
pub const MAX_NAME_BYTES: usize = 16;
/// Most bytes of a sub-button name.
pub const MAX_SUB_NAME_BYTES: usize = 60;
/// Most bytes of a `key`.
pub const MAX_KEY_BYTES: usize = 128;
/// Most bytes of a `url`.
pub const MAX_URL_BYTES: usize = 1024;

/// Registers the menu routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cgi-bin/menu/create", web::post().to(create))
        .route("/cgi-bin/menu/get", web::get().to(get))
        .route("/cgi-bin/menu/delete", web::get().to(delete));
}

#[derive(Deserialize)]
struct MenuIn {
    #[serde(default)]
    button: Vec<ButtonIn>,
}

#[derive(Deserialize)]
struct ButtonIn {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    key: Option<String>,
    url: Option<String>,
    media_id: Option<String>,
    appid: Option<String>,
    pagepath: Option<String>,
    article_id: Option<String>,
    sub_button: Option<Vec<ButtonIn>>,
}

async fn create(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let menu: MenuIn = json_body(&body)?;
    let buttons = validate(menu.button)?;
    lock(&state.accounts).account(&appid).menu = Some(buttons);
    Ok(ok())
}

async fn get(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let mut accounts = lock(&state.accounts);
    let menu = accounts
        .account(&appid)
        .menu
        .clone()
        .ok_or_else(|| WxError::new(46003, "menu no exist"))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"menu": {"button": menu}})))
}

async fn delete(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    lock(&state.accounts).account(&appid).menu = None;
    Ok(ok())
}

/// The error codes of one menu level: WeChat answers different codes for the
/// same fault on a top-level button and on a sub-button.
struct Level {
    sub: bool,
    type_code: i64,
    name_code: i64,
    max_name: usize,
    key_code: i64,
    url_code: i64,
    domain_code: i64,
    media_code: i64,
}

const TOP: Level = Level {
    sub: false,
    type_code: 40017,
    name_code: 40018,
    max_name: MAX_NAME_BYTES,
    key_code: 40019,
    url_code: 40020,
    domain_code: 40055,
    media_code: 40117,
};

const SUB: Level = Level {
    sub: true,
    type_code: 40024,
    name_code: 40025,
    max_name: MAX_SUB_NAME_BYTES,
    key_code: 40026,
    url_code: 40027,
    domain_code: 40054,
    media_code: 40118,
};

fn validate(buttons: Vec<ButtonIn>) -> WxResult<Vec<MenuButton>> {
    if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
        return Err(WxError::new(
            40016,
            format!(
                "invalid button size: {} buttons, 1 to {MAX_BUTTONS} allowed",
                buttons.len()
            ),
        ));
    }
    buttons
        .into_iter()
        .map(|b| validate_button(b, &TOP))
        .collect()
}

fn validate_button(button: ButtonIn, level: &Level) -> WxResult<MenuButton> {
    let name = button.name.unwrap_or_default();
    if name.is_empty() || name.len() > level.max_name {
        return Err(WxError::new(
            level.name_code,
            format!(
                "invalid {}button name size: {} bytes, 1 to {} allowed",
                prefix(level),
                name.len(),
                level.max_name
            ),
        ));
    }
    let subs = button.sub_button.unwrap_or_default();
    if !subs.is_empty() {
        if level.sub {
            return Err(WxError::new(
                40022,
                "invalid sub_menu level: a sub-button cannot have sub-buttons",
            ));
        }
        if subs.len() > MAX_SUB_BUTTONS {
            return Err(WxError::new(
                40023,
                format!(
                    "invalid sub button size: {} sub-buttons, 1 to {MAX_SUB_BUTTONS} allowed",
                    subs.len()
                ),
            ));
        }
        let sub_button = subs
            .into_iter()
            .map(|b| validate_button(b, &SUB))
            .collect::<WxResult<Vec<_>>>()?;
        return Ok(MenuButton {
            kind: None,
            name,
            key: None,
            url: None,
            media_id: None,
            appid: None,
            pagepath: None,
            article_id: None,
            sub_button,
        });
    }
    let kind = button.kind.unwrap_or_default();
    let mut out = MenuButton {
        kind: Some(kind.clone()),
        name,
        key: None,
        url: None,
        media_id: None,
        appid: None,
        pagepath: None,
        article_id: None,
        sub_button: Vec::new(),
    };
    match kind.as_str() {
        "click" | "scancode_push" | "scancode_waitmsg" | "pic_sysphoto" | "pic_photo_or_album"
        | "pic_weixin" | "location_select" => {
            out.key = Some(sized(
                button.key,
                MAX_KEY_BYTES,
                level.key_code,
                level,
                "key",
            )?);
        }
        "view" => {
            out.url = Some(url(button.url, level)?);
        }
        "miniprogram" => {
            out.url = Some(url(button.url, level)?);
            out.appid = Some(button.appid.filter(|a| !a.is_empty()).ok_or_else(|| {
                WxError::new(
                    40166,
                    "invalid weapp appid: a miniprogram button needs appid",
                )
            })?);
            out.pagepath = Some(button.pagepath.filter(|p| !p.is_empty()).ok_or_else(|| {
                WxError::new(
                    40165,
                    "invalid weapp pagepath: a miniprogram button needs pagepath",
                )
            })?);
        }
        "media_id" | "view_limited" => {
            out.media_id = Some(sized(
                button.media_id,
                MAX_KEY_BYTES,
                level.media_code,
                level,
                "media_id",
            )?);
        }
        "article_id" | "article_view_limited" => {
            out.article_id = Some(sized(
                button.article_id,
                MAX_KEY_BYTES,
                level.media_code,
                level,
                "article_id",
            )?);
        }
        _ => {
            return Err(WxError::new(
                level.type_code,
                format!("invalid {}button type {kind:?}", prefix(level)),
            ))
        }
    }
    Ok(out)
}

fn prefix(level: &Level) -> &'static str {
    if level.sub {
        "sub "
    } else {
        ""
    }
}

/// A required field of 1 to `max` bytes.
fn sized(
    value: Option<String>,
    max: usize,
    code: i64,
    level: &Level,
    what: &str,
) -> WxResult<String> {
    let value = value.unwrap_or_default();
    if value.is_empty() || value.len() > max {
        return Err(WxError::new(
            code,
            format!(
                "invalid {}button {what} size: {} bytes, 1 to {max} allowed",
                prefix(level),
                value.len()
            ),
        ));
    }
    Ok(value)
}

/// A required http(s) url of at most [`MAX_URL_BYTES`].
fn url(value: Option<String>, level: &Level) -> WxResult<String> {
    let value = sized(value, MAX_URL_BYTES, level.url_code, level, "url")?;
    let lower = value.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(WxError::new(
            level.domain_code,
            format!(
                "invalid {}button url domain: {value:?} is not an http(s) url",
                prefix(level)
            ),
        ));
    }
    Ok(value)
}

//! The user privacy guide (用户隐私保护指引) of a managed mini program, with
//! its authorizer_access_token, as WeChat's 第三方平台 → 小程序管理 → 隐私设置
//! documents it:
//! - `POST /cgi-bin/component/setprivacysetting {privacy_ver?, setting_list,
//!   owner_setting}`: `privacy_ver` 2 (the default) sets the development
//!   version, which goes live with the next release; 1 edits the live
//!   version's `owner_setting` only. Codes: 86069 `owner_setting` missing or
//!   without any of the four contacts, 86070 no `notice_method`, 86071 a
//!   `privacy_ver` other than 1 or 2, 86073 an unknown `ext_file_media_id`,
//!   86074 no live guide yet (privacy_ver 1), 86075 the live guide's
//!   `ext_file_media_id` changed (set_privacy_setting.html). WeChat gives no
//!   code for a missing `setting_list` (privacy_ver 2), one given with
//!   privacy_ver 1 ("该参数不可传，否则会报错"), or an item without key or
//!   purpose: wxsim answers 47001 (data format error) naming the field.
//! - `POST /cgi-bin/component/getprivacysetting {privacy_ver?}`: `code_exist`,
//!   `privacy_list` (the keys the committed code uses), `setting_list` (the
//!   guide's items, plus an empty-purpose item per used key it lacks, as
//!   WeChat answers), `update_time`, `owner_setting`, `privacy_desc`.
//! - `POST /cgi-bin/component/uploadprivacyextfile` (multipart `file`): a
//!   custom guide, txt only (40006), at most 100 KB (40126); answers
//!   `ext_file_media_id` (upload_privacy_exfile.html).
//!
//! The rules of the guide itself live in `privacy_state`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::{json_body, lenient_i64};
use super::media::read_part;
use super::wxa::mini_program;
use crate::calls::lock;
use crate::errors::{ok, ok_with, WxError, WxResult};
use crate::privacy_state::{
    privacy_desc, privacy_ver, ExtFile, OwnerSetting, PrivacyGuide, PrivacyItem,
    MAX_EXT_FILE_BYTES, PRIVACY_DESC,
};
use crate::state::SimState;

/// Registers the privacy-guide routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/cgi-bin/component/setprivacysetting",
        web::post().to(set_setting),
    )
    .route(
        "/cgi-bin/component/getprivacysetting",
        web::post().to(get_setting),
    )
    .route(
        "/cgi-bin/component/uploadprivacyextfile",
        web::post().to(upload_ext_file),
    );
}

/// `privacy_ver`, 2 when absent; 86071 for anything but 1 or 2.
fn version(given: Option<i64>) -> WxResult<i64> {
    match given.unwrap_or(privacy_ver::DEV) {
        v @ (privacy_ver::LIVE | privacy_ver::DEV) => Ok(v),
        v => Err(WxError::new(
            86071,
            format!("privacy_ver参数无效: {v} (1 live, 2 development)"),
        )),
    }
}

#[derive(Deserialize)]
struct SetBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    privacy_ver: Option<i64>,
    owner_setting: Option<OwnerSetting>,
    setting_list: Option<Vec<PrivacyItem>>,
}

async fn set_setting(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let body: SetBody = json_body(&body)?;
    let ver = version(body.privacy_ver)?;
    let owner = body
        .owner_setting
        .filter(OwnerSetting::has_contact)
        .ok_or_else(|| {
            WxError::new(
                86069,
                "owner_setting必填字段字段缺失 (one of contact_phone, contact_email, \
                 contact_qq, contact_weixin is required)",
            )
        })?;
    if owner.notice_method.trim().is_empty() {
        return Err(WxError::new(86070, "notice_method必填字段字段缺失"));
    }
    let now = state.now();
    let mut accounts = lock(&state.accounts);
    let guides = &mut accounts.account(&appid).privacy;
    if ver == privacy_ver::LIVE {
        if body.setting_list.is_some() {
            return Err(WxError::bad_body(
                "setting_list cannot be given with privacy_ver 1: the live guide's \
                 owner_setting only can be changed",
            ));
        }
        let live = guides
            .live
            .as_mut()
            .ok_or_else(|| WxError::new(86074, "现网隐私协议不存在"))?;
        if owner.ext_file_media_id != live.owner_setting.ext_file_media_id {
            return Err(WxError::new(
                86075,
                "现网隐私协议的ext_file_media_id禁止修改",
            ));
        }
        live.owner_setting = owner;
        live.update_time = now;
        return Ok(ok());
    }
    if !owner.ext_file_media_id.is_empty()
        && !guides.ext_files.contains_key(&owner.ext_file_media_id)
    {
        return Err(WxError::new(86073, "ext_file_media_id参数无效"));
    }
    let list = body
        .setting_list
        .ok_or_else(|| WxError::bad_body("setting_list is required with privacy_ver 2"))?;
    if let Some(i) = list
        .iter()
        .position(|item| item.privacy_key.trim().is_empty() || item.privacy_text.trim().is_empty())
    {
        return Err(WxError::bad_body(format!(
            "setting_list[{i}]: privacy_key and privacy_text are required"
        )));
    }
    guides.dev = Some(PrivacyGuide {
        setting_list: list,
        owner_setting: owner,
        update_time: now,
    });
    Ok(ok())
}

#[derive(Deserialize)]
struct GetBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    privacy_ver: Option<i64>,
}

fn setting_item(key: &str, text: &str) -> Value {
    json!({
        "privacy_key": key,
        "privacy_text": text,
        "privacy_label": privacy_desc(key).unwrap_or_default(),
    })
}

async fn get_setting(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    // WeChat wants a JSON body even without privacy_ver: `{}` (44002 else).
    let body: GetBody = json_body(&body)?;
    let ver = version(body.privacy_ver)?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    let used: Vec<String> = account
        .code
        .exp
        .as_ref()
        .map(|exp| exp.privacy_keys.clone())
        .unwrap_or_default();
    let guide = account.privacy.version(ver).cloned().unwrap_or_default();
    let mut setting_list: Vec<Value> = guide
        .setting_list
        .iter()
        .map(|item| setting_item(&item.privacy_key, &item.privacy_text))
        .collect();
    for key in &used {
        if !guide
            .setting_list
            .iter()
            .any(|item| &item.privacy_key == key)
        {
            setting_list.push(setting_item(key, ""));
        }
    }
    let desc: Vec<Value> = PRIVACY_DESC
        .iter()
        .map(|(key, desc)| json!({"privacy_key": key, "privacy_desc": desc}))
        .collect();
    Ok(ok_with(json!({
        "code_exist": i64::from(account.code.exp.is_some()),
        "privacy_list": used,
        "setting_list": setting_list,
        "update_time": guide.update_time,
        "owner_setting": guide.owner_setting,
        "privacy_desc": {"privacy_desc_list": desc},
        "sdk_privacy_info_list": [],
    })))
}

/// Whether the part is a text file: a `.txt` name, or `text/plain` when the
/// name has no extension.
fn is_txt(file_name: &str, content_type: Option<&str>) -> bool {
    match file_name.rsplit_once('.') {
        Some((_, ext)) => ext.eq_ignore_ascii_case("txt"),
        None => content_type.is_some_and(|t| t.trim().starts_with("text/plain")),
    }
}

async fn upload_ext_file(
    state: web::Data<SimState>,
    req: HttpRequest,
    payload: web::Payload,
) -> WxResult<HttpResponse> {
    let appid = mini_program(&state, &req)?;
    let part = read_part(&req, payload, "file").await?;
    if part.size == 0 {
        return Err(WxError::new(44001, "empty media data"));
    }
    if !is_txt(&part.file_name, part.content_type.as_deref()) {
        return Err(WxError::new(
            40006,
            format!(
                "invalid file type: {:?}, only txt files are accepted",
                part.file_name
            ),
        ));
    }
    if part.size > MAX_EXT_FILE_BYTES {
        return Err(WxError::new(
            40126,
            format!(
                "invalid text size: {} bytes, at most {MAX_EXT_FILE_BYTES}",
                part.size
            ),
        ));
    }
    // WeChat's ids are 19 digits ("2112311471891169280").
    let media_id =
        (rand::random::<u64>() % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000).to_string();
    let file = ExtFile {
        file_name: part.file_name,
        size: part.size,
        created_at: state.now(),
    };
    lock(&state.accounts)
        .account(&appid)
        .privacy
        .ext_files
        .insert(media_id.clone(), file);
    Ok(ok_with(json!({ "ext_file_media_id": media_id })))
}

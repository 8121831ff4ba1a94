//! The user privacy guide (用户隐私保护指引) of a managed mini program:
//! WeChat's `/cgi-bin/component/getprivacysetting`, `setprivacysetting` and
//! `uploadprivacyextfile` with the mini program's authorizer token, in the
//! console's camelCase. A guide is checked here before WeChat is called
//! (1001 naming the field): `privacyVer` 1 or 2, one of the four contacts
//! and a notice method, every item with a key and a purpose, no items with
//! `privacyVer` 1 (which edits the live guide's owner only).
//!
//! Code that uses privacy information the development guide does not cover
//! is refused by WeChat's audit (`submit_audit` 61040): set the guide after
//! committing the code and before submitting it. [`set_privacy_setting`] is
//! the typed entry for callers other than the console (a release campaign).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use common::wechat::Method;

use crate::devweapp::decode;
use crate::error::AdminError;
use crate::state::AppState;
use crate::wxapi::{self, FilePart};

/// Largest custom guide file: WeChat's "限制文件大小为不超过100kb"
/// (`uploadprivacyextfile`, 40126 beyond).
pub const MAX_EXT_FILE_BYTES: usize = 100 * 1024;

/// The development version of the guide (开发版), set for the next release.
pub const PRIVACY_VER_DEV: i64 = 2;
/// The live version (现网版); only its owner can be edited directly.
pub const PRIVACY_VER_LIVE: i64 = 1;

/// Who collects the information (`owner_setting`). Read in the console's
/// camelCase or WeChat's snake_case, written in camelCase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OwnerSetting {
    /// Phone; one of the four contacts is required.
    #[serde(default, alias = "contact_phone")]
    pub contact_phone: String,
    /// E-mail.
    #[serde(default, alias = "contact_email")]
    pub contact_email: String,
    /// QQ.
    #[serde(default, alias = "contact_qq")]
    pub contact_qq: String,
    /// WeChat id.
    #[serde(default, alias = "contact_weixin")]
    pub contact_weixin: String,
    /// How users hear of changes (required), e.g. "弹窗".
    #[serde(default, alias = "notice_method")]
    pub notice_method: String,
    /// How long the information is kept.
    #[serde(default, alias = "store_expire_timestamp")]
    pub store_expire_timestamp: String,
    /// A custom guide from [`upload_privacy_file`].
    #[serde(default, alias = "ext_file_media_id")]
    pub ext_file_media_id: String,
}

impl OwnerSetting {
    fn to_wechat(&self) -> Value {
        json!({
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
            "contact_qq": self.contact_qq,
            "contact_weixin": self.contact_weixin,
            "notice_method": self.notice_method,
            "store_expire_timestamp": self.store_expire_timestamp,
            "ext_file_media_id": self.ext_file_media_id,
        })
    }
}

/// One kind of information collected and its purpose (`setting_list` item).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivacyItem {
    /// WeChat's key (`UserInfo`, `Location`, ...; see `privacyDesc`) or one
    /// of the platform's own.
    #[serde(default, alias = "privacy_key")]
    pub privacy_key: String,
    /// What it is used for ("为了" is prefixed by WeChat).
    #[serde(default, alias = "privacy_text")]
    pub privacy_text: String,
}

/// A privacy guide to set: what [`set_privacy_setting`] takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivacySetting {
    /// [`PRIVACY_VER_DEV`] (the default) or [`PRIVACY_VER_LIVE`].
    #[serde(default = "dev_version")]
    pub privacy_ver: i64,
    /// What is collected and why (none with [`PRIVACY_VER_LIVE`]).
    #[serde(default)]
    pub setting_list: Vec<PrivacyItem>,
    /// Who collects it.
    #[serde(default)]
    pub owner_setting: OwnerSetting,
}

fn dev_version() -> i64 {
    PRIVACY_VER_DEV
}

impl Default for PrivacySetting {
    fn default() -> Self {
        Self {
            privacy_ver: PRIVACY_VER_DEV,
            setting_list: Vec::new(),
            owner_setting: OwnerSetting::default(),
        }
    }
}

impl PrivacySetting {
    /// The checks WeChat would fail the guide on, as 1001 naming the field.
    pub fn check(&self) -> Result<(), AdminError> {
        check_version(self.privacy_ver)?;
        let owner = &self.owner_setting;
        let has_contact = [
            &owner.contact_phone,
            &owner.contact_email,
            &owner.contact_qq,
            &owner.contact_weixin,
        ]
        .iter()
        .any(|c| !c.trim().is_empty());
        if !has_contact {
            return Err(AdminError::invalid(
                "ownerSetting: one of contactPhone, contactEmail, contactQq, contactWeixin is required",
            ));
        }
        if owner.notice_method.trim().is_empty() {
            return Err(AdminError::invalid("ownerSetting.noticeMethod: required"));
        }
        if self.privacy_ver == PRIVACY_VER_LIVE && !self.setting_list.is_empty() {
            return Err(AdminError::invalid(
                "settingList: must be empty with privacyVer 1 (the live guide's owner only can be changed)",
            ));
        }
        for (i, item) in self.setting_list.iter().enumerate() {
            if item.privacy_key.trim().is_empty() {
                return Err(AdminError::invalid(format!(
                    "settingList[{i}].privacyKey: required"
                )));
            }
            if item.privacy_text.trim().is_empty() {
                return Err(AdminError::invalid(format!(
                    "settingList[{i}].privacyText: required"
                )));
            }
        }
        Ok(())
    }

    fn to_wechat(&self) -> Value {
        let mut body = json!({
            "privacy_ver": self.privacy_ver,
            "owner_setting": self.owner_setting.to_wechat(),
        });
        if self.privacy_ver == PRIVACY_VER_DEV {
            body["setting_list"] = self
                .setting_list
                .iter()
                .map(|item| json!({"privacy_key": item.privacy_key, "privacy_text": item.privacy_text}))
                .collect();
        }
        body
    }
}

/// 1001 unless `privacyVer` is 1 or 2.
pub fn check_version(privacy_ver: i64) -> Result<(), AdminError> {
    if matches!(privacy_ver, PRIVACY_VER_LIVE | PRIVACY_VER_DEV) {
        Ok(())
    } else {
        Err(AdminError::invalid(format!(
            "privacyVer: 1 (live) or 2 (development), got {privacy_ver}"
        )))
    }
}

/// Sets the privacy guide of `appid` (`setprivacysetting`) after checking
/// it; WeChat's refusals are 1002 with its errcode and errmsg.
pub async fn set_privacy_setting(
    state: &AppState,
    appid: &str,
    setting: &PrivacySetting,
) -> Result<(), AdminError> {
    setting.check()?;
    wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        "/cgi-bin/component/setprivacysetting",
        &[],
        &setting.to_wechat(),
    )
    .await?;
    Ok(())
}

/// An item of a guide as WeChat answers it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct SettingView {
    /// The key.
    #[serde(default)]
    pub privacy_key: String,
    /// Its purpose; empty when the code uses the key and the guide does
    /// not cover it yet.
    #[serde(default)]
    pub privacy_text: String,
    /// WeChat's name of the key.
    #[serde(default)]
    pub privacy_label: String,
}

/// A key WeChat knows and its description.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "snake_case"))]
pub struct PrivacyDesc {
    /// The key.
    #[serde(default)]
    pub privacy_key: String,
    /// Its description, e.g. "位置信息".
    #[serde(default)]
    pub privacy_desc: String,
}

/// `GET /admin/privacy-setting` as the console reads it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivacyView {
    /// 1 when code was committed lately (WeChat's `code_exist`), else 0.
    pub code_exist: i64,
    /// Keys the committed code uses: the guide must cover them.
    pub privacy_list: Vec<String>,
    /// The guide's items.
    pub setting_list: Vec<SettingView>,
    /// When the guide was last set, Unix seconds (0 never).
    pub update_time: i64,
    /// Who collects the information.
    pub owner_setting: OwnerSetting,
    /// Every key WeChat knows, with its description.
    pub privacy_desc: Vec<PrivacyDesc>,
}

#[derive(Deserialize, Default)]
struct DescList {
    #[serde(default)]
    privacy_desc_list: Vec<PrivacyDesc>,
}

#[derive(Deserialize)]
struct WxPrivacy {
    #[serde(default)]
    code_exist: i64,
    #[serde(default)]
    privacy_list: Vec<String>,
    #[serde(default)]
    setting_list: Vec<SettingView>,
    #[serde(default)]
    update_time: i64,
    #[serde(default)]
    owner_setting: OwnerSetting,
    #[serde(default)]
    privacy_desc: DescList,
}

/// The guide of `appid` in version `privacy_ver` (`getprivacysetting`).
pub async fn get_privacy_setting(
    state: &AppState,
    appid: &str,
    privacy_ver: i64,
) -> Result<PrivacyView, AdminError> {
    check_version(privacy_ver)?;
    let path = "/cgi-bin/component/getprivacysetting";
    let value = wxapi::authorizer_call(
        state,
        appid,
        Method::Post,
        path,
        &[],
        &json!({ "privacy_ver": privacy_ver }),
    )
    .await?;
    let answer: WxPrivacy = decode(path, value)?;
    Ok(PrivacyView {
        code_exist: answer.code_exist,
        privacy_list: answer.privacy_list,
        setting_list: answer.setting_list,
        update_time: answer.update_time,
        owner_setting: answer.owner_setting,
        privacy_desc: answer.privacy_desc.privacy_desc_list,
    })
}

/// Uploads a custom guide (`uploadprivacyextfile`): a `.txt` file of at
/// most [`MAX_EXT_FILE_BYTES`]; answers its `ext_file_media_id`, for
/// `ownerSetting.extFileMediaId`.
pub async fn upload_privacy_file(
    state: &AppState,
    appid: &str,
    file_name: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Result<String, AdminError> {
    let is_txt = file_name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("txt"));
    if !is_txt {
        return Err(AdminError::invalid(format!(
            "file: WeChat takes .txt files only, got {file_name:?}"
        )));
    }
    if data.is_empty() {
        return Err(AdminError::invalid("file: empty"));
    }
    if data.len() > MAX_EXT_FILE_BYTES {
        return Err(AdminError::invalid("file: larger than 100 KB"));
    }
    let part = FilePart {
        field: "file",
        file_name: file_name.to_string(),
        content_type: content_type.to_string(),
        data,
    };
    let path = "/cgi-bin/component/uploadprivacyextfile";
    let value = wxapi::upload_file(state, appid, path, &[], part).await?;
    value
        .get("ext_file_media_id")
        .and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| {
            AdminError::Upstream(format!(
                "unexpected answer from WeChat for {path}: no ext_file_media_id"
            ))
        })
}

//! What a managed mini program has beyond its code, and the rules WeChat
//! applies to it: the user privacy guide (用户隐私保护指引, a development and
//! a live version), its experience members (体验者) and the WeChat users the
//! simulator knows, the platform's monthly audit and speed-up quota, and the
//! phased (gray) release plan.
//!
//! The data lives in [`crate::account_state`] (per account, or per platform
//! for the quota and the users); the handlers in `api::{privacy, testers,
//! wxa}` apply the rules here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::errors::{WxError, WxResult};

/// The privacy keys (`privacy_key`) WeChat knows and their descriptions, as
/// `getprivacysetting` answers them in `privacy_desc.privacy_desc_list`
/// (Third-party_Platforms/2.0/api/privacy_config/get_privacy_setting.html;
/// the descriptions as WeChat's own answers spell them). `setting_list`
/// also accepts keys of the platform's own ("该字段也支持自定义").
pub const PRIVACY_DESC: &[(&str, &str)] = &[
    ("UserInfo", "用户信息（微信昵称、头像）"),
    ("Location", "位置信息"),
    ("Address", "地址"),
    ("Invoice", "发票信息"),
    ("RunData", "微信运动数据"),
    ("Record", "麦克风"),
    ("Album", "选中的照片或视频信息"),
    ("Camera", "摄像头"),
    ("PhoneNumber", "手机号"),
    ("Contact", "通讯录（仅写入）权限"),
    ("DeviceInfo", "设备信息"),
    ("EXIDNumber", "身份证号码"),
    ("EXOrderInfo", "订单信息"),
    ("EXUserPublishContent", "发布内容"),
    ("EXUserFollowAcct", "所关注账号"),
    ("EXUserOpLog", "操作日志"),
    ("AlbumWriteOnly", "相册（仅写入）权限"),
    ("LicensePlate", "车牌号"),
    ("BlueTooth", "蓝牙"),
    ("CalendarWriteOnly", "日历（仅写入）权限"),
    ("Email", "邮箱"),
    ("MessageFile", "选中的文件"),
    ("ChooseLocation", "选择的位置信息"),
    ("Clipboard", "剪切板"),
];

/// The description of a known privacy key.
pub fn privacy_desc(key: &str) -> Option<&'static str> {
    PRIVACY_DESC
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, desc)| *desc)
}

/// Largest file `uploadprivacyextfile` takes: "限制文件大小为不超过100kb"
/// (upload_privacy_exfile.html; 40126 beyond).
pub const MAX_EXT_FILE_BYTES: usize = 100 * 1024;

/// Who collects the users' information (`owner_setting`), as
/// `setprivacysetting` takes it and `getprivacysetting` answers it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerSetting {
    /// Phone; one of the four contacts is required.
    #[serde(default)]
    pub contact_phone: String,
    /// E-mail.
    #[serde(default)]
    pub contact_email: String,
    /// QQ.
    #[serde(default)]
    pub contact_qq: String,
    /// WeChat id.
    #[serde(default)]
    pub contact_weixin: String,
    /// How users hear of changes (required).
    #[serde(default)]
    pub notice_method: String,
    /// How long the information is kept.
    #[serde(default)]
    pub store_expire_timestamp: String,
    /// A custom guide uploaded by `uploadprivacyextfile`.
    #[serde(default)]
    pub ext_file_media_id: String,
}

impl OwnerSetting {
    /// Whether one of the four contacts is filled in.
    pub fn has_contact(&self) -> bool {
        [
            &self.contact_phone,
            &self.contact_email,
            &self.contact_qq,
            &self.contact_weixin,
        ]
        .iter()
        .any(|c| !c.trim().is_empty())
    }
}

/// One kind of information collected and why (`setting_list` item).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyItem {
    /// The kind (see [`PRIVACY_DESC`]) or a key of the platform's own.
    #[serde(default)]
    pub privacy_key: String,
    /// What it is used for.
    #[serde(default)]
    pub privacy_text: String,
}

/// One version of a privacy guide.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrivacyGuide {
    /// What is collected and why.
    pub setting_list: Vec<PrivacyItem>,
    /// Who collects it.
    pub owner_setting: OwnerSetting,
    /// When it was last set, simulated Unix seconds.
    pub update_time: i64,
}

/// `privacy_ver` of the guide calls.
pub mod privacy_ver {
    /// The version live users see (现网版).
    pub const LIVE: i64 = 1;
    /// The version under development (开发版), the default.
    pub const DEV: i64 = 2;
}

/// A mini program's privacy guides and uploaded guide files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrivacyGuides {
    /// The development version `setprivacysetting` edits; it goes live with
    /// the next release of approved code.
    pub dev: Option<PrivacyGuide>,
    /// The live version.
    pub live: Option<PrivacyGuide>,
    /// Files uploaded by `uploadprivacyextfile`, by `ext_file_media_id`.
    pub ext_files: BTreeMap<String, ExtFile>,
}

impl PrivacyGuides {
    /// The guide of `privacy_ver`.
    pub fn version(&self, ver: i64) -> Option<&PrivacyGuide> {
        if ver == privacy_ver::LIVE {
            self.live.as_ref()
        } else {
            self.dev.as_ref()
        }
    }

    /// The keys of `used` the development guide says nothing about (no item,
    /// or an item without a purpose).
    pub fn uncovered<'a>(&self, used: &'a [String]) -> Vec<&'a str> {
        let covered = |key: &str| {
            self.dev.as_ref().is_some_and(|guide| {
                guide
                    .setting_list
                    .iter()
                    .any(|item| item.privacy_key == key && !item.privacy_text.trim().is_empty())
            })
        };
        used.iter()
            .map(String::as_str)
            .filter(|key| !covered(key))
            .collect()
    }

    /// Released code takes the development guide live ("审核通过且需要重新
    /// 发布上线后才会在小程序端生效").
    pub fn publish(&mut self) {
        if let Some(dev) = &self.dev {
            self.live = Some(dev.clone());
        }
    }
}

/// A custom guide file, as WeChat keeps it: what it is, not its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtFile {
    /// The file name of the form part.
    pub file_name: String,
    /// Its size in bytes.
    pub size: usize,
    /// When it was uploaded.
    pub created_at: i64,
}

/// WeChat's refusal of an audit of code that uses privacy information the
/// guide does not cover: `submit_audit`'s 61040 ("代码中含有 … 未配置隐私接口
/// …，请配置 … 或者承诺不使用这些接口（设置参数privacy_api_not_use为true）后
/// 再提交审核", submitAudit.html). `privacy_api_not_use` declares the
/// detected interfaces unused and lets the submission through.
pub fn check_audit_privacy(
    guides: &PrivacyGuides,
    used: &[String],
    privacy_api_not_use: bool,
) -> WxResult<()> {
    let uncovered = guides.uncovered(used);
    if uncovered.is_empty() || privacy_api_not_use {
        return Ok(());
    }
    Err(WxError::new(
        61040,
        format!(
            "代码中含有未配置的隐私信息 {}，请通过 setprivacysetting 配置用户隐私保护指引，\
             或者承诺不使用这些接口（设置参数privacy_api_not_use为true）后再提交审核",
            uncovered.join("/")
        ),
    ))
}

/// An experience member (体验者) of a mini program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tester {
    /// The WeChat id (微信号) it was bound with.
    pub wechatid: String,
    /// WeChat's opaque string for the member (`userstr`).
    pub userstr: String,
    /// When it was bound.
    pub bound_at: i64,
}

/// A WeChat user the simulator knows, registered by
/// `POST /__sim/wechat-users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WechatUser {
    /// Whether others may find the user by WeChat id; WeChat answers 85001
    /// for users who turned that off, as for unknown ids.
    pub searchable: bool,
}

/// The platform's audit quota of the current (Beijing) calendar month,
/// shared by all its mini programs (query_quota.html: "所有旗下小程序共用该额度").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditQuota {
    /// The month counted, as `year * 12 + month - 1`.
    pub month: i64,
    /// Audits submitted this month.
    pub used: i64,
    /// Speed-ups asked this month.
    pub speedup_used: i64,
}

impl AuditQuota {
    /// Starts a new count when the month changed.
    fn roll(&mut self, now: i64) {
        let month = beijing_month(now);
        if month != self.month {
            *self = Self {
                month,
                used: 0,
                speedup_used: 0,
            };
        }
    }

    /// `(rest, speedup_rest)` for the given monthly limits.
    pub fn rest(&mut self, now: i64, limit: i64, speedup_limit: i64) -> (i64, i64) {
        self.roll(now);
        (
            (limit - self.used).max(0),
            (speedup_limit - self.speedup_used).max(0),
        )
    }

    /// Spends one audit; 85085 ("submit audit reach limit") when none is left.
    pub fn spend_audit(&mut self, now: i64, limit: i64) -> WxResult<()> {
        self.roll(now);
        if self.used >= limit {
            return Err(WxError::new(
                85085,
                "submit audit reach limit, please try later (小程序提审数量已达本月上限)",
            ));
        }
        self.used += 1;
        Ok(())
    }

    /// Spends one speed-up; 89405 ("本月加急额度不足") when none is left.
    pub fn spend_speedup(&mut self, now: i64, limit: i64) -> WxResult<()> {
        self.roll(now);
        if self.speedup_used >= limit {
            return Err(WxError::new(
                89405,
                "本月加急额度不足，请提升提审质量以获取更多额度",
            ));
        }
        self.speedup_used += 1;
        Ok(())
    }
}

/// The Beijing calendar month of a Unix time, as `year * 12 + month - 1`.
pub fn beijing_month(t: i64) -> i64 {
    let days = t.saturating_add(8 * 3600).div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    year * 12 + month - 1
}

/// `status` values of `getgrayreleaseplan`.
pub mod gray_status {
    /// 初始状态: no plan yet.
    pub const INITIAL: i64 = 0;
    /// 执行中: users are being moved to the new version.
    pub const RUNNING: i64 = 1;
    /// 执行完毕: `/wxa/release` took it to everyone.
    pub const DONE: i64 = 3;
    /// 被删除: withdrawn by `revertgrayrelease`.
    pub const DELETED: i64 = 4;
}

/// A phased release (分阶段发布) of approved code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrayReleasePlan {
    /// See [`gray_status`].
    pub status: i64,
    /// When the plan was created.
    pub create_timestamp: i64,
    /// Percentage of users on the new version.
    pub gray_percentage: i64,
    /// Experience members first.
    pub support_experiencer_first: bool,
    /// Project members first.
    pub support_debuger_first: bool,
    /// The audit whose code is being released.
    pub auditid: i64,
}

impl GrayReleasePlan {
    /// Whether the plan is under way.
    pub fn is_running(&self) -> bool {
        self.status == gray_status::RUNNING
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_counted_in_beijing_time() {
        // 2024-01-31 16:00 UTC is 2024-02-01 00:00 in Beijing.
        assert_eq!(beijing_month(1_706_716_799), 2024 * 12);
        assert_eq!(beijing_month(1_706_716_800), 2024 * 12 + 1);
        // 1970-01-01 00:00 UTC.
        assert_eq!(beijing_month(0), 1970 * 12);
        // 2023-12-31 16:00 UTC is 2024-01-01 in Beijing.
        assert_eq!(beijing_month(1_704_038_400), 2024 * 12);
    }

    #[test]
    fn the_quota_is_spent_and_renewed_each_month() {
        let mut quota = AuditQuota::default();
        let now = 1_706_716_800;
        assert!(quota.spend_audit(now, 1).is_ok());
        assert_eq!(quota.spend_audit(now, 1).map_err(|e| e.errcode), Err(85085));
        assert_eq!(quota.rest(now, 1, 0), (0, 0));
        let next_month = now + 31 * 86_400;
        assert!(quota.spend_audit(next_month, 1).is_ok());
    }
}

//! Authorizer-side state: menus, tags, users, messages sent, temporary media,
//! mini-program login codes and mini-program code (commit, audit, release).
//!
//! Everything is kept per authorizer appid, as WeChat keeps it per account, so
//! one authorizer's menu or tags never leak into another's. The handlers in
//! `api::{message, media, menu, tags, user, sns, wxa}` apply WeChat's rules to it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::privacy_state::{AuditQuota, GrayReleasePlan, PrivacyGuides, Tester, WechatUser};

/// The id of the built-in 星标组 tag, present on every account.
pub const STAR_TAG_ID: i64 = 2;
/// The first id WeChat gives a tag an account creates (0, 1 and 2 are built in).
pub const FIRST_TAG_ID: i64 = 100;
/// How long a `js_code` minted by `/__sim/jscode` stays usable (WeChat: 5 minutes).
pub const JS_CODE_TTL_SECS: i64 = 300;
/// How long WeChat keeps a temporary media file (临时素材): 3 days.
pub const MEDIA_TTL_SECS: i64 = 3 * 86_400;

/// What the authorizer side of the simulator remembers.
#[derive(Debug, Serialize)]
pub struct AccountState {
    /// Every customer-service message accepted by `/cgi-bin/message/custom/send`, in order.
    pub sent_messages: Vec<SentMessage>,
    /// Menus, tags, users and mini-program code, per authorizer appid.
    pub accounts: BTreeMap<String, AccountData>,
    /// The platform's code templates (`/wxa/gettemplatelist`), seeded at start.
    pub templates: Vec<CodeTemplate>,
    /// The platform's 草稿箱 (`/wxa/gettemplatedraftlist`): code its
    /// development mini programs uploaded, seeded at start, more with
    /// `POST /__sim/wxa/draft`.
    pub drafts: Vec<CodeDraft>,
    /// Mini-program login codes minted by `/__sim/jscode`, by code.
    pub js_codes: BTreeMap<String, JsCode>,
    /// The next audit id `/wxa/submit_audit` hands out (ids are unique across accounts).
    pub next_auditid: i64,
    /// WeChat users experience members can be bound from, by WeChat id
    /// (`POST /__sim/wechat-users`).
    pub wechat_users: BTreeMap<String, WechatUser>,
    /// The platform's audit quota this month.
    pub audit_quota: AuditQuota,
}

impl Default for AccountState {
    fn default() -> Self {
        Self {
            sent_messages: Vec::new(),
            accounts: BTreeMap::new(),
            templates: seed_templates(),
            drafts: seed_drafts(),
            js_codes: BTreeMap::new(),
            next_auditid: 412_000_001,
            wechat_users: BTreeMap::new(),
            audit_quota: AuditQuota::default(),
        }
    }
}

impl AccountState {
    /// The data of `appid`, created empty (with the built-in tag) on first use.
    pub fn account(&mut self, appid: &str) -> &mut AccountData {
        self.accounts.entry(appid.to_string()).or_default()
    }

    /// A fresh audit id.
    pub fn take_auditid(&mut self) -> i64 {
        let id = self.next_auditid;
        self.next_auditid = self.next_auditid.saturating_add(1);
        id
    }
}

/// One customer-service message the platform sent through the fake API.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SentMessage {
    /// The authorizer whose token sent it.
    pub appid: String,
    /// The recipient openid (`touser`).
    pub touser: String,
    /// `msgtype` (text, image, news, ...).
    pub msgtype: String,
    /// For text messages, `text.content`; else empty.
    pub content: String,
    /// The whole JSON body as sent.
    pub body: serde_json::Value,
    /// When it arrived, simulated Unix seconds.
    pub at: i64,
}

/// Everything one authorizer account has on the authorizer side.
#[derive(Debug, Clone, Serialize)]
pub struct AccountData {
    /// The custom menu, as `/cgi-bin/menu/get` answers it; none until created.
    pub menu: Option<Vec<MenuButton>>,
    /// Tags by id, including the built-in 星标组 (2).
    pub tags: BTreeMap<i64, Tag>,
    /// The id the next created tag gets.
    pub next_tag_id: i64,
    /// Users the platform mentioned (tagged, remarked, asked about), by openid.
    pub users: BTreeMap<String, UserRecord>,
    /// Mini-program code: experience version, audit, release.
    pub code: MiniProgramCode,
    /// Temporary media uploaded by `/cgi-bin/media/upload`, by media_id.
    pub media: BTreeMap<String, MediaFile>,
    /// The user privacy guide of a mini program.
    pub privacy: PrivacyGuides,
    /// Experience members of a mini program, in binding order.
    pub testers: Vec<Tester>,
}

impl Default for AccountData {
    fn default() -> Self {
        let star = Tag {
            id: STAR_TAG_ID,
            name: "星标组".to_string(),
        };
        Self {
            menu: None,
            tags: BTreeMap::from([(STAR_TAG_ID, star)]),
            next_tag_id: FIRST_TAG_ID,
            users: BTreeMap::new(),
            code: MiniProgramCode::default(),
            media: BTreeMap::new(),
            privacy: PrivacyGuides::default(),
            testers: Vec::new(),
        }
    }
}

impl AccountData {
    /// How many users carry tag `id`.
    pub fn tag_count(&self, id: i64) -> usize {
        self.users.values().filter(|u| u.tags.contains(&id)).count()
    }
}

/// A temporary media file (临时素材) as WeChat keeps it: what it is, not its bytes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MediaFile {
    /// `type` it was uploaded as: image, voice, video or thumb.
    #[serde(rename = "type")]
    pub media_type: String,
    /// The file name of the form part.
    pub file_name: String,
    /// The content type of the form part, if it had one.
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub size: usize,
    /// `created_at`, simulated Unix seconds.
    pub created_at: i64,
    /// When the media_id stops working ([`MEDIA_TTL_SECS`] later).
    pub expires_at: i64,
}

/// One menu button as stored and echoed by `/cgi-bin/menu/get`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MenuButton {
    /// `type` (click, view, miniprogram, ...); none for a button with sub-buttons.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The label.
    pub name: String,
    /// `key` of click-like buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `url` of view and miniprogram buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `media_id` of media_id / view_limited buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// `appid` of miniprogram buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `pagepath` of miniprogram buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// `article_id` of article_id / article_view_limited buttons.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// Sub-buttons; WeChat echoes `[]` on buttons that have none.
    pub sub_button: Vec<MenuButton>,
}

/// A user tag.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Tag {
    /// Tag id.
    pub id: i64,
    /// Tag name.
    pub name: String,
}

/// What the simulator knows of one user of an account.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct UserRecord {
    /// Ids of the tags the user carries.
    pub tags: BTreeSet<i64>,
    /// The remark set by `/cgi-bin/user/info/updateremark`.
    pub remark: String,
}

/// A code template of the platform's template library.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CodeTemplate {
    /// `template_id`.
    pub template_id: i64,
    /// `user_version`.
    pub user_version: String,
    /// `user_desc`.
    pub user_desc: String,
    /// `create_time`, Unix seconds.
    pub create_time: i64,
    /// 0 normal template, 1 standard template.
    pub template_type: i64,
    /// Appid of the mini program the template was built from.
    pub source_miniprogram_appid: String,
    /// Name of that mini program.
    pub source_miniprogram: String,
    /// Pages of the code, answered by `/wxa/get_page` once committed.
    pub pages: Vec<String>,
    /// Privacy keys the code uses (`getprivacysetting`'s `privacy_list`
    /// once committed).
    pub privacy_keys: Vec<String>,
}

fn seed_templates() -> Vec<CodeTemplate> {
    let pages = |list: &[&str]| list.iter().map(|p| (*p).to_string()).collect();
    let keys = |list: &[&str]| list.iter().map(|k| (*k).to_string()).collect();
    vec![
        CodeTemplate {
            template_id: 1,
            user_version: "1.0.0".into(),
            user_desc: "首个版本".into(),
            create_time: 1_700_000_000,
            template_type: 0,
            source_miniprogram_appid: "wxtemplatesource01".into(),
            source_miniprogram: "模板开发小程序".into(),
            pages: pages(&["pages/index/index", "pages/logs/logs"]),
            privacy_keys: Vec::new(),
        },
        CodeTemplate {
            template_id: 2,
            user_version: "1.1.0".into(),
            user_desc: "新增订单页".into(),
            create_time: 1_710_000_000,
            template_type: 0,
            source_miniprogram_appid: "wxtemplatesource01".into(),
            source_miniprogram: "模板开发小程序".into(),
            pages: pages(&["pages/index/index", "pages/order/order", "pages/logs/logs"]),
            privacy_keys: keys(&["UserInfo", "Location"]),
        },
        CodeTemplate {
            template_id: 3,
            user_version: "2.0.0".into(),
            user_desc: "标准模板".into(),
            create_time: 1_720_000_000,
            template_type: 1,
            source_miniprogram_appid: "wxtemplatesource02".into(),
            source_miniprogram: "标准模板小程序".into(),
            pages: pages(&["pages/home/home"]),
            privacy_keys: Vec::new(),
        },
    ]
}

/// A draft in the platform's 草稿箱, uploaded from WeChat DevTools by one of
/// its development mini programs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CodeDraft {
    /// `draft_id`.
    pub draft_id: i64,
    /// `user_version`.
    pub user_version: String,
    /// `user_desc`.
    pub user_desc: String,
    /// `create_time`, Unix seconds.
    pub create_time: i64,
    /// Appid of the development mini program that uploaded it.
    pub source_miniprogram_appid: String,
    /// Name of that mini program.
    pub source_miniprogram: String,
    /// Pages of the code, carried into the template made from it.
    pub pages: Vec<String>,
    /// Privacy keys the code uses, carried into the template made from it.
    pub privacy_keys: Vec<String>,
}

fn seed_drafts() -> Vec<CodeDraft> {
    vec![CodeDraft {
        draft_id: 0,
        user_version: "2.1.0".into(),
        user_desc: "草稿:新增会员页".into(),
        create_time: 1_730_000_000,
        source_miniprogram_appid: "wxtemplatesource01".into(),
        source_miniprogram: "模板开发小程序".into(),
        pages: vec![
            "pages/index/index".into(),
            "pages/member/member".into(),
            "pages/logs/logs".into(),
        ],
        privacy_keys: vec!["UserInfo".into(), "PhoneNumber".into()],
    }]
}

/// A mini-program login code (`js_code`), usable once before it expires.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsCode {
    /// The mini program it was minted for.
    pub appid: String,
    /// The user it logs in.
    pub openid: String,
    /// The user's unionid, if the test gave one.
    pub unionid: Option<String>,
    /// When it stops working.
    pub expires_at: i64,
    /// Whether a jscode2session already spent it.
    pub used: bool,
}

/// The code of one mini program, following WeChat's state machine:
/// commit → submit_audit → audit decided → release → revert.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MiniProgramCode {
    /// The latest committed code: the experience version.
    pub exp: Option<CodeVersion>,
    /// The latest audit submitted.
    pub audit: Option<Audit>,
    /// The audits before it, oldest first (`get_auditstatus` answers them).
    pub past_audits: Vec<Audit>,
    /// The online version.
    pub release: Option<Release>,
    /// The version before the online one, the target of a revert.
    pub previous_release: Option<Release>,
    /// Service status: 1 serving, 0 paused (`change_visitstatus close`).
    pub visit_status: i64,
    /// When audits were withdrawn, for the undo quota (5 a day, 10 a month).
    pub undo_times: Vec<i64>,
    /// The phased release of approved code, if one was started.
    pub gray_release: Option<GrayReleasePlan>,
}

impl MiniProgramCode {
    /// Makes `audit` the latest, keeping the one before it.
    pub fn start_audit(&mut self, audit: Audit) {
        if let Some(previous) = self.audit.replace(audit) {
            self.past_audits.push(previous);
        }
    }

    /// Audit `auditid` of this mini program, the latest or an earlier one.
    pub fn find_audit(&self, auditid: i64) -> Option<&Audit> {
        self.audit
            .iter()
            .chain(self.past_audits.iter())
            .find(|a| a.auditid == auditid)
    }
}

impl Default for MiniProgramCode {
    fn default() -> Self {
        Self {
            exp: None,
            audit: None,
            past_audits: Vec::new(),
            release: None,
            previous_release: None,
            visit_status: 1,
            undo_times: Vec::new(),
            gray_release: None,
        }
    }
}

/// Code uploaded by `/wxa/commit`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CodeVersion {
    /// The template it was built from.
    pub template_id: i64,
    /// `ext_json` as given (a JSON string).
    pub ext_json: String,
    /// `user_version`.
    pub user_version: String,
    /// `user_desc`.
    pub user_desc: String,
    /// Pages of the code.
    pub pages: Vec<String>,
    /// Privacy keys the code uses.
    pub privacy_keys: Vec<String>,
    /// When it was committed.
    pub committed_at: i64,
}

/// Audit status values of `get_latest_auditstatus`.
pub mod audit_status {
    /// Approved.
    pub const APPROVED: i64 = 0;
    /// Rejected.
    pub const REJECTED: i64 = 1;
    /// Under review.
    pub const PENDING: i64 = 2;
    /// Withdrawn by `undocodeaudit`.
    pub const WITHDRAWN: i64 = 3;
    /// Review delayed.
    pub const DELAYED: i64 = 4;
}

/// One audit (review) of committed code.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Audit {
    /// `auditid`.
    pub auditid: i64,
    /// See [`audit_status`].
    pub status: i64,
    /// Why it was rejected or delayed.
    pub reason: String,
    /// Media ids of rejection screenshots, `|`-separated.
    pub screenshot: String,
    /// The code under review.
    pub version: CodeVersion,
    /// When it was submitted.
    pub submit_audit_time: i64,
    /// Whether `speedupaudit` was asked for it.
    pub speedup: bool,
    /// Whether `/wxa/release` already published it.
    pub released: bool,
}

/// An online version.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Release {
    /// `user_version` of the released code.
    pub user_version: String,
    /// `user_desc` of the released code.
    pub user_desc: String,
    /// When it went online.
    pub release_time: i64,
    /// The audit that approved it.
    pub auditid: i64,
    /// Whether it came back online through `revertcoderelease` (which cannot
    /// then be reverted again).
    pub reverted: bool,
}

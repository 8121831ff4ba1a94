//! What a campaign releases: the body of `POST /admin/campaigns` read and
//! checked before anything is stored or sent (1001 naming the field), and
//! the per-account `ext_json` made from it. The checks are the ones the
//! console routes of each step make (`domains`, `privacy`), called on the
//! same types, so a campaign refuses exactly what the routes refuse.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::devweapp::whole_id;
use crate::domains::{DomainAction, ServerDomains, WebviewDomainChange};
use crate::error::AdminError;
use crate::params::check_appid;
use crate::privacy::{PrivacySetting, PRIVACY_VER_DEV};

/// Most characters of `userVersion` (WeChat's limit on `user_version`).
pub const MAX_USER_VERSION_CHARS: usize = 64;
/// Most characters of `userDesc` (the stored column's width).
pub const MAX_USER_DESC_CHARS: usize = 255;
/// Most mini programs named in one campaign.
pub const MAX_TARGETS: usize = 10_000;
/// What `ext_json` strings say where each account's appid goes.
pub const APPID_PLACEHOLDER: &str = "$APPID$";

/// The mini programs a campaign is for, as the console sends them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Targets {
    /// Every authorized managed mini program (permission set 18).
    #[serde(default)]
    pub all: bool,
    /// These mini programs.
    #[serde(default)]
    pub appids: Vec<String>,
}

/// Which mini programs a checked request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSet {
    /// Every authorized managed mini program.
    All,
    /// These appids (checked for shape, without repeats).
    Appids(Vec<String>),
}

/// `POST /admin/campaigns` as the console sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignRequest {
    /// The template (a number or a string of digits).
    #[serde(default)]
    pub template_id: Value,
    /// Version string of the code.
    #[serde(default)]
    pub user_version: String,
    /// Its description.
    #[serde(default)]
    pub user_desc: String,
    /// ext.json as an object; `$APPID$` and `extAppid` become each appid.
    #[serde(default)]
    pub ext_json: Option<Value>,
    /// Release each mini program once its audit is approved.
    #[serde(default)]
    pub auto_release: bool,
    /// Which mini programs.
    #[serde(default)]
    pub targets: Targets,
    /// Server domains to set (`modify_domain` with `set`), if any.
    #[serde(default)]
    pub server_domain: Option<ServerDomains>,
    /// Business domains to set (`setwebviewdomain` with `set`), if any.
    #[serde(default)]
    pub webview_domain: Option<Vec<String>>,
    /// The development privacy guide to set, if any.
    #[serde(default)]
    pub privacy_setting: Option<PrivacySetting>,
}

/// A checked campaign: what the runner does for every account. Stored as
/// JSON in `wxc_campaigns.spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignSpec {
    /// The template committed.
    pub template_id: i64,
    /// Version string.
    pub user_version: String,
    /// Description.
    pub user_desc: String,
    /// ext.json before the appid is put in.
    pub ext_json: Map<String, Value>,
    /// Release after approval.
    pub auto_release: bool,
    /// Server domains, normalized.
    #[serde(default)]
    pub server_domain: Option<ServerDomains>,
    /// Business domains, normalized.
    #[serde(default)]
    pub webview_domain: Option<Vec<String>>,
    /// The privacy guide.
    #[serde(default)]
    pub privacy_setting: Option<PrivacySetting>,
}

impl CampaignRequest {
    /// The spec and targets, or 1001 naming the first bad field. The
    /// template's existence and the targets' authorization are checked
    /// against WeChat and the database by the caller.
    pub fn check(self) -> Result<(CampaignSpec, TargetSet), AdminError> {
        let template_id = whole_id("templateId", &self.template_id)?;
        let user_version = self.user_version.trim().to_string();
        let chars = user_version.chars().count();
        if chars == 0 || chars > MAX_USER_VERSION_CHARS {
            return Err(AdminError::invalid(format!(
                "userVersion: 1 to {MAX_USER_VERSION_CHARS} characters"
            )));
        }
        let user_desc = self.user_desc.trim().to_string();
        if user_desc.chars().count() > MAX_USER_DESC_CHARS {
            return Err(AdminError::invalid(format!(
                "userDesc: at most {MAX_USER_DESC_CHARS} characters"
            )));
        }
        let ext_json = match self.ext_json {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => return Err(AdminError::invalid("extJson: must be a JSON object")),
        };
        let server_domain = self
            .server_domain
            .map(|domains| domains.validated())
            .transpose()?;
        let webview_domain = self
            .webview_domain
            .map(|webview_domain| {
                WebviewDomainChange {
                    action: DomainAction::Set,
                    webview_domain,
                    directly: false,
                }
                .validated()
            })
            .transpose()?;
        if let Some(setting) = &self.privacy_setting {
            if setting.privacy_ver != PRIVACY_VER_DEV {
                return Err(AdminError::invalid(
                    "privacySetting.privacyVer: 2, the guide of the code being committed",
                ));
            }
            setting
                .check()
                .map_err(|e| AdminError::invalid(format!("privacySetting.{}", detail(&e))))?;
        }
        let targets = self.targets.check()?;
        Ok((
            CampaignSpec {
                template_id,
                user_version,
                user_desc,
                ext_json,
                auto_release: self.auto_release,
                server_domain,
                webview_domain,
                privacy_setting: self.privacy_setting,
            },
            targets,
        ))
    }
}

fn detail(e: &AdminError) -> String {
    e.detail().unwrap_or_default()
}

impl Targets {
    fn check(self) -> Result<TargetSet, AdminError> {
        match (self.all, self.appids.is_empty()) {
            (true, true) => Ok(TargetSet::All),
            (true, false) => Err(AdminError::invalid(
                "targets: either {all: true} or {appids: [...]}, not both",
            )),
            (false, true) => Err(AdminError::invalid(
                "targets: {all: true} or a non-empty appids list is required",
            )),
            (false, false) => {
                let mut appids: Vec<String> = Vec::with_capacity(self.appids.len());
                for (i, appid) in self.appids.iter().enumerate() {
                    let appid = appid.trim();
                    check_appid(appid).map_err(|e| {
                        AdminError::invalid(format!("targets.appids[{i}]: {}", detail(&e)))
                    })?;
                    if !appids.iter().any(|a| a == appid) {
                        appids.push(appid.to_string());
                    }
                }
                if appids.len() > MAX_TARGETS {
                    return Err(AdminError::invalid(format!(
                        "targets.appids: at most {MAX_TARGETS} mini programs"
                    )));
                }
                Ok(TargetSet::Appids(appids))
            }
        }
    }
}

impl CampaignSpec {
    /// The `ext_json` committed to `appid`: every `$APPID$` in its strings
    /// and a top-level `extAppid` replaced by the appid.
    pub fn ext_json_for(&self, appid: &str) -> String {
        let mut map = self.ext_json.clone();
        for value in map.values_mut() {
            substitute(value, appid);
        }
        if map.contains_key("extAppid") {
            map.insert("extAppid".into(), Value::String(appid.to_string()));
        }
        Value::Object(map).to_string()
    }
}

fn substitute(value: &mut Value, appid: &str) {
    match value {
        Value::String(s) if s.contains(APPID_PLACEHOLDER) => {
            *s = s.replace(APPID_PLACEHOLDER, appid);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, appid)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, appid)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> Result<(CampaignSpec, TargetSet), AdminError> {
        serde_json::from_value::<CampaignRequest>(body)
            .expect("request shape")
            .check()
    }

    #[test]
    fn the_appid_goes_into_every_placeholder_and_ext_appid() {
        let (spec, targets) = request(json!({"templateId": "3", "userVersion": "1.0.0",
            "extJson": {"extAppid": "", "ext": {"host": "https://$APPID$.example.com", "ids": ["$APPID$"]}},
            "targets": {"all": true}}))
        .expect("valid");
        assert_eq!(targets, TargetSet::All);
        let ext: Value = serde_json::from_str(&spec.ext_json_for("wxabc")).expect("JSON");
        assert_eq!(
            ext,
            json!({"extAppid": "wxabc", "ext": {"host": "https://wxabc.example.com", "ids": ["wxabc"]}})
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        let cases = [
            (
                json!({"templateId": 1, "targets": {"all": true}}),
                "userVersion",
            ),
            (
                json!({"templateId": "x", "userVersion": "1", "targets": {"all": true}}),
                "templateId",
            ),
            (
                json!({"templateId": 1, "userVersion": "1", "targets": {}}),
                "targets",
            ),
            (
                json!({"templateId": 1, "userVersion": "1", "targets": {"appids": ["bad id"]}}),
                "targets.appids[0]",
            ),
            (
                json!({"templateId": 1, "userVersion": "1", "extJson": [1], "targets": {"all": true}}),
                "extJson",
            ),
            (
                json!({"templateId": 1, "userVersion": "1", "targets": {"all": true},
                "serverDomain": {"requestDomain": ["http://a.com"]}}),
                "requestDomain[0]",
            ),
            (
                json!({"templateId": 1, "userVersion": "1", "targets": {"all": true},
                "webviewDomain": ["https://a.com:8443"]}),
                "webviewDomain[0]",
            ),
            (
                json!({"templateId": 1, "userVersion": "1", "targets": {"all": true},
                "privacySetting": {"settingList": [], "ownerSetting": {}}}),
                "privacySetting.ownerSetting",
            ),
        ];
        for (body, field) in cases {
            let err = request(body.clone()).expect_err("refused");
            assert_eq!(err.code(), 1001, "{body}");
            assert!(err.to_string().contains(field), "{body}: {err}");
        }
    }

    #[test]
    fn repeated_appids_count_once() {
        let (_, targets) = request(json!({"templateId": 1, "userVersion": "1",
            "targets": {"appids": ["wxa", " wxb", "wxa"]}}))
        .expect("valid");
        assert_eq!(targets, TargetSet::Appids(vec!["wxa".into(), "wxb".into()]));
    }
}

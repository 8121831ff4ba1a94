//! Message-forward rules in wxcomponent's `wxcallback_rules` table and format:
//! a push matching (infoType) — a component event — or (msgType, event) — a
//! message to an authorizer — is forwarded to `http://{callback.forward_host}:{port}{path}`
//! or `{url}{path}` (`$APPID$` in the path replaced by the authorizer). The
//! target's checks and the sender are `common::forward`'s, the ones the
//! callback receiver uses; the table is `common::forward::store`'s. This
//! module is the console's side: its checks and its error codes.

use std::time::Duration;

use common::db::{now, DbConnection, DbError};
use common::forward::store::{self, Kind, RuleFields, SaveError, StoredRule};
use common::forward::{self, Forward, Target};
use common::message::{Format, RawFields};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::AdminError;
use crate::state::AppState;

/// Longest name, infoType, msgType or event.
pub const MAX_FIELD_CHARS: usize = 64;
/// The appid the test button's sample push is for (wxcomponent's).
pub const TEST_APPID: &str = "wxtestappid";

/// A rule as the console sends it (`PUT` adds, `POST` updates by `id`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuleInput {
    /// Required for updates.
    #[serde(default)]
    pub id: Option<i64>,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Component event type (`authorized`, ...), for component rules.
    #[serde(default)]
    pub info_type: String,
    /// Message type (`text`, `event`, ...), for message rules.
    #[serde(default)]
    pub msg_type: String,
    /// Event name for `msgType = event`.
    #[serde(default)]
    pub event: String,
    /// 1 on, 0 off (`true`/`false` accepted).
    #[serde(default)]
    pub open: Value,
    /// The forward target.
    #[schema(value_type = Object)]
    pub data: Target,
}

/// A rule as the console lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Row id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Component event type.
    pub info_type: String,
    /// Message type.
    pub msg_type: String,
    /// Event.
    pub event: String,
    /// 1 on, 0 off.
    pub open: i32,
    /// Forward target.
    pub data: Target,
    /// Unix seconds.
    pub create_time: i64,
    /// Unix seconds.
    pub update_time: i64,
}

/// A validated rule ready to store.
#[derive(Debug, Clone)]
struct Checked {
    name: String,
    info_type: String,
    msg_type: String,
    event: String,
    open: i32,
    info: String,
}

impl Checked {
    fn fields(&self) -> RuleFields<'_> {
        RuleFields {
            name: &self.name,
            info_type: &self.info_type,
            msg_type: &self.msg_type,
            event: &self.event,
            open: self.open,
            info: &self.info,
        }
    }
}

fn check_field(name: &str, value: &str) -> Result<String, AdminError> {
    let value = value.trim();
    if value.chars().count() > MAX_FIELD_CHARS || value.chars().any(char::is_control) {
        return Err(AdminError::invalid(format!(
            "{name}: at most {MAX_FIELD_CHARS} characters without control characters"
        )));
    }
    Ok(value.to_string())
}

fn open_flag(value: &Value) -> Result<i32, AdminError> {
    match value {
        Value::Null => Ok(0),
        Value::Bool(b) => Ok(i32::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Ok(0),
            Some(_) => Ok(1),
            None => Err(AdminError::invalid("open: must be 0 or 1")),
        },
        _ => Err(AdminError::invalid("open: must be 0 or 1")),
    }
}

impl RuleInput {
    fn check(&self) -> Result<Checked, AdminError> {
        let info_type = check_field("infoType", &self.info_type)?;
        let msg_type = check_field("msgType", &self.msg_type)?;
        let event = check_field("event", &self.event)?;
        if info_type.is_empty() && msg_type.is_empty() && event.is_empty() {
            return Err(AdminError::invalid(
                "infoType/msgType/event: 消息推送类型为空 (set infoType for a component event, or msgType and event for a message)",
            ));
        }
        if !info_type.is_empty() && (!msg_type.is_empty() || !event.is_empty()) {
            return Err(AdminError::invalid(
                "infoType: a rule matches either a component event (infoType) or a message (msgType, event), not both",
            ));
        }
        let target = self
            .data
            .check()
            .map_err(|e| AdminError::invalid(e.to_string()))?;
        let info = serde_json::to_string(&target).map_err(AdminError::internal)?;
        Ok(Checked {
            name: check_field("name", &self.name)?,
            info_type,
            msg_type,
            event,
            open: open_flag(&self.open)?,
            info,
        })
    }
}

fn duplicate(c: &Checked) -> AdminError {
    AdminError::invalid(format!(
        "该事件已存在转发规则: a rule for infoType={:?}, msgType={:?}, event={:?} already exists",
        c.info_type, c.msg_type, c.event
    ))
}

fn to_rule(row: StoredRule) -> Option<Rule> {
    match Target::parse(&row.info) {
        Ok(data) => Some(Rule {
            id: row.id,
            name: row.name,
            info_type: row.info_type,
            msg_type: row.msg_type,
            event: row.event,
            open: row.open,
            data,
            create_time: row.created.and_utc().timestamp(),
            update_time: row.updated.and_utc().timestamp(),
        }),
        Err(e) => {
            tracing::warn!(id = row.id, error = %e, "forward rule with unreadable info skipped");
            None
        }
    }
}

/// The list's `type` query parameter: 0 all, 1 component, 2 biz.
pub fn kind_from_code(code: i64) -> Result<Kind, AdminError> {
    match code {
        0 => Ok(Kind::All),
        1 => Ok(Kind::Component),
        2 => Ok(Kind::Biz),
        _ => Err(AdminError::invalid(
            "type: must be 0 (all), 1 (component) or 2 (biz)",
        )),
    }
}

/// A page of rules and the total of that kind.
pub fn list(
    conn: &mut DbConnection,
    kind: Kind,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Rule>), DbError> {
    let (total, rows) = store::list(conn, kind, offset, limit)?;
    Ok((total, rows.into_iter().filter_map(to_rule).collect()))
}

/// Adds a rule; a duplicate (infoType, msgType, event) is 1001, the one
/// meaning wxcomponent's add-rule form gives 1001 ("该事件已存在转发规则");
/// any other invalid input is 1002 with the reason in `data`.
pub fn add(conn: &mut DbConnection, input: &RuleInput) -> Result<(), AdminError> {
    let c = input.check().map_err(AdminError::shown_as_refusal)?;
    store::insert(conn, c.fields()).map_err(|e| save_error(e, &c))
}

/// A duplicate is 1001 with its message; anything else an internal failure.
fn save_error(e: SaveError, c: &Checked) -> AdminError {
    match e {
        SaveError::Duplicate => duplicate(c),
        SaveError::Db(e) => e.into(),
    }
}

fn rule_id(id: Option<i64>) -> Result<i32, AdminError> {
    id.and_then(|i| i32::try_from(i).ok())
        .filter(|i| *i > 0)
        .ok_or_else(|| AdminError::invalid("id: a positive rule id is required"))
}

/// Updates rule `input.id`; a duplicate is 1001 as for [`add`], any other
/// invalid input (unknown id included) 1002 with the reason in `data`, which
/// the console prints (it shows only "参数格式错误" for 1001 there).
pub fn update(conn: &mut DbConnection, input: &RuleInput) -> Result<(), AdminError> {
    let id = rule_id(input.id).map_err(AdminError::shown_as_refusal)?;
    let c = input.check().map_err(AdminError::shown_as_refusal)?;
    if store::update(conn, id, c.fields()).map_err(|e| save_error(e, &c))? {
        Ok(())
    } else {
        Err(AdminError::Refused(format!(
            "id: no forward rule with id {id}"
        )))
    }
}

/// Deletes rule `id` (deleting one that is gone is not an error); an
/// invalid id is 1002 with the reason in `data`, as for [`update`].
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), AdminError> {
    let id = rule_id(Some(id)).map_err(AdminError::shown_as_refusal)?;
    store::delete(conn, id)?;
    Ok(())
}

/// The rule `id` with its type.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<(Rule, i32), AdminError> {
    let id = rule_id(Some(id))?;
    let row = store::find(conn, id)?
        .ok_or_else(|| AdminError::invalid(format!("id: no forward rule with id {id}")))?;
    let rule_type = row.rule_type;
    let rule = to_rule(row).ok_or_else(|| {
        AdminError::InvalidStatus("该规则类型异常: its target cannot be read".into())
    })?;
    Ok((rule, rule_type))
}

/// The sample push `POST /admin/callback-test` sends (wxcomponent's).
pub fn sample_push(rule: &Rule) -> RawFields {
    let mut fields = Map::new();
    let mut set = |key: &str, value: &str| {
        if !value.is_empty() {
            fields.insert(key.to_string(), json!(value));
        }
    };
    if rule.info_type.is_empty() {
        set("ToUserName", "TestUserName1");
        set("FromUserName", "TestUserName2");
        set("MsgType", &rule.msg_type);
        set("Event", &rule.event);
    } else {
        set("InfoType", &rule.info_type);
    }
    set("Data", "TestData");
    fields.insert("CreateTime".to_string(), json!(now().and_utc().timestamp()));
    RawFields::from(fields)
}

/// Sends the sample push to the rule's target with the callback receiver's
/// own sender, and answers the target's reply body.
pub async fn test(state: &AppState, id: i64) -> Result<String, AdminError> {
    let (rule, rule_type) = state.db.query(move |conn| find(conn, id)).await?;
    if !forward::is_active(rule_type, rule.open) {
        return Err(AdminError::InvalidStatus(
            "该规则未启用或类型异常 (the rule is off or not an HTTP rule)".into(),
        ));
    }
    let endpoint = rule
        .data
        .endpoint(&state.settings.callback.forward_host)
        .map_err(|e| AdminError::InvalidStatus(format!("该规则类型异常: {e}")))?;
    let raw = sample_push(&rule);
    let plaintext = Value::Object(raw.as_map().clone()).to_string();
    let rule = forward::Rule {
        id: rule.id,
        info_type: rule.info_type,
        msg_type: rule.msg_type,
        event: rule.event,
        endpoint,
    };
    let push = Forward {
        rule: &rule,
        appid: TEST_APPID,
        plaintext: &plaintext,
        format: Format::Json,
        raw: &raw,
        request_id: None,
    };
    let timeout = Duration::from_millis(state.settings.callback.forward_timeout_ms);
    push.post(&state.http, timeout)
        .await
        .map_err(|e| AdminError::Upstream(e.to_string()))
}

//! Message-forward rules in wxcomponent's `wxcallback_rules` table and format:
//! a push matching (infoType) — a component event — or (msgType, event) — a
//! message to an authorizer — is forwarded to `http://{callback.forward_host}:{port}{path}`
//! or `{url}{path}` (`$APPID$` in the path replaced by the authorizer). The
//! target's checks and the sender are `common::forward`'s, the ones the
//! callback receiver uses. The callback receiver reads the table; it notices
//! changes through `COUNT(*)`, `MAX(id)` and `MAX(updatetime)`, so every
//! change here goes through plain row writes.

use std::time::Duration;

use chrono::NaiveDateTime;
use common::db::schema::wxcallback_rules;
use common::db::{now, DbConnection, DbError};
use common::forward::{self, Forward, Target, RULE_TYPE_HTTP};
use common::message::{Format, RawFields};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::AdminError;
use crate::state::AppState;

/// Longest name, infoType, msgType or event.
pub const MAX_FIELD_CHARS: usize = 64;
/// The appid the test button's sample push is for (wxcomponent's).
pub const TEST_APPID: &str = "wxtestappid";

/// A rule as the console sends it (`PUT` adds, `POST` updates by `id`).
#[derive(Debug, Clone, Deserialize)]
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

type Row = (
    i32,
    String,
    String,
    String,
    String,
    i32,
    i32,
    String,
    NaiveDateTime,
    NaiveDateTime,
);

const COLUMNS: (
    wxcallback_rules::id,
    wxcallback_rules::name,
    wxcallback_rules::infotype,
    wxcallback_rules::msgtype,
    wxcallback_rules::event,
    wxcallback_rules::rule_type,
    wxcallback_rules::open,
    wxcallback_rules::info,
    wxcallback_rules::createtime,
    wxcallback_rules::updatetime,
) = (
    wxcallback_rules::id,
    wxcallback_rules::name,
    wxcallback_rules::infotype,
    wxcallback_rules::msgtype,
    wxcallback_rules::event,
    wxcallback_rules::rule_type,
    wxcallback_rules::open,
    wxcallback_rules::info,
    wxcallback_rules::createtime,
    wxcallback_rules::updatetime,
);

fn to_rule(row: Row) -> Option<Rule> {
    let (id, name, info_type, msg_type, event, _, open, info, created, updated) = row;
    match Target::parse(&info) {
        Ok(data) => Some(Rule {
            id,
            name,
            info_type,
            msg_type,
            event,
            open,
            data,
            create_time: created.and_utc().timestamp(),
            update_time: updated.and_utc().timestamp(),
        }),
        Err(e) => {
            tracing::warn!(id, error = %e, "forward rule with unreadable info skipped");
            None
        }
    }
}

/// Which rules to list (wxcomponent's `type` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every rule.
    All,
    /// Component-event rules (infoType set).
    Component,
    /// Message rules (infoType empty).
    Biz,
}

impl Kind {
    /// 0 all, 1 component, 2 biz.
    pub fn from_code(code: i64) -> Result<Self, AdminError> {
        match code {
            0 => Ok(Self::All),
            1 => Ok(Self::Component),
            2 => Ok(Self::Biz),
            _ => Err(AdminError::invalid(
                "type: must be 0 (all), 1 (component) or 2 (biz)",
            )),
        }
    }
}

/// A page of rules and the total of that kind.
pub fn list(
    conn: &mut DbConnection,
    kind: Kind,
    offset: i64,
    limit: i64,
) -> Result<(i64, Vec<Rule>), DbError> {
    let query = || {
        let q = wxcallback_rules::table.into_boxed();
        match kind {
            Kind::All => q,
            Kind::Component => q.filter(wxcallback_rules::infotype.ne("")),
            Kind::Biz => q.filter(wxcallback_rules::infotype.eq("")),
        }
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<Row> = query()
        .select(COLUMNS)
        .order(wxcallback_rules::id.asc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((total, rows.into_iter().filter_map(to_rule).collect()))
}

/// Adds a rule; a duplicate (infoType, msgType, event) is 1001, the one
/// meaning wxcomponent's add-rule form gives 1001 ("该事件已存在转发规则");
/// any other invalid input is 1002 with the reason in `data`.
pub fn add(conn: &mut DbConnection, input: &RuleInput) -> Result<(), AdminError> {
    let c = input.check().map_err(AdminError::shown_as_refusal)?;
    let now = now();
    let inserted = diesel::insert_into(wxcallback_rules::table)
        .values((
            wxcallback_rules::name.eq(&c.name),
            wxcallback_rules::infotype.eq(&c.info_type),
            wxcallback_rules::msgtype.eq(&c.msg_type),
            wxcallback_rules::event.eq(&c.event),
            wxcallback_rules::rule_type.eq(RULE_TYPE_HTTP),
            wxcallback_rules::open.eq(c.open),
            wxcallback_rules::info.eq(&c.info),
            wxcallback_rules::createtime.eq(now),
            wxcallback_rules::updatetime.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(duplicate(&c))
        }
        Err(e) => Err(DbError::from(e).into()),
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
    let updated = diesel::update(wxcallback_rules::table.find(id))
        .set((
            wxcallback_rules::name.eq(&c.name),
            wxcallback_rules::infotype.eq(&c.info_type),
            wxcallback_rules::msgtype.eq(&c.msg_type),
            wxcallback_rules::event.eq(&c.event),
            wxcallback_rules::rule_type.eq(RULE_TYPE_HTTP),
            wxcallback_rules::open.eq(c.open),
            wxcallback_rules::info.eq(&c.info),
            wxcallback_rules::updatetime.eq(now()),
        ))
        .execute(conn);
    match updated {
        Ok(0) => Err(AdminError::Refused(format!(
            "id: no forward rule with id {id}"
        ))),
        Ok(_) => Ok(()),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(duplicate(&c))
        }
        Err(e) => Err(DbError::from(e).into()),
    }
}

/// Deletes rule `id` (deleting one that is gone is not an error); an
/// invalid id is 1002 with the reason in `data`, as for [`update`].
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), AdminError> {
    let id = rule_id(Some(id)).map_err(AdminError::shown_as_refusal)?;
    diesel::delete(wxcallback_rules::table.find(id))
        .execute(conn)
        .map_err(DbError::from)?;
    Ok(())
}

/// The rule `id` with its type.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<(Rule, i32), AdminError> {
    let id = rule_id(Some(id))?;
    let row: Option<Row> = wxcallback_rules::table
        .find(id)
        .select(COLUMNS)
        .first(conn)
        .optional()
        .map_err(DbError::from)?;
    let row =
        row.ok_or_else(|| AdminError::invalid(format!("id: no forward rule with id {id}")))?;
    let rule_type = row.5;
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

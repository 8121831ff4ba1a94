//! Stored pushes for the console: `wxcallback_component` (授权事件) and
//! `wxcallback_biz` (消息与事件), filtered by receive time and type, newest
//! first, with the total for paging — wxcomponent's `{total, records}`;
//! and what they show of WeChat's full-network-release check.

use chrono::{DateTime, NaiveDateTime};
use common::db::schema::{wxcallback_biz, wxcallback_component};
use common::db::{like_contains, now, DbConnection, DbError, LIKE_ESCAPE};
use common::message::{RELEASE_QUERY_AUTH_CODE, RELEASE_TEST_TEXT};
use diesel::prelude::*;
use serde::Serialize;

use crate::error::AdminError;
use crate::params::Query;

type Backend = <DbConnection as diesel::Connection>::Backend;

/// Largest page.
pub const MAX_LIMIT: i64 = 100;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: i64 = 20;
/// Latest time accepted as a filter (2100-01-01).
/// The latest time a query may name (2100-01-01, Unix seconds).
pub const MAX_TIME: i64 = 4_102_444_800;

/// Filters common to both record lists.
#[derive(Debug, Clone)]
pub struct Window {
    /// Earliest receive time (inclusive).
    pub start: NaiveDateTime,
    /// Latest receive time (inclusive).
    pub end: NaiveDateTime,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to answer.
    pub limit: i64,
}

fn time_param(query: &Query, name: &str, default: i64) -> Result<NaiveDateTime, AdminError> {
    let secs = query.int_in(name, default, 0, MAX_TIME)?;
    DateTime::from_timestamp(secs, 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| AdminError::invalid(format!("{name}: not a valid Unix time")))
}

impl Window {
    /// Reads `startTime`, `endTime` (Unix seconds; default 0 and now),
    /// `offset` and `limit`.
    pub fn from_query(query: &Query) -> Result<Self, AdminError> {
        let now = now().and_utc().timestamp();
        let start = time_param(query, "startTime", 0)?;
        let end = time_param(query, "endTime", now)?;
        if end < start {
            return Err(AdminError::invalid("endTime: must not be before startTime"));
        }
        let (offset, limit) = query.page(DEFAULT_LIMIT, MAX_LIMIT)?;
        Ok(Self {
            start,
            end,
            offset,
            limit,
        })
    }
}

/// One push to the component URL, as the console lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRecord {
    /// Row id.
    pub id: i32,
    /// When it was received (Unix seconds).
    pub receive_time: i64,
    /// The push's CreateTime (Unix seconds).
    pub create_time: i64,
    /// InfoType.
    pub info_type: String,
    /// The body as received.
    pub post_body: String,
}

/// One push to the biz URL, as the console lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BizRecord {
    /// Row id.
    pub id: i32,
    /// When it was received (Unix seconds).
    pub receive_time: i64,
    /// The push's CreateTime (Unix seconds).
    pub create_time: i64,
    /// The authorizer it was sent to.
    pub appid: String,
    /// ToUserName.
    pub to_user_name: String,
    /// MsgType.
    pub msg_type: String,
    /// Event.
    pub event: String,
    /// The body as received.
    pub post_body: String,
}

/// A page of records and the total matching.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    /// Rows matching the filters.
    pub total: i64,
    /// This page.
    pub records: Vec<T>,
}

fn unix(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

/// Filters of the component list.
#[derive(Debug, Clone, Default)]
pub struct ComponentFilter {
    /// InfoType.
    pub info_type: Option<String>,
    /// An authorizer appid the push names (`AuthorizerAppid`): the table
    /// has no appid column, so the body is searched for it.
    pub appid: Option<String>,
}

fn component_query(
    window: &Window,
    filter: &ComponentFilter,
) -> wxcallback_component::BoxedQuery<'static, Backend> {
    let mut q = wxcallback_component::table
        .filter(wxcallback_component::receivetime.between(window.start, window.end))
        .into_boxed();
    if let Some(t) = &filter.info_type {
        q = q.filter(wxcallback_component::infotype.eq(t.clone()));
    }
    if let Some(appid) = &filter.appid {
        q = q.filter(
            wxcallback_component::postbody
                .like(like_contains(appid))
                .escape(LIKE_ESCAPE),
        );
    }
    q
}

/// Pushes to the component URL.
pub fn component_records(
    conn: &mut DbConnection,
    window: &Window,
    filter: &ComponentFilter,
) -> Result<Page<ComponentRecord>, DbError> {
    let total: i64 = component_query(window, filter).count().get_result(conn)?;
    let rows: Vec<(i32, NaiveDateTime, NaiveDateTime, String, String)> =
        component_query(window, filter)
            .select((
                wxcallback_component::id,
                wxcallback_component::receivetime,
                wxcallback_component::createtime,
                wxcallback_component::infotype,
                wxcallback_component::postbody,
            ))
            .order((
                wxcallback_component::receivetime.desc(),
                wxcallback_component::id.desc(),
            ))
            .offset(window.offset)
            .limit(window.limit)
            .load(conn)?;
    Ok(Page {
        total,
        records: rows
            .into_iter()
            .map(|(id, r, c, info_type, post_body)| ComponentRecord {
                id,
                receive_time: unix(r),
                create_time: unix(c),
                info_type,
                post_body,
            })
            .collect(),
    })
}

/// Filters of the biz list.
#[derive(Debug, Clone, Default)]
pub struct BizFilter {
    /// Authorizer appid.
    pub appid: Option<String>,
    /// MsgType.
    pub msg_type: Option<String>,
    /// Event.
    pub event: Option<String>,
}

fn biz_query(window: &Window, filter: &BizFilter) -> wxcallback_biz::BoxedQuery<'static, Backend> {
    let mut q = wxcallback_biz::table
        .filter(wxcallback_biz::receivetime.between(window.start, window.end))
        .into_boxed();
    if let Some(v) = &filter.appid {
        q = q.filter(wxcallback_biz::appid.eq(v.clone()));
    }
    if let Some(v) = &filter.msg_type {
        q = q.filter(wxcallback_biz::msgtype.eq(v.clone()));
    }
    if let Some(v) = &filter.event {
        q = q.filter(wxcallback_biz::event.eq(v.clone()));
    }
    q
}

/// Pushes to the biz URL.
pub fn biz_records(
    conn: &mut DbConnection,
    window: &Window,
    filter: &BizFilter,
) -> Result<Page<BizRecord>, DbError> {
    let total: i64 = biz_query(window, filter).count().get_result(conn)?;
    type Row = (
        i32,
        NaiveDateTime,
        NaiveDateTime,
        String,
        String,
        String,
        String,
        String,
    );
    let rows: Vec<Row> = biz_query(window, filter)
        .select((
            wxcallback_biz::id,
            wxcallback_biz::receivetime,
            wxcallback_biz::createtime,
            wxcallback_biz::appid,
            wxcallback_biz::tousername,
            wxcallback_biz::msgtype,
            wxcallback_biz::event,
            wxcallback_biz::postbody,
        ))
        .order((
            wxcallback_biz::receivetime.desc(),
            wxcallback_biz::id.desc(),
        ))
        .offset(window.offset)
        .limit(window.limit)
        .load(conn)?;
    Ok(Page {
        total,
        records: rows
            .into_iter()
            .map(
                |(id, r, c, appid, to_user_name, msg_type, event, post_body)| BizRecord {
                    id,
                    receive_time: unix(r),
                    create_time: unix(c),
                    appid,
                    to_user_name,
                    msg_type,
                    event,
                    post_body,
                },
            )
            .collect(),
    })
}

/// One step of WeChat's full-network-release check (全网发布) as the stored
/// pushes of its test accounts show it. A push seen here is one the check
/// sent; the callback answered it as it arrived when its
/// `callback.release_test_appids` lists the account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseStep {
    /// `text`, `queryAuthCode` or `event`.
    pub name: &'static str,
    /// Pushes of this step received.
    pub count: i64,
    /// When the latest arrived (Unix seconds), if any did.
    pub last_seen: Option<i64>,
}

/// The release check's three steps among the pushes to `test_appids`.
pub fn release_steps(
    conn: &mut DbConnection,
    test_appids: &[String],
) -> Result<Vec<ReleaseStep>, DbError> {
    let of = |msg_type: &'static str, text: Option<&str>| {
        let mut q = wxcallback_biz::table
            .filter(wxcallback_biz::appid.eq_any(test_appids.to_vec()))
            .filter(wxcallback_biz::msgtype.eq(msg_type))
            .into_boxed::<Backend>();
        if let Some(text) = text {
            q = q.filter(
                wxcallback_biz::postbody
                    .like(like_contains(text))
                    .escape(LIKE_ESCAPE),
            );
        }
        q
    };
    let steps = [
        ("text", "text", Some(RELEASE_TEST_TEXT)),
        ("queryAuthCode", "text", Some(RELEASE_QUERY_AUTH_CODE)),
        ("event", "event", None),
    ];
    let mut out = Vec::with_capacity(steps.len());
    for (name, msg_type, text) in steps {
        let count: i64 = of(msg_type, text).count().get_result(conn)?;
        let last: Option<NaiveDateTime> = of(msg_type, text)
            .select(diesel::dsl::max(wxcallback_biz::receivetime))
            .first(conn)?;
        out.push(ReleaseStep {
            name,
            count,
            last_seen: last.map(unix),
        });
    }
    Ok(out)
}

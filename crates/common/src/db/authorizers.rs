//! wxcomponent's `authorizers` table: the accounts that authorized the
//! platform, with the grant (refresh token, permission sets, when) and the
//! details WeChat tells about them (name, avatar, owner, ...).
//!
//! This module is the only reader and writer of the table, as vaultwarden's
//! `db/models/*.rs` own theirs: the callback receiver grants and removes
//! accounts as pushes arrive, the admin pulls WeChat's list and refreshes
//! details, the token core reads and rotates refresh tokens. Text is cut to
//! the column widths here, on every write, so a long nickname is stored cut
//! on every path and every backend (strict MySQL refuses it otherwise).
//! Inserts go through [`crate::db::upsert`], never inside a transaction.
//! All functions are blocking; call them through `Db::run`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{authorizers, wxtoken};
use crate::db::{cut, like_contains, now, upsert, DbConnection, DbError, LIKE_ESCAPE};
use crate::tokens::store;
use crate::wechat::AuthorizerInfo;

/// Width of `nickname` and `username` (characters, as MySQL counts them).
pub const NAME_WIDTH: usize = 32;
/// Width of `headimg` and `qrcodeurl`.
pub const URL_WIDTH: usize = 256;
/// Width of `principalname`.
pub const PRINCIPAL_WIDTH: usize = 64;
/// Width of `funcinfo`.
pub const FUNC_INFO_WIDTH: usize = 128;

/// A stored authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = authorizers)]
pub struct Authorizer {
    /// Primary key.
    pub id: i32,
    /// Account appid.
    pub appid: String,
    /// 0 mini program, 1 official account.
    #[diesel(column_name = apptype)]
    pub app_type: i32,
    /// `service_type_info.id`.
    #[diesel(column_name = servicetype)]
    pub service_type: i32,
    /// Display name.
    #[diesel(column_name = nickname)]
    pub nick_name: String,
    /// Original id.
    #[diesel(column_name = username)]
    pub user_name: String,
    /// Avatar.
    #[diesel(column_name = headimg)]
    pub head_img: String,
    /// QR code.
    #[diesel(column_name = qrcodeurl)]
    pub qrcode_url: String,
    /// Owner.
    #[diesel(column_name = principalname)]
    pub principal_name: String,
    /// Refresh token.
    #[diesel(column_name = refreshtoken)]
    pub refresh_token: String,
    /// Granted permission-set ids, `|`-joined.
    #[diesel(column_name = funcinfo)]
    pub func_info: String,
    /// `verify_type_info.id`.
    #[diesel(column_name = verifyinfo)]
    pub verify_info: i32,
    /// When it authorized.
    #[diesel(column_name = authtime)]
    pub auth_time: NaiveDateTime,
}

/// What an authorization grants: the refresh token, the permission sets and
/// when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// `authorizer_refresh_token`.
    pub refresh_token: String,
    /// Granted permission-set ids, `|`-joined.
    pub func_info: String,
    /// When the account authorized.
    pub auth_time: NaiveDateTime,
}

/// What WeChat says about an account (`api_get_authorizer_info`), cut to
/// the column widths. Serialized with wxcomponent's camelCase names, as the
/// console's authorizer list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    /// 0 mini program, 1 official account.
    pub app_type: i32,
    /// `service_type_info.id`.
    pub service_type: i32,
    /// Display name.
    pub nick_name: String,
    /// Original id.
    pub user_name: String,
    /// Avatar.
    pub head_img: String,
    /// QR code.
    pub qrcode_url: String,
    /// Owner.
    pub principal_name: String,
    /// Granted permission-set ids; empty when WeChat named none, which
    /// leaves the grant's alone.
    pub func_info: String,
    /// `verify_type_info.id`.
    pub verify_info: i32,
}

impl From<&AuthorizerInfo> for Details {
    fn from(info: &AuthorizerInfo) -> Self {
        let fit = |text: String, chars: usize| cut(&text, chars).to_string();
        Self {
            app_type: info.app_type(),
            service_type: clamp_i32(info.service_type()),
            nick_name: fit(info.nick_name(), NAME_WIDTH),
            user_name: fit(info.user_name(), NAME_WIDTH),
            head_img: fit(info.head_img(), URL_WIDTH),
            qrcode_url: fit(info.qrcode_url(), URL_WIDTH),
            principal_name: fit(info.principal_name(), PRINCIPAL_WIDTH),
            func_info: fit(info.func_info_ids(), FUNC_INFO_WIDTH),
            verify_info: clamp_i32(info.verify_type()),
        }
    }
}

impl Authorizer {
    /// A row for `appid` not stored yet: no details, nothing granted.
    pub fn new(appid: &str, auth_time: NaiveDateTime) -> Self {
        Self {
            id: 0,
            appid: appid.to_string(),
            app_type: 0,
            service_type: 0,
            nick_name: String::new(),
            user_name: String::new(),
            head_img: String::new(),
            qrcode_url: String::new(),
            principal_name: String::new(),
            refresh_token: String::new(),
            func_info: String::new(),
            verify_info: -1,
            auth_time,
        }
    }

    /// Overwrites the details with WeChat's current ones, as
    /// [`store_details`] does to the stored row.
    pub fn apply(&mut self, details: &Details) {
        self.app_type = details.app_type;
        self.service_type = details.service_type;
        self.nick_name.clone_from(&details.nick_name);
        self.user_name.clone_from(&details.user_name);
        self.head_img.clone_from(&details.head_img);
        self.qrcode_url.clone_from(&details.qrcode_url);
        self.principal_name.clone_from(&details.principal_name);
        if !details.func_info.is_empty() {
            self.func_info.clone_from(&details.func_info);
        }
        self.verify_info = details.verify_info;
    }

    fn grant(&self) -> Grant {
        Grant {
            refresh_token: self.refresh_token.clone(),
            func_info: self.func_info.clone(),
            auth_time: self.auth_time,
        }
    }

    /// The stored details.
    pub fn details(&self) -> Details {
        Details {
            app_type: self.app_type,
            service_type: self.service_type,
            nick_name: self.nick_name.clone(),
            user_name: self.user_name.clone(),
            head_img: self.head_img.clone(),
            qrcode_url: self.qrcode_url.clone(),
            principal_name: self.principal_name.clone(),
            func_info: self.func_info.clone(),
            verify_info: self.verify_info,
        }
    }
}

/// The grant's columns, cut to their widths.
#[derive(AsChangeset, Insertable)]
#[diesel(table_name = authorizers)]
struct GrantColumns<'a> {
    refreshtoken: &'a str,
    funcinfo: &'a str,
    authtime: NaiveDateTime,
}

impl Grant {
    fn columns(&self) -> GrantColumns<'_> {
        GrantColumns {
            refreshtoken: &self.refresh_token,
            funcinfo: cut(&self.func_info, FUNC_INFO_WIDTH),
            authtime: self.auth_time,
        }
    }
}

/// The details' columns but `funcinfo` (part of the grant), cut to their widths.
#[derive(AsChangeset)]
#[diesel(table_name = authorizers)]
struct DetailColumns<'a> {
    apptype: i32,
    servicetype: i32,
    nickname: &'a str,
    username: &'a str,
    headimg: &'a str,
    qrcodeurl: &'a str,
    principalname: &'a str,
    verifyinfo: i32,
}

impl Details {
    fn columns(&self) -> DetailColumns<'_> {
        DetailColumns {
            apptype: self.app_type,
            servicetype: self.service_type,
            nickname: cut(&self.nick_name, NAME_WIDTH),
            username: cut(&self.user_name, NAME_WIDTH),
            headimg: cut(&self.head_img, URL_WIDTH),
            qrcodeurl: cut(&self.qrcode_url, URL_WIDTH),
            principalname: cut(&self.principal_name, PRINCIPAL_WIDTH),
            verifyinfo: self.verify_info,
        }
    }
}

fn clamp_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(-1)
}

/// Stores an authorization of `appid` (inserting the row when it is new),
/// leaving its details as they are.
pub fn grant(conn: &mut DbConnection, appid: &str, grant: &Grant) -> Result<(), DbError> {
    let columns = grant.columns();
    upsert(
        conn,
        |conn| {
            diesel::update(authorizers::table.filter(authorizers::appid.eq(appid)))
                .set((&columns, authorizers::updatetime.eq(now())))
                .execute(conn)
        },
        |conn| {
            diesel::insert_into(authorizers::table)
                .values((
                    authorizers::appid.eq(appid),
                    &columns,
                    authorizers::updatetime.eq(now()),
                ))
                .execute(conn)
        },
    )?;
    Ok(())
}

/// Stores WeChat's details of `appid` on its row, if the row still exists
/// (answers whether it did). Never inserts and leaves the refresh token and
/// the time alone: an account removed, or authorized again, while its
/// details were being fetched stays as that change left it. Permission sets
/// are replaced only when WeChat named some.
pub fn store_details(
    conn: &mut DbConnection,
    appid: &str,
    details: &Details,
) -> Result<bool, DbError> {
    let columns = details.columns();
    let target = diesel::update(authorizers::table.filter(authorizers::appid.eq(appid)));
    let func_info = cut(&details.func_info, FUNC_INFO_WIDTH);
    let changed = if func_info.is_empty() {
        target
            .set((&columns, authorizers::updatetime.eq(now())))
            .execute(conn)?
    } else {
        target
            .set((
                &columns,
                authorizers::funcinfo.eq(func_info),
                authorizers::updatetime.eq(now()),
            ))
            .execute(conn)?
    };
    Ok(changed > 0)
}

/// Stores the whole row (grant and details) of `authorizer.appid`, as
/// WeChat's authorizer list and details say it is now.
pub fn save(conn: &mut DbConnection, authorizer: &Authorizer) -> Result<(), DbError> {
    grant(conn, &authorizer.appid, &authorizer.grant())?;
    store_details(conn, &authorizer.appid, &authorizer.details())?;
    Ok(())
}

/// Removes `appid` (it revoked the platform) with every token stored for
/// it; answers whether the row existed. Callers also forget the token
/// core's cached copy (`TokenManager::forget`).
pub fn remove(conn: &mut DbConnection, appid: &str) -> Result<bool, DbError> {
    let removed =
        diesel::delete(authorizers::table.filter(authorizers::appid.eq(appid))).execute(conn)?;
    store::delete_tokens(conn, appid)?;
    Ok(removed > 0)
}

/// Replaces the refresh token of `appid` with the one WeChat rotated to.
pub fn rotate_refresh_token(
    conn: &mut DbConnection,
    appid: &str,
    refresh_token: &str,
) -> Result<(), DbError> {
    diesel::update(authorizers::table.filter(authorizers::appid.eq(appid)))
        .set(authorizers::refreshtoken.eq(refresh_token))
        .execute(conn)?;
    Ok(())
}

/// The stored refresh token of `appid`, if it is an authorizer.
pub fn refresh_token(conn: &mut DbConnection, appid: &str) -> Result<Option<String>, DbError> {
    Ok(authorizers::table
        .filter(authorizers::appid.eq(appid))
        .select(authorizers::refreshtoken)
        .first(conn)
        .optional()?)
}

/// Whether `appid` is a stored authorizer.
pub fn exists(conn: &mut DbConnection, appid: &str) -> Result<bool, DbError> {
    let rows: i64 = authorizers::table
        .filter(authorizers::appid.eq(appid))
        .count()
        .get_result(conn)?;
    Ok(rows > 0)
}

/// One stored authorizer by appid.
pub fn find(conn: &mut DbConnection, appid: &str) -> Result<Option<Authorizer>, DbError> {
    Ok(authorizers::table
        .filter(authorizers::appid.eq(appid))
        .select(Authorizer::as_select())
        .first(conn)
        .optional()?)
}

/// The stored authorizers among `appids`.
pub fn find_all(conn: &mut DbConnection, appids: &[String]) -> Result<Vec<Authorizer>, DbError> {
    Ok(authorizers::table
        .filter(authorizers::appid.eq_any(appids))
        .select(Authorizer::as_select())
        .load(conn)?)
}

/// The appid of every stored authorizer.
pub fn appids(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    Ok(authorizers::table.select(authorizers::appid).load(conn)?)
}

/// The appid of every stored authorizer that has a stored access token (the
/// tokens the admin's refresher keeps fresh).
pub fn with_access_token(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    Ok(wxtoken::table
        .inner_join(authorizers::table.on(authorizers::appid.eq(wxtoken::appid)))
        .filter(wxtoken::token_type.eq(store::TOKEN_TYPE_AUTHORIZER))
        .select(wxtoken::appid)
        .load(conn)?)
}

/// How many stored authorizers are official accounts and how many mini
/// programs, for the console's overview.
pub fn count_by_type(conn: &mut DbConnection) -> Result<(i64, i64), DbError> {
    let count = |conn: &mut DbConnection, app_type: i32| -> Result<i64, DbError> {
        Ok(authorizers::table
            .filter(authorizers::apptype.eq(app_type))
            .count()
            .get_result(conn)?)
    };
    Ok((count(conn, 1)?, count(conn, 0)?))
}

/// Which rows [`page`] answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageQuery<'a> {
    /// Only this appid, when set.
    pub appid: Option<&'a str>,
    /// Rows to skip (in id order).
    pub offset: i64,
    /// Rows to answer at most.
    pub limit: i64,
    /// Only managed (代开发) mini programs: permission set 18.
    pub managed_only: bool,
    /// Only accounts whose appid or name contains this, when set.
    pub search: Option<&'a str>,
    /// Only this kind (`apptype`: 0 mini program, 1 official account), when set.
    pub app_type: Option<i32>,
}

/// A page of stored authorizers in id order, and how many match in all.
pub fn page(
    conn: &mut DbConnection,
    query: &PageQuery<'_>,
) -> Result<(i64, Vec<Authorizer>), DbError> {
    let matching = || {
        let mut q = authorizers::table.into_boxed();
        if let Some(appid) = query.appid {
            q = q.filter(authorizers::appid.eq(appid));
        }
        if let Some(text) = query.search {
            let pattern = like_contains(text);
            q = q.filter(
                authorizers::appid
                    .like(pattern.clone())
                    .escape(LIKE_ESCAPE)
                    .or(authorizers::nickname.like(pattern).escape(LIKE_ESCAPE)),
            );
        }
        if let Some(app_type) = query.app_type {
            q = q.filter(authorizers::apptype.eq(app_type));
        }
        if query.managed_only {
            // Mini programs with permission set 18 (代开发小程序), whichever
            // way the ids are joined ("18", "1|18|2", wxcomponent's "|1|18").
            q = q.filter(authorizers::apptype.eq(0)).filter(
                authorizers::funcinfo
                    .eq("18")
                    .or(authorizers::funcinfo.like("18|%"))
                    .or(authorizers::funcinfo.like("%|18"))
                    .or(authorizers::funcinfo.like("%|18|%")),
            );
        }
        q
    };
    let total: i64 = matching().count().get_result(conn)?;
    let rows = matching()
        .select(Authorizer::as_select())
        .order(authorizers::id.asc())
        .offset(query.offset)
        .limit(query.limit)
        .load(conn)?;
    Ok((total, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_by_characters_not_bytes() {
        assert_eq!(cut("公众号名称很长", 3), "公众号");
        assert_eq!(cut("short", 32), "short");
        assert_eq!(cut("", 0), "");
        assert_eq!(cut("exactly", 7), "exactly");
    }
}

//! Mini-program login (the template's `GET /api/login`): a `js_code` becomes
//! a WeChat session (`jscode2session`, for an authorized mini program through
//! the component, for the platform's own with its AppSecret), the
//! `session_key` is kept server-side, and the caller gets our JWT (openid and
//! appid as claims, 7 days by default).

use common::db::schema::{comm, wxc_mp_sessions};
use common::db::{upsert, Db, DbConnection, DbError};
use common::wechat::{raw_rejects_token, with_token_checked};
use diesel::prelude::*;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::BusinessError;
use crate::AppState;

/// `comm` key of the generated JWT secret, shared by every replica.
const JWT_SECRET_KEY: &str = "business_jwt_secret";

/// What our login token says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user (openid).
    pub sub: String,
    /// The mini program the user logged in to.
    pub appid: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// The configured JWT secret, or the one stored in the database (created
/// once, the first replica to start wins).
pub fn jwt_secret(
    conn: &mut DbConnection,
    configured: &SecretString,
) -> Result<SecretString, DbError> {
    if !configured.expose_secret().is_empty() {
        return Ok(configured.clone());
    }
    let generated = hex::encode(rand::random::<[u8; 32]>());
    let inserted = diesel::insert_into(comm::table)
        .values((comm::key.eq(JWT_SECRET_KEY), comm::value.eq(&generated)))
        .execute(conn);
    if let Err(e) = inserted {
        tracing::debug!(error = %e, "JWT secret already stored");
    }
    let stored: String = comm::table
        .find(JWT_SECRET_KEY)
        .select(comm::value)
        .first(conn)?;
    Ok(SecretString::from(stored))
}

/// Issues a token for `openid` in `appid`.
pub fn issue(state: &AppState, openid: &str, appid: &str) -> Result<String, BusinessError> {
    let now = common::db::now().and_utc().timestamp();
    let claims = Claims {
        sub: openid.to_string(),
        appid: appid.to_string(),
        iat: now,
        exp: now + state.settings.jwt_expiry_secs,
    };
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(state.jwt_secret.expose_secret().as_bytes()),
    )
    .map_err(|e| BusinessError::Internal(format!("cannot sign a token: {e}")))
}

/// Checks a token and answers its claims.
pub fn verify(state: &AppState, token: &str) -> Result<Claims, BusinessError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    decode::<Claims>(
        token,
        &DecodingKey::from_secret(state.jwt_secret.expose_secret().as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
            BusinessError::Unauthorized("登录已过期 (token expired): log in again".into())
        }
        _ => BusinessError::Unauthorized("无效的登录凭证 (invalid token)".into()),
    })
}

/// A WeChat session as `jscode2session` returns it.
struct Session {
    openid: String,
    session_key: String,
    unionid: String,
}

/// Logs `code` in to `appid` (empty = the platform's own mini program) and
/// answers our token.
pub async fn login(
    state: &AppState,
    code: &str,
    appid: Option<&str>,
) -> Result<String, BusinessError> {
    if code.is_empty() || code.len() > 256 {
        return Err(BusinessError::BadRequest(
            "code参数错误: code is required".into(),
        ));
    }
    let own = &state.settings.mini_program_appid;
    let appid = appid.filter(|a| !a.is_empty()).unwrap_or(own.as_str());
    if appid.is_empty() {
        return Err(BusinessError::BadRequest(
            "appid参数错误: appid is required (no business.mini_program_appid configured)".into(),
        ));
    }
    let session = if appid == own {
        own_session(state, appid, code).await?
    } else {
        component_session(state, appid, code).await?
    };
    let (appid_c, session_c) = (appid.to_string(), session.openid.clone());
    let (key, unionid) = (session.session_key, session.unionid);
    state
        .db
        .run(move |conn| save_session(conn, &appid_c, &session_c, &key, &unionid))
        .await?;
    issue(state, &session.openid, appid)
}

async fn own_session(state: &AppState, appid: &str, code: &str) -> Result<Session, BusinessError> {
    let secret = state.settings.mini_program_secret.expose_secret();
    if secret.is_empty() {
        return Err(BusinessError::BadRequest(
            "this service has no business.mini_program_secret for its own mini program".into(),
        ));
    }
    let answer = state
        .wechat
        .get_raw(
            "/sns/jscode2session",
            &[
                ("appid", appid),
                ("secret", secret),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ],
        )
        .await
        .map_err(|e| BusinessError::Upstream(e.to_string()))?;
    session_from(answer)
}

async fn component_session(
    state: &AppState,
    appid: &str,
    code: &str,
) -> Result<Session, BusinessError> {
    let component_appid = state.component_appid.as_str();
    let wechat = &state.wechat;
    let answer = with_token_checked(
        &state.inner.component(),
        raw_rejects_token,
        |token| async move {
            wechat
                .get_raw(
                    "/sns/component/jscode2session",
                    &[
                        ("appid", appid),
                        ("js_code", code),
                        ("grant_type", "authorization_code"),
                        ("component_appid", component_appid),
                        ("component_access_token", token.as_str()),
                    ],
                )
                .await
        },
    )
    .await?
    .map_err(|e| BusinessError::Upstream(e.to_string()))?;
    session_from(answer)
}

fn session_from(answer: Value) -> Result<Session, BusinessError> {
    let errcode = answer.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    if errcode != 0 {
        let errmsg = answer
            .get("errmsg")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        return Err(BusinessError::LoginRefused { errcode, errmsg });
    }
    let text = |k: &str| {
        answer
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let session = Session {
        openid: text("openid"),
        session_key: text("session_key"),
        unionid: text("unionid"),
    };
    if session.openid.is_empty() || session.session_key.is_empty() {
        return Err(BusinessError::Upstream(
            "jscode2session answered without openid".into(),
        ));
    }
    Ok(session)
}

fn save_session(
    conn: &mut DbConnection,
    appid: &str,
    openid: &str,
    session_key: &str,
    unionid: &str,
) -> Result<(), DbError> {
    upsert(
        conn,
        |conn| {
            diesel::update(wxc_mp_sessions::table.find((appid, openid)))
                .set((
                    wxc_mp_sessions::sessionkey.eq(session_key),
                    wxc_mp_sessions::unionid.eq(unionid),
                    wxc_mp_sessions::updatetime.eq(common::db::now()),
                ))
                .execute(conn)
        },
        |conn| {
            diesel::insert_into(wxc_mp_sessions::table)
                .values((
                    wxc_mp_sessions::appid.eq(appid),
                    wxc_mp_sessions::openid.eq(openid),
                    wxc_mp_sessions::sessionkey.eq(session_key),
                    wxc_mp_sessions::unionid.eq(unionid),
                ))
                .execute(conn)
        },
    )?;
    Ok(())
}

/// Whether the server holds a session for the user (the example protected route shows it).
pub async fn has_session(db: &Db, appid: &str, openid: &str) -> Result<bool, BusinessError> {
    let (appid, openid) = (appid.to_string(), openid.to_string());
    Ok(db
        .run(move |conn| {
            Ok(wxc_mp_sessions::table
                .find((appid.as_str(), openid.as_str()))
                .count()
                .get_result::<i64>(conn)?
                > 0)
        })
        .await?)
}

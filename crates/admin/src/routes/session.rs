//! `PUT /wxcomponent/auth` (login), `GET /admin/refresh-auth`,
//! `POST /admin/username`, `POST /admin/userpwd`.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{ok, ok_empty};
use crate::auth::{self, AuthUser};
use crate::client_ip;
use crate::error::{AdminError, AdminResult};
use crate::lockout;
use crate::params;
use crate::state::AppState;
use crate::users::{self, Verdict};

/// `PUT /wxcomponent/auth` body.
#[derive(Deserialize, ToSchema)]
pub(super) struct LoginBody {
    /// The user's name.
    username: String,
    /// md5 of the password, lowercase hex.
    password: String,
}

/// Logs in with the username and md5 of the password; answers `{"jwt"}`.
/// Locked-out addresses get 1011 before any check is made.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: LoginBody = params::json(&body)?;
    if body.username.is_empty() {
        return Err(AdminError::invalid("username: required"));
    }
    if body.password.is_empty() {
        return Err(AdminError::invalid("password: required"));
    }
    let ip = client_ip::client_ip(&req, &state.trusted_proxies)
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
    let window = state.settings.admin.login_lockout_secs;
    let max = state.settings.admin.login_max_failures;
    let passwords = state.passwords.clone();
    let user = state
        .db
        .query(move |conn| {
            if lockout::failures(conn, &ip, window)? >= max {
                return Err(AdminError::LockedOut);
            }
            let found = users::find_by_name(conn, &body.username)?;
            let verdict = passwords.verify(found.as_ref().map(|u| u.password.as_str()), &body.password);
            match (verdict, found) {
                (Verdict::Match, Some(user)) => Ok(user),
                (Verdict::LegacyMatch, Some(mut user)) => {
                    let hash = passwords.hash(&body.password)?;
                    users::set_password(conn, user.id, &hash)?;
                    tracing::info!(user = %user.username, "upgraded a wxcomponent md5 password to argon2id");
                    user.password = hash;
                    Ok(user)
                }
                _ => {
                    let count = lockout::record_failure(conn, &ip, window)?;
                    tracing::warn!(ip = %ip, failures = count, "failed console login");
                    Err(AdminError::AuthFailed)
                }
            }
        })
        .await?;
    let jwt = state.jwt.issue(&user, &auth::new_session_id())?;
    Ok(ok(json!({ "jwt": jwt })))
}

/// The session of `user`'s token, or a new one for tokens from before
/// sessions existed.
fn session_of(user: &AuthUser) -> String {
    if user.claims.sid.is_empty() {
        auth::new_session_id()
    } else {
        user.claims.sid.clone()
    }
}

/// A fresh JWT for the logged-in user, in the same session.
pub async fn refresh(user: AuthUser, state: web::Data<AppState>) -> AdminResult<HttpResponse> {
    let jwt = state.jwt.issue(&user.user, &session_of(&user))?;
    Ok(ok(json!({ "jwt": jwt })))
}

/// `POST /admin/username` body.
#[derive(Deserialize, ToSchema)]
pub(super) struct UsernameBody {
    /// The new name.
    #[serde(default)]
    username: String,
}

/// Renames the logged-in user.
pub async fn change_username(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: UsernameBody = params::json(&body)?;
    let name = body.username.trim().to_string();
    if name.is_empty() {
        return Err(AdminError::invalid("username: required"));
    }
    users::check_username(&name)?;
    let id = user.user.id;
    let changed = state
        .db
        .run(move |conn| users::set_username(conn, id, &name))
        .await?;
    if !changed {
        return Err(AdminError::User("username: already taken".into()));
    }
    Ok(ok_empty())
}

/// `POST /admin/userpwd` body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct PasswordBody {
    /// md5 of the new password, lowercase hex.
    #[serde(default)]
    password: String,
    /// md5 of the current password.
    #[serde(default)]
    old_password: String,
}

/// Changes the logged-in user's password; the old one is required. Every
/// other session ends; the one that changed it goes on with its token (as
/// wxcomponent's console expects) and also gets `{"jwt"}`, a fresh token of
/// the same session bound to the new password.
pub async fn change_password(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> AdminResult<HttpResponse> {
    let body: PasswordBody = params::json(&body)?;
    if body.old_password.is_empty() {
        return Err(AdminError::invalid("oldPassword: required"));
    }
    if body.password.is_empty() {
        return Err(AdminError::invalid("password: required"));
    }
    users::check_client_password("password", &body.password)?;
    if body.password == body.old_password {
        return Err(AdminError::invalid(
            "password: the new password is the same as the old password",
        ));
    }
    let passwords = state.passwords.clone();
    let sid = session_of(&user);
    let keep = (!user.claims.sid.is_empty()).then(|| sid.clone());
    let current = user.user;
    let updated = state
        .db
        .query(move |conn| {
            // Re-read: the row may have changed since the JWT was checked.
            let Some(stored) = users::find_by_id(conn, current.id)? else {
                return Err(AdminError::AuthToken);
            };
            if passwords.verify(Some(&stored.password), &body.old_password) == Verdict::NoMatch {
                return Err(AdminError::User("oldPassword: wrong password".into()));
            }
            let hash = passwords.hash(&body.password)?;
            if let Some(sid) = &keep {
                auth::keep_session(conn, stored.id, sid, &hash)?;
            }
            users::set_password(conn, stored.id, &hash)?;
            Ok(users::User {
                password: hash,
                ..stored
            })
        })
        .await?;
    tracing::info!(user = %current.username, "console password changed; other sessions ended");
    let jwt = state.jwt.issue(&updated, &sid)?;
    Ok(ok(json!({ "jwt": jwt })))
}

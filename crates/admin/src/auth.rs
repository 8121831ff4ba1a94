//! Console sessions: HS256 JWTs in `Authorization: Bearer ...`, as
//! wxcomponent issues them (`PUT /wxcomponent/auth`, refreshed by
//! `GET /wxcomponent/admin/refresh-auth`).
//!
//! The signing secret is `admin.jwt_secret`, or one generated at first start
//! and stored sealed in `comm` (`admin_jwt_secret`), shared by every replica;
//! it is never derived from a database password. Tokens carry the user id
//! (`jti`, as wxcomponent), a session id (`sid`, one per login, kept by
//! refreshes) and a fingerprint of the password hash: a token whose user is
//! gone or whose password changed since is refused (1004), except the
//! session that changed the password. wxcomponent's console keeps using its
//! token after a change, so that session is recorded ([`keep_session`]) in
//! `comm` (`admin_password_session_{id}` = `sid|fingerprint of the new
//! hash`) and stays valid until the password changes again.
//! Missing → 1000, expired → 1003, anything else wrong → 1004.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::db::schema::comm;
use common::db::{now, DbConnection, DbError};
use common::secrets::{self, MasterKey};
use common::tokens::store;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AdminError;
use crate::state::AppState;
use crate::users::{self, User};

/// `comm` key of the generated JWT secret.
pub const JWT_SECRET_KEY: &str = "admin_jwt_secret";
/// `iss` of every token, as wxcomponent.
pub const ISSUER: &str = "wxcomponent";

/// `comm` key of the session that last changed the password of `user_id`.
pub fn kept_session_key(user_id: i32) -> String {
    format!("admin_password_session_{user_id}")
}

/// The claims of a console JWT (wxcomponent's names where it had them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The username at issue time.
    #[serde(rename = "UserName")]
    pub user_name: String,
    /// The user id.
    pub jti: String,
    /// Always "User Token".
    pub sub: String,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
    /// Fingerprint of the password hash when issued.
    pub pwd: String,
    /// The login session (empty in tokens issued before sessions existed).
    #[serde(default)]
    pub sid: String,
}

/// A new random session id.
pub fn new_session_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Signing and verification keys plus the lifetime.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    expiry_secs: i64,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("expiry_secs", &self.expiry_secs)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Keys for `secret`, tokens living `expiry_secs`.
    pub fn new(secret: &[u8], expiry_secs: i64) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            expiry_secs: expiry_secs.max(1),
        }
    }

    /// A token for `user` in session `sid`.
    pub fn issue(&self, user: &User, sid: &str) -> Result<String, AdminError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            user_name: user.username.clone(),
            jti: user.id.to_string(),
            sub: "User Token".into(),
            iss: ISSUER.into(),
            iat: now,
            nbf: now,
            exp: now + self.expiry_secs,
            pwd: users::fingerprint(&user.password),
            sid: sid.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AdminError::internal)
    }

    /// Verifies signature, issuer and times.
    pub fn verify(&self, token: &str) -> Result<Claims, AdminError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AdminError::AuthTimeout,
                _ => AdminError::AuthToken,
            })
    }
}

/// The JWT secret: configured, else the stored one, else a new one stored
/// now (the first of several replicas to store it wins; all then use it).
pub fn load_or_create_secret(
    conn: &mut DbConnection,
    configured: &str,
    master: &MasterKey,
) -> Result<Vec<u8>, AdminError> {
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let stored =
        secrets::load_sealed(conn, JWT_SECRET_KEY, master).map_err(AdminError::internal)?;
    if let Some(secret) = stored {
        return STANDARD.decode(secret).map_err(AdminError::internal);
    }
    let fresh = STANDARD.encode(rand::random::<[u8; 32]>());
    let sealed = master.seal(JWT_SECRET_KEY, &fresh);
    let inserted = diesel::insert_into(comm::table)
        .values((
            comm::key.eq(JWT_SECRET_KEY),
            comm::value.eq(&sealed),
            comm::createtime.eq(now()),
            comm::updatetime.eq(now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(e) => return Err(DbError::from(e).into()),
    }
    let stored =
        secrets::load_sealed(conn, JWT_SECRET_KEY, master).map_err(AdminError::internal)?;
    let secret = stored.ok_or_else(|| AdminError::internal("JWT secret vanished"))?;
    STANDARD.decode(secret).map_err(AdminError::internal)
}

/// Records that session `sid` of `user_id` set the password whose hash is
/// `new_hash`, so its tokens stay valid after the change. Call it before
/// storing the hash: then no request of that session ever sees a moment
/// where neither its old fingerprint nor the record matches.
pub fn keep_session(
    conn: &mut DbConnection,
    user_id: i32,
    sid: &str,
    new_hash: &str,
) -> Result<(), DbError> {
    let value = format!("{sid}|{}", users::fingerprint(new_hash));
    store::put_comm(conn, &kept_session_key(user_id), &value)
}

/// Whether session `sid` of `user_id` changed the password to the one whose
/// hash has fingerprint `current`.
fn is_kept_session(
    conn: &mut DbConnection,
    user_id: i32,
    sid: &str,
    current: &str,
) -> Result<bool, DbError> {
    if sid.is_empty() {
        return Ok(false);
    }
    let Some(record) = secrets::load_raw(conn, &kept_session_key(user_id))? else {
        return Ok(false);
    };
    Ok(record
        .split_once('|')
        .is_some_and(|(kept, fingerprint)| kept == sid && fingerprint == current))
}

/// The bearer token of `Authorization: Bearer <token>` (exactly two parts,
/// as wxcomponent parses it).
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let header = req.headers().get("authorization")?.to_str().ok()?;
    let mut parts = header.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("Bearer"), Some(token), None) if !token.is_empty() => Some(token),
        _ => None,
    }
}

/// A logged-in console user; extracting it enforces the JWT.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user as stored now.
    pub user: User,
    /// The claims of the token presented.
    pub claims: Claims,
}

impl FromRequest for AuthUser {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AdminError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req).map(str::to_string);
        Box::pin(async move {
            let state = state.ok_or_else(|| AdminError::internal("app state missing"))?;
            let token = token.ok_or_else(|| {
                AdminError::NotAuthorized("Authorization: Bearer <jwt> is required".into())
            })?;
            let claims = state.jwt.verify(&token)?;
            let id: i32 = claims.jti.parse().map_err(|_| AdminError::AuthToken)?;
            let (pwd, sid) = (claims.pwd.clone(), claims.sid.clone());
            let user = state
                .db
                .run(move |conn| {
                    let Some(user) = users::find_by_id(conn, id)? else {
                        return Ok(None);
                    };
                    let current = users::fingerprint(&user.password);
                    let valid = current == pwd || is_kept_session(conn, id, &sid, &current)?;
                    Ok(valid.then_some(user))
                })
                .await?
                .ok_or(AdminError::AuthToken)?;
            Ok(Self { user, claims })
        })
    }
}

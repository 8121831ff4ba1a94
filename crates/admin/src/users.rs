//! Console users in wxcomponent's `user` table.
//!
//! wxcomponent's console sends md5-hex of what the person typed, never the
//! password itself; we store argon2id over that md5 (the md5 is only the
//! console's transport encoding, the argon2id hash is what protects it).
//! Databases adopted from wxcomponent hold md5(md5) instead: such a user logs
//! in with the same check wxcomponent made and is upgraded to argon2id at once.
//!
//! Every check costs one argon2id verification whether or not the user exists
//! (a precomputed dummy hash stands in), so response times do not reveal
//! which usernames exist. Hashing runs on the blocking pool, never on the
//! async executor.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use common::db::schema::user;
use common::db::{now, DbConnection, DbError};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use md5::{Digest as _, Md5};
use rand::distributions::Alphanumeric;
use rand::Rng as _;
use sha1::Sha1;

use crate::error::AdminError;

/// Longest username the `user` table holds.
pub const MAX_USERNAME_CHARS: usize = 32;

/// A row of `user`.
#[derive(Debug, Clone, Queryable)]
pub struct User {
    /// Primary key; the JWT's `jti`, as in wxcomponent.
    pub id: i32,
    /// Login name.
    pub username: String,
    /// argon2id PHC string (or a legacy md5 before the first login).
    pub password: String,
}

/// The outcome of a password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right.
    Match,
    /// Right, and stored the wxcomponent way: rehash it now.
    LegacyMatch,
    /// Wrong password or no such user.
    NoMatch,
}

/// Password hashing with a dummy hash for unknown users.
#[derive(Debug, Clone)]
pub struct Passwords {
    dummy: String,
}

fn argon() -> Argon2<'static> {
    Argon2::default()
}

/// md5-hex, as the console computes it and wxcomponent stored it.
pub fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

fn is_md5_hex(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Passwords {
    /// Prepares the dummy hash (one argon2id run; call it off the executor).
    pub fn new() -> Result<Self, AdminError> {
        let dummy = hash_with_random_salt(&md5_hex(&random_password()))?;
        Ok(Self { dummy })
    }

    /// The argon2id hash to store for `client_md5`.
    pub fn hash(&self, client_md5: &str) -> Result<String, AdminError> {
        hash_with_random_salt(client_md5)
    }

    /// Checks `client_md5` against `stored` (`None`: no such user, checked
    /// against the dummy so the cost is the same).
    pub fn verify(&self, stored: Option<&str>, client_md5: &str) -> Verdict {
        match stored {
            Some(hash) if hash.starts_with("$argon2") => {
                if verify_argon(hash, client_md5) {
                    Verdict::Match
                } else {
                    Verdict::NoMatch
                }
            }
            Some(legacy) if is_md5_hex(legacy) => {
                let _ = verify_argon(&self.dummy, client_md5);
                let expected = md5_hex(client_md5);
                if common::crypto::constant_time_eq(&expected, &legacy.to_ascii_lowercase()) {
                    Verdict::LegacyMatch
                } else {
                    Verdict::NoMatch
                }
            }
            _ => {
                let _ = verify_argon(&self.dummy, client_md5);
                Verdict::NoMatch
            }
        }
    }
}

fn hash_with_random_salt(secret: &str) -> Result<String, AdminError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| AdminError::internal(format!("salt: {e}")))?;
    argon()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AdminError::internal(format!("argon2: {e}")))
}

fn verify_argon(hash: &str, secret: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| argon().verify_password(secret.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A fingerprint of the stored hash, carried in JWTs: changing the password
/// changes it, which signs out every session issued before.
pub fn fingerprint(stored_hash: &str) -> String {
    let digest = Sha1::digest(stored_hash.as_bytes());
    hex::encode(&digest[..8])
}

/// A random 16-character password for the first administrator.
pub fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// Checks a new username: 1..=32 characters, no control characters.
pub fn check_username(name: &str) -> Result<(), AdminError> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_USERNAME_CHARS || name.chars().any(char::is_control) {
        return Err(AdminError::invalid(format!(
            "username: must be 1 to {MAX_USERNAME_CHARS} characters without control characters"
        )));
    }
    Ok(())
}

/// Checks a password as the console sends it: md5-hex (wxcomponent's `^\w{32}$`).
pub fn check_client_password(field: &str, value: &str) -> Result<(), AdminError> {
    if is_md5_hex(value) {
        Ok(())
    } else {
        Err(AdminError::invalid(format!(
            "{field}: must be the md5 hex (32 characters) of the password, as the console sends it"
        )))
    }
}

const COLUMNS: (user::id, user::username, user::password) =
    (user::id, user::username, user::password);

/// The user named `username`.
pub fn find_by_name(conn: &mut DbConnection, username: &str) -> Result<Option<User>, DbError> {
    Ok(user::table
        .filter(user::username.eq(username))
        .select(COLUMNS)
        .first(conn)
        .optional()?)
}

/// The user with primary key `id`.
pub fn find_by_id(conn: &mut DbConnection, id: i32) -> Result<Option<User>, DbError> {
    Ok(user::table
        .find(id)
        .select(COLUMNS)
        .first(conn)
        .optional()?)
}

/// Replaces the stored hash of `id`.
pub fn set_password(conn: &mut DbConnection, id: i32, hash: &str) -> Result<(), DbError> {
    diesel::update(user::table.find(id))
        .set((user::password.eq(hash), user::updatetime.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Renames `id`; `Ok(false)` when the name is taken by another user.
pub fn set_username(conn: &mut DbConnection, id: i32, name: &str) -> Result<bool, DbError> {
    let result = diesel::update(user::table.find(id))
        .set((user::username.eq(name), user::updatetime.eq(now())))
        .execute(conn);
    match result {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How the first administrator was set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Users exist already; nothing was done.
    Existing,
    /// Created with the configured password.
    Configured(String),
    /// Created with this random password, to be shown once.
    Generated {
        /// The username.
        username: String,
        /// The password the person types (not the md5).
        password: String,
    },
}

/// Creates the first administrator when the table is empty: the configured
/// username and password, else a random password. Two replicas starting at
/// once create one user; the loser reports `Existing`.
pub fn ensure_first_admin(
    conn: &mut DbConnection,
    passwords: &Passwords,
    username: &str,
    configured_password: &str,
) -> Result<FirstAdmin, AdminError> {
    let count: i64 = user::table
        .count()
        .get_result(conn)
        .map_err(DbError::from)?;
    if count > 0 {
        return Ok(FirstAdmin::Existing);
    }
    check_username(username).map_err(|_| {
        AdminError::internal(format!(
            "admin.username {username:?} is not a valid username (1 to {MAX_USERNAME_CHARS} characters)"
        ))
    })?;
    let (password, generated) = if configured_password.is_empty() {
        (random_password(), true)
    } else {
        (configured_password.to_string(), false)
    };
    let hash = passwords.hash(&md5_hex(&password))?;
    let inserted = diesel::insert_into(user::table)
        .values((
            user::username.eq(username),
            user::password.eq(&hash),
            user::createtime.eq(now()),
            user::updatetime.eq(now()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) if generated => Ok(FirstAdmin::Generated {
            username: username.to_string(),
            password,
        }),
        Ok(_) => Ok(FirstAdmin::Configured(username.to_string())),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(FirstAdmin::Existing)
        }
        Err(e) => Err(DbError::from(e).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon_hashes_verify_and_legacy_md5_is_recognised() {
        let passwords = Passwords::new().unwrap();
        let client = md5_hex("hunter2");
        let hash = passwords.hash(&client).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(passwords.verify(Some(&hash), &client), Verdict::Match);
        assert_eq!(
            passwords.verify(Some(&hash), &md5_hex("nope")),
            Verdict::NoMatch
        );
        let legacy = md5_hex(&client);
        assert_eq!(
            passwords.verify(Some(&legacy), &client),
            Verdict::LegacyMatch
        );
        assert_eq!(passwords.verify(None, &client), Verdict::NoMatch);
    }
}

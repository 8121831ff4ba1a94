//! The platform's own settings kept in `comm`: the AppSecret (sealed with
//! AES-256-GCM, never answered unmasked), the authorization page info
//! (`authinfo`: name, desc, redirectUrl), and adoption of a secret that
//! wxcomponent stored under its md5(MYSQL_PASSWORD) key.

use common::config::{DatabaseUrl, Settings};
use common::db::DbConnection;
use common::secrets::{self, MasterKey, COMPONENT_SECRET_KEY};
use common::tokens::{store, TokenKey};
use common::wechat::with_token;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::AdminError;
use crate::state::AppState;

/// `comm` key of the authorization page info (wxcomponent's name).
pub const AUTH_INFO_KEY: &str = "authinfo";
/// Longest secret accepted.
pub const MAX_SECRET_CHARS: usize = 128;

/// The secret currently in force, masked: the configured one when set, else
/// the stored one; empty when there is none.
pub async fn masked_secret(state: &AppState) -> Result<String, AdminError> {
    let configured = state.settings.wechat.component_secret.expose_secret();
    if !configured.is_empty() {
        return Ok(secrets::mask(configured));
    }
    let master = state.master_key.clone();
    let raw = state
        .db
        .run(|conn| secrets::load_raw(conn, COMPONENT_SECRET_KEY))
        .await?;
    match raw {
        Some(sealed) if secrets::is_sealed(&sealed) => master
            .open(COMPONENT_SECRET_KEY, &sealed)
            .map(|secret| secrets::mask(&secret))
            .map_err(AdminError::internal),
        // Empty, or a wxcomponent value that could not be adopted: no usable secret.
        _ => Ok(String::new()),
    }
}

/// Stores `secret` sealed. Refused first of all when the secret comes from
/// configuration (the configured one would silently win): 1002 with the
/// reason in `data`, the only code whose `data` wxcomponent's console shows.
pub async fn set_secret(state: &AppState, secret: &str) -> Result<(), AdminError> {
    if !state
        .settings
        .wechat
        .component_secret
        .expose_secret()
        .is_empty()
    {
        return Err(AdminError::Refused(
            "Secret 已在配置中固定，无法在控制台修改: it is set in the configuration \
             (wechat.component_secret / WXC__WECHAT__COMPONENT_SECRET); change it there and restart the admin"
                .into(),
        ));
    }
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(AdminError::invalid("secret: required"));
    }
    if secret.chars().count() > MAX_SECRET_CHARS || secret.chars().any(char::is_whitespace) {
        return Err(AdminError::invalid(format!(
            "secret: must be at most {MAX_SECRET_CHARS} characters without spaces"
        )));
    }
    let master = state.master_key.clone();
    let secret = secret.to_string();
    state
        .db
        .run(move |conn| secrets::store_sealed(conn, COMPONENT_SECRET_KEY, &secret, &master))
        .await?;
    tracing::info!("component secret updated");
    Ok(())
}

/// What start-up did with a secret stored by wxcomponent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adoption {
    /// No secret stored, or already sealed by us.
    Nothing,
    /// Re-sealed under our master key.
    Adopted,
    /// There, but it did not open with the password we know; left as it is.
    Unreadable(String),
}

/// The password wxcomponent's key was derived from: configured, else the one
/// in `database.url`.
pub fn legacy_password(settings: &Settings) -> Option<String> {
    let configured = settings.secrets.legacy_mysql_password.expose_secret();
    if !configured.is_empty() {
        return Some(configured.to_string());
    }
    match DatabaseUrl::parse(settings.database.url.expose_secret()) {
        Ok(DatabaseUrl::Mysql(url)) => url_password(&url),
        _ => None,
    }
}

/// The percent-decoded password of `mysql://user:password@host/db`.
fn url_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    Some(percent_decode(password))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(b) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Re-seals a secret wxcomponent stored (AES-CBC under md5-hex of its
/// MYSQL_PASSWORD) under our master key. Blocking; runs at start.
pub fn adopt_wxcomponent_secret(
    conn: &mut DbConnection,
    master: &MasterKey,
    legacy_password: Option<&str>,
) -> Result<Adoption, AdminError> {
    let Some(raw) = secrets::load_raw(conn, COMPONENT_SECRET_KEY)? else {
        return Ok(Adoption::Nothing);
    };
    if raw.is_empty() || secrets::is_sealed(&raw) {
        return Ok(Adoption::Nothing);
    }
    let Some(password) = legacy_password else {
        return Ok(Adoption::Unreadable(
            "no MySQL password known (secrets.legacy_mysql_password)".into(),
        ));
    };
    match secrets::open_wxcomponent(&raw, password) {
        Ok(secret) => {
            secrets::store_sealed(conn, COMPONENT_SECRET_KEY, &secret, master)?;
            Ok(Adoption::Adopted)
        }
        Err(e) => Ok(Adoption::Unreadable(e.to_string())),
    }
}

/// The authorization page info as the console edits it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ComponentInfo {
    /// Display name of the platform.
    #[serde(default)]
    #[schema(max_length = 128)]
    pub name: String,
    /// Description.
    #[serde(default)]
    #[schema(max_length = 1024)]
    pub desc: String,
    /// Where the authorization page sends the browser afterwards.
    #[serde(default, rename = "redirectUrl")]
    pub redirect_url: String,
}

/// Stores the authorization page info.
pub async fn set_component_info(state: &AppState, info: ComponentInfo) -> Result<(), AdminError> {
    if info.name.chars().count() > 128 || info.desc.chars().count() > 1024 {
        return Err(AdminError::invalid(
            "name/desc: at most 128 / 1024 characters",
        ));
    }
    let url = info.redirect_url.trim();
    if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
        return Err(AdminError::invalid(
            "redirectUrl: must start with http:// or https://",
        ));
    }
    let value = serde_json::to_string(&info).map_err(AdminError::internal)?;
    state
        .db
        .run(move |conn| store::put_comm(conn, AUTH_INFO_KEY, &value))
        .await?;
    Ok(())
}

/// The authorization page info plus the platform appid, as
/// `GET /wxcomponent/authpage/componentinfo` answers it.
pub async fn component_info(state: &AppState) -> Result<Map<String, Value>, AdminError> {
    let raw = state
        .db
        .run(|conn| secrets::load_raw(conn, AUTH_INFO_KEY))
        .await?;
    let mut map = match raw.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(map))) => map,
        Some(Ok(_)) | Some(Err(_)) => {
            tracing::warn!("the stored authinfo is not a JSON object; answering defaults");
            Map::new()
        }
        None => Map::new(),
    };
    map.insert(
        "appid".into(),
        Value::String(state.settings.wechat.component_appid.clone()),
    );
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_read_from_a_mysql_url() {
        assert_eq!(
            url_password("mysql://root:p%40ss%3Aw@db:3306/wx").as_deref(),
            Some("p@ss:w")
        );
        assert_eq!(url_password("mysql://root@db:3306/wx"), None);
    }
}

/// A pre-authorization code from WeChat (component token retried once
/// after a rejection).
pub async fn preauthcode(state: &AppState) -> Result<common::wechat::PreAuthCode, AdminError> {
    let tokens = &state.tokens;
    let component = tokens.source(TokenKey::Component);
    Ok(with_token(&component, |token| async move {
        tokens
            .client()
            .create_preauthcode(&token, tokens.component_appid())
            .await
    })
    .await??)
}

/// What an authorization link is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest {
    /// 1 official accounts, 2 mini programs, 3 both, 4-6 as WeChat defines.
    pub auth_type: i64,
    /// Only this account may authorize, when set.
    pub biz_appid: Option<String>,
    /// Where WeChat sends the browser afterwards.
    pub redirect_uri: String,
}

/// Ready PC and H5 authorization links for `pre_auth_code`.
pub fn authorization_links(
    settings: &Settings,
    pre_auth_code: &str,
    request: &LinkRequest,
) -> Result<(String, String), AdminError> {
    let auth_type = request.auth_type.to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("component_appid", settings.wechat.component_appid.as_str()),
        ("pre_auth_code", pre_auth_code),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("auth_type", auth_type.as_str()),
    ];
    if let Some(biz) = &request.biz_appid {
        params.push(("biz_appid", biz.as_str()));
    }
    let pc = reqwest::Url::parse_with_params(&settings.admin.auth_pc_url, &params)
        .map_err(|e| AdminError::internal(format!("admin.auth_pc_url: {e}")))?;
    let mut h5_params = vec![("action", "bindcomponent"), ("no_scan", "1")];
    h5_params.extend(params);
    let mut h5 = reqwest::Url::parse_with_params(&settings.admin.auth_h5_url, &h5_params)
        .map_err(|e| AdminError::internal(format!("admin.auth_h5_url: {e}")))?;
    h5.set_fragment(Some("wechat_redirect"));
    Ok((pc.to_string(), h5.to_string()))
}

/// `link` as a QR code in SVG, one unit per module inside the standard
/// 4-module quiet zone, black on white, for the console to insert inline
/// (no XML declaration) and scale with CSS: an administrator scans the H5
/// link with WeChat, the PC page shows its own. Rendered here so the
/// console needs no QR script and works offline.
pub fn qr_svg(link: &str) -> Result<String, AdminError> {
    let code = qrcode::QrCode::new(link.as_bytes())
        .map_err(|e| AdminError::invalid(format!("link too long for a QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(1, 1)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_string(),
        None => svg,
    })
}

//! `POST /cgi-bin/media/upload?access_token=ACCESS_TOKEN&type=TYPE`: temporary
//! media (新增临时素材), a multipart form whose file part is named `media`.
//! The console uploads the screenshots and screen recordings of an audit
//! (提交审核) through it with the mini program's authorizer_access_token.
//!
//! Checks in WeChat's order: the token (41001, 40001, 42001), `type` (40004),
//! the `media` part (41005 missing, 44001 empty), its format by file name or
//! content type (40005), its size per type (40009 image, 40010 voice, 40011
//! video, 40012 thumb). Accepted files are recorded (not their bytes) in the
//! account's `media` and answered `{"type", "media_id", "created_at"}`.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde_json::json;

use super::access::{authorizer_appid, param, query};
use crate::account_state::{MediaFile, MEDIA_TTL_SECS};
use crate::calls::lock;
use crate::errors::{WxError, WxResult};
use crate::state::SimState;
use crate::tokens::random_string;

/// One mebibyte, the unit of WeChat's limits.
const MB: usize = 1024 * 1024;

/// What WeChat accepts for one media `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaKind {
    /// The `type` value.
    pub name: &'static str,
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// File formats accepted (lower-case extensions).
    pub formats: &'static [&'static str],
    /// The errcode of a file over `max_bytes`.
    pub too_large_errcode: i64,
}

/// WeChat's temporary media types and limits: image 10 MB (bmp, png, jpeg,
/// jpg, gif), voice 2 MB (amr, mp3), video 10 MB (mp4), thumb 64 KB (jpg).
pub const MEDIA_KINDS: &[MediaKind] = &[
    MediaKind {
        name: "image",
        max_bytes: 10 * MB,
        formats: &["bmp", "png", "jpeg", "jpg", "gif"],
        too_large_errcode: 40009,
    },
    MediaKind {
        name: "voice",
        max_bytes: 2 * MB,
        formats: &["amr", "mp3"],
        too_large_errcode: 40010,
    },
    MediaKind {
        name: "video",
        max_bytes: 10 * MB,
        formats: &["mp4"],
        too_large_errcode: 40011,
    },
    MediaKind {
        name: "thumb",
        max_bytes: 64 * 1024,
        formats: &["jpg", "jpeg"],
        too_large_errcode: 40012,
    },
];

/// The limits of media `type` `name`, if WeChat knows it.
pub fn media_kind(name: &str) -> Option<&'static MediaKind> {
    MEDIA_KINDS.iter().find(|kind| kind.name == name)
}

/// Registers the media route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cgi-bin/media/upload", web::post().to(upload));
}

/// The file part of a form as received (its size, not its bytes).
pub(super) struct Part {
    /// File name of the part.
    pub(super) file_name: String,
    /// Content type of the part, if given.
    pub(super) content_type: Option<String>,
    /// Size in bytes.
    pub(super) size: usize,
}

async fn upload(
    state: web::Data<SimState>,
    req: HttpRequest,
    payload: web::Payload,
) -> WxResult<HttpResponse> {
    let appid = authorizer_appid(&state, &req)?;
    let query = query(&req);
    let kind = param(&query, "type")
        .and_then(media_kind)
        .ok_or_else(|| WxError::new(40004, "invalid media type"))?;
    let part = read_part(&req, payload, "media").await?;
    if part.size == 0 {
        return Err(WxError::new(44001, "empty media data"));
    }
    let format = file_format(&part)
        .filter(|f| kind.formats.contains(&f.as_str()))
        .ok_or_else(|| {
            WxError::new(
                40005,
                format!(
                    "invalid file type: {:?} is not one of {:?} for type {}",
                    part.file_name, kind.formats, kind.name
                ),
            )
        })?;
    if part.size > kind.max_bytes {
        return Err(WxError::new(
            kind.too_large_errcode,
            format!(
                "invalid {} size: {} bytes, at most {} for {format}",
                kind.name, part.size, kind.max_bytes
            ),
        ));
    }
    let now = state.now();
    let media_id = random_string(64);
    let file = MediaFile {
        media_type: kind.name.to_string(),
        file_name: part.file_name,
        content_type: part.content_type,
        size: part.size,
        created_at: now,
        expires_at: now.saturating_add(MEDIA_TTL_SECS),
    };
    lock(&state.accounts)
        .account(&appid)
        .media
        .insert(media_id.clone(), file);
    Ok(HttpResponse::Ok().json(json!({
        "type": kind.name,
        "media_id": media_id,
        "created_at": now,
    })))
}

/// Reads the whole form, counting (not keeping) the bytes of the first part
/// named `name`; 41005 (media data missing) when the body is no multipart
/// form or has no such part.
pub(super) async fn read_part(
    req: &HttpRequest,
    payload: web::Payload,
    name: &str,
) -> WxResult<Part> {
    let missing = |detail: String| WxError::new(41005, format!("media data missing: {detail}"));
    let mut form = Multipart::new(req.headers(), payload);
    let mut media = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| missing(e.to_string()))?;
        let is_media = media.is_none() && field.name() == Some(name);
        let mut size = 0usize;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| missing(e.to_string()))?;
            size = size.saturating_add(chunk.len());
        }
        if is_media {
            media = Some(Part {
                file_name: field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or_default()
                    .to_string(),
                content_type: field.content_type().map(ToString::to_string),
                size,
            });
        }
    }
    media.ok_or_else(|| missing(format!("no form-data part named {name}")))
}

/// The file's format: the extension of its name, else what its content type
/// names (`image/jpeg` → `jpeg`, `audio/mpeg` → `mp3`).
fn file_format(part: &Part) -> Option<String> {
    let extension = part
        .file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|ext| !ext.is_empty());
    extension.or_else(|| {
        let subtype = part.content_type.as_deref()?.split(';').next()?.trim();
        let format = match subtype.to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" => "jpg",
            "image/png" => "png",
            "image/gif" => "gif",
            "image/bmp" => "bmp",
            "audio/amr" => "amr",
            "audio/mpeg" | "audio/mp3" => "mp3",
            "video/mp4" => "mp4",
            _ => return None,
        };
        Some(format.to_string())
    })
}

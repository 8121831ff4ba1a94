//! The web console. By default the built-in one (no build step: a page shell,
//! a style sheet and plain ES modules, one per page, embedded in the binary
//! and served under `/wxcomponent/console/` with an ETag, so browsers
//! revalidate instead of downloading them again). With `admin.console_dir`
//! pointing at a built wxcomponent console (`client/dist`), that console is
//! served instead: `index.html` at `/` and its files under
//! `/wxcomponent/assets/`.
//!
//! The built-in console's page and files carry [`SECURITY_HEADERS`]: scripts
//! only from this origin (no inline script, so an injected `<script>` or
//! `onclick=` never runs), no framing, no sniffing, no referrer leaking the
//! console's address to WeChat's image hosts. The JWT travels in the
//! `Authorization` header, never in a cookie, so another site cannot make a
//! logged-in browser act (no CSRF). A console from `console_dir` is served as
//! built: its own scripts may need what this policy forbids.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::state::AppState;

/// The built-in console's page shell.
const BUILT_IN: &str = include_str!("../console/index.html");

/// The built-in console's files, by their path under `/wxcomponent/console/`.
const FILES: &[(&str, &str)] = &[
    ("console.css", include_str!("../console/console.css")),
    ("lib.js", include_str!("../console/lib.js")),
    ("app.js", include_str!("../console/app.js")),
    (
        "pages/overview.js",
        include_str!("../console/pages/overview.js"),
    ),
    (
        "pages/tokens.js",
        include_str!("../console/pages/tokens.js"),
    ),
    (
        "pages/authorizers.js",
        include_str!("../console/pages/authorizers.js"),
    ),
    (
        "pages/miniprograms.js",
        include_str!("../console/pages/miniprograms.js"),
    ),
    (
        "pages/campaigns.js",
        include_str!("../console/pages/campaigns.js"),
    ),
    (
        "pages/templates.js",
        include_str!("../console/pages/templates.js"),
    ),
    (
        "pages/records.js",
        include_str!("../console/pages/records.js"),
    ),
    ("pages/rules.js", include_str!("../console/pages/rules.js")),
    ("pages/proxy.js", include_str!("../console/pages/proxy.js")),
    ("pages/links.js", include_str!("../console/pages/links.js")),
    (
        "pages/settings.js",
        include_str!("../console/pages/settings.js"),
    ),
];

/// The headers of every built-in console response. Styles may be inline
/// (`style=` attributes); images may come from WeChat's hosts (head images).
const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: https: http:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
];

/// Registers `/`.
pub fn pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index));
}

/// Registers `/wxcomponent/assets/{path}`, `/wxcomponent/console` and the
/// built-in console's files under `/wxcomponent/console/`.
pub fn assets(cfg: &mut web::ServiceConfig) {
    cfg.route("/wxcomponent/console", web::get().to(index))
        .route(
            "/wxcomponent/console/{path:.*}",
            web::get().to(built_in_file),
        )
        .route("/wxcomponent/assets/{path:.*}", web::get().to(asset));
}

/// A strong validator of a file's content: its SHA-1, quoted.
fn etag(content: &str) -> String {
    use sha1::Digest as _;
    format!(
        "\"{}\"",
        hex::encode(sha1::Sha1::digest(content.as_bytes()))
    )
}

/// One of [`FILES`]: 304 when the browser's copy is current, else the file
/// with its ETag and `no-cache` (use only after revalidating), so a new
/// release is picked up at the next load.
async fn built_in_file(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some((name, content)) = FILES.iter().find(|(name, _)| *name == path.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let tag = etag(content);
    let current = req
        .headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut answer = built_in(if current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    });
    answer.insert_header(("etag", tag));
    if current {
        return answer.finish();
    }
    let content_type = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    answer.content_type(content_type).body(*content)
}

fn console_dir(state: &AppState) -> Option<PathBuf> {
    let dir = state.settings.admin.console_dir.trim();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

async fn index(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(dir) = console_dir(&state) {
        match NamedFile::open_async(dir.join("index.html")).await {
            Ok(file) => return file.into_response(&req),
            Err(e) => {
                tracing::warn!(error = %e, dir = %dir.display(), "admin.console_dir has no index.html; serving the built-in console")
            }
        }
    }
    built_in(HttpResponse::Ok())
        .content_type("text/html; charset=utf-8")
        .body(BUILT_IN)
}

/// What every built-in console answer carries: `no-cache` (use only after
/// revalidating) and [`SECURITY_HEADERS`].
fn built_in(mut answer: HttpResponseBuilder) -> HttpResponseBuilder {
    answer.insert_header(("cache-control", "no-cache"));
    for header in SECURITY_HEADERS {
        answer.insert_header(*header);
    }
    answer
}

/// A relative path without `..`, `.` or backslashes, else `None`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.split('/') {
        match part {
            "" => continue,
            "." | ".." => return None,
            p if p.contains('\\') || p.contains('\0') => return None,
            p => out.push(p),
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

async fn asset(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> HttpResponse {
    let (Some(dir), Some(relative)) = (console_dir(&state), safe_relative(&path)) else {
        return HttpResponse::NotFound().finish();
    };
    let file = Path::new(&dir)
        .join("wxcomponent")
        .join("assets")
        .join(relative);
    match NamedFile::open_async(file).await {
        Ok(file) => file.into_response(&req),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_relative;

    #[test]
    fn asset_paths_cannot_leave_the_directory() {
        assert!(safe_relative("index.js").is_some());
        assert!(safe_relative("a/b.css").is_some());
        assert!(safe_relative("../secret").is_none());
        assert!(safe_relative("a/../../x").is_none());
        assert!(safe_relative("").is_none());
    }
}

//! The web console. By default the built-in single page (no build step; it
//! logs in and shows tokens, authorizers, pushes, rules, proxy routes and
//! settings through the same API). With `admin.console_dir` pointing at a
//! built wxcomponent console (`client/dist`), that console is served
//! instead: `index.html` at `/` and its files under `/wxcomponent/assets/`.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::state::AppState;

/// The built-in console.
const BUILT_IN: &str = include_str!("../console/index.html");

/// Registers `/` and `/wxcomponent/console`.
pub fn pages(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index));
}

/// Registers `/assets/{path}` under the `/wxcomponent` scope, and `/console`.
pub fn assets(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(index))
        .route("/assets/{path:.*}", web::get().to(asset));
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
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .body(BUILT_IN)
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

//! `POST /api/wx/message/{appid}`: the default forward-rule target. The
//! callback receiver forwards a push here (JSON by default, XML if its rule
//! says so); the answer is a passive reply in the same format, or `success`.

use actix_web::{web, HttpResponse};
use common::message::{Format, Message, PassiveReply};

use crate::error::BusinessError;
use crate::{autoreply, AppState};

/// Answers a forwarded message.
pub async fn handle(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, BusinessError> {
    let appid = path.into_inner();
    let text = std::str::from_utf8(&body)
        .map_err(|_| BusinessError::BadRequest("body is not UTF-8".into()))?;
    let format = Format::sniff(text).ok_or_else(|| {
        BusinessError::BadRequest("body must be a WeChat message in XML or JSON".into())
    })?;
    let msg = Message::parse(text)
        .map_err(|e| BusinessError::BadRequest(format!("not a WeChat message: {e}")))?;
    let reply =
        autoreply::reply_for(&state.db, &appid, &msg, &state.settings.welcome_message).await?;
    Ok(match reply {
        Some(reply) => {
            let now = common::db::now().and_utc().timestamp();
            let body = PassiveReply::answering(&msg, reply, now).to(format);
            let content_type = match format {
                Format::Xml => "application/xml; charset=utf-8",
                Format::Json => "application/json; charset=utf-8",
            };
            HttpResponse::Ok().content_type(content_type).body(body)
        }
        None => HttpResponse::Ok()
            .content_type("text/plain")
            .body("success"),
    })
}

//! Form input the way the seed's API takes it: form-data (multipart),
//! url-encoded forms, or a JSON object — all read into named text fields.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;

use crate::error::BusinessError;

/// Largest form body accepted.
const LIMIT: usize = 64 * 1024;

/// Named text fields of a request body; a repeated name keeps every value.
#[derive(Debug, Default)]
pub struct Fields(HashMap<String, Vec<String>>);

impl Fields {
    /// The first value of `name`, trimmed, if non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// The value of `name`, or a WeChat-style error naming it.
    pub fn require(&self, name: &str) -> Result<&str, BusinessError> {
        self.get(name).ok_or_else(|| {
            BusinessError::InvalidWx(format!("参数缺失或参数错误: {name} is required"))
        })
    }

    /// A list field: repeated fields, a JSON array, or comma-separated text.
    pub fn list(&self, name: &str) -> Vec<String> {
        let values = self.0.get(name).cloned().unwrap_or_default();
        let mut out = Vec::new();
        for value in values {
            let value = value.trim();
            if value.starts_with('[') {
                if let Ok(items) = serde_json::from_str::<Vec<serde_json::Value>>(value) {
                    out.extend(items.into_iter().map(|v| match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    }));
                    continue;
                }
            }
            out.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
        }
        out
    }

    fn push(&mut self, name: String, value: String) {
        self.0.entry(name).or_default().push(value);
    }

    fn from_json(body: &[u8]) -> Result<Self, BusinessError> {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| BusinessError::InvalidWx(format!("参数缺失或参数错误: bad JSON: {e}")))?;
        let object = value.as_object().ok_or_else(|| {
            BusinessError::InvalidWx("参数缺失或参数错误: expected a JSON object".into())
        })?;
        let mut fields = Self::default();
        for (key, value) in object {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            fields.push(key.clone(), text);
        }
        Ok(fields)
    }

    fn from_urlencoded(body: &[u8]) -> Result<Self, BusinessError> {
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(body)?;
        let mut fields = Self::default();
        for (key, value) in pairs {
            fields.push(key, value);
        }
        Ok(fields)
    }
}

fn serde_urlencoded_pairs(body: &[u8]) -> Result<Vec<(String, String)>, BusinessError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| BusinessError::InvalidWx("参数缺失或参数错误: form is not UTF-8".into()))?;
    actix_web::web::Query::<Vec<(String, String)>>::from_query(text)
        .map(actix_web::web::Query::into_inner)
        .map_err(|e| BusinessError::InvalidWx(format!("参数缺失或参数错误: bad form: {e}")))
}

async fn read_limited(mut payload: Payload) -> Result<Vec<u8>, BusinessError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| BusinessError::BadRequest(format!("cannot read body: {e}")))?;
        if body.len() + chunk.len() > LIMIT {
            return Err(BusinessError::InvalidWx(format!(
                "参数缺失或参数错误: body larger than {LIMIT} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn from_multipart(mut form: Multipart) -> Result<Fields, BusinessError> {
    let mut fields = Fields::default();
    let mut total = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| {
            BusinessError::InvalidWx(format!("参数缺失或参数错误: bad form-data: {e}"))
        })?;
        let name = field.name().unwrap_or_default().to_string();
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| {
                BusinessError::InvalidWx(format!("参数缺失或参数错误: bad form-data: {e}"))
            })?;
            total += chunk.len();
            if total > LIMIT {
                return Err(BusinessError::InvalidWx(format!(
                    "参数缺失或参数错误: body larger than {LIMIT} bytes"
                )));
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value).map_err(|_| {
            BusinessError::InvalidWx(format!("参数缺失或参数错误: field {name} is not text"))
        })?;
        fields.push(name, value);
    }
    Ok(fields)
}

impl FromRequest for Fields {
    type Error = BusinessError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req.content_type().to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let form = Multipart::new(req.headers(), payload.take());
            return Box::pin(from_multipart(form));
        }
        let payload = payload.take();
        Box::pin(async move {
            let body = read_limited(payload).await?;
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Fields::default());
            }
            if content_type.starts_with("application/json") || body.first() == Some(&b'{') {
                Fields::from_json(&body)
            } else {
                Fields::from_urlencoded(&body)
            }
        })
    }
}

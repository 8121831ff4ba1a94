//! Custom-menu validation with the limits WeChat enforces (and the seed
//! lists), checked before any call so a bad menu never reaches WeChat.

use serde_json::Value;

use crate::error::BusinessError;

/// Button types that need a `key`.
const KEY_TYPES: [&str; 7] = [
    "click",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
];

fn invalid(message: String) -> BusinessError {
    BusinessError::InvalidWx(format!("参数缺失或参数错误: {message}"))
}

fn text<'a>(button: &'a Value, field: &str) -> Option<&'a str> {
    button
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn limit(button: &Value, field: &str, max: usize, at: &str) -> Result<(), BusinessError> {
    if let Some(value) = text(button, field) {
        if value.len() > max {
            return Err(invalid(format!(
                "{at}.{field} is {} bytes, at most {max}",
                value.len()
            )));
        }
    }
    Ok(())
}

/// Checks a menu body `{"button":[...]}`.
pub fn validate(menu: &Value) -> Result<(), BusinessError> {
    let buttons = menu
        .get("button")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("button must be an array of 1-3 buttons".into()))?;
    if !(1..=3).contains(&buttons.len()) {
        return Err(invalid(format!(
            "button has {} entries, must have 1-3",
            buttons.len()
        )));
    }
    for (i, button) in buttons.iter().enumerate() {
        let at = format!("button[{i}]");
        check_name(button, 16, &at)?;
        match button.get("sub_button") {
            Some(Value::Array(subs)) if !subs.is_empty() || button.get("type").is_none() => {
                if !(1..=5).contains(&subs.len()) {
                    return Err(invalid(format!(
                        "{at}.sub_button has {} entries, must have 1-5",
                        subs.len()
                    )));
                }
                for (j, sub) in subs.iter().enumerate() {
                    let at = format!("{at}.sub_button[{j}]");
                    if sub
                        .get("sub_button")
                        .and_then(Value::as_array)
                        .is_some_and(|s| !s.is_empty())
                    {
                        return Err(invalid(format!("{at} cannot have sub buttons")));
                    }
                    check_name(sub, 60, &at)?;
                    check_action(sub, &at)?;
                }
            }
            Some(Value::Array(_)) | None => check_action(button, &at)?,
            Some(_) => return Err(invalid(format!("{at}.sub_button must be an array"))),
        }
    }
    Ok(())
}

fn check_name(button: &Value, max: usize, at: &str) -> Result<(), BusinessError> {
    if text(button, "name").is_none() {
        return Err(invalid(format!("{at}.name is required")));
    }
    limit(button, "name", max, at)
}

fn check_action(button: &Value, at: &str) -> Result<(), BusinessError> {
    let kind = text(button, "type").ok_or_else(|| invalid(format!("{at}.type is required")))?;
    let require = |field: &str| {
        text(button, field)
            .map(|_| ())
            .ok_or_else(|| invalid(format!("{at}.{field} is required for type {kind}")))
    };
    match kind {
        k if KEY_TYPES.contains(&k) => require("key")?,
        "view" => require("url")?,
        "miniprogram" => {
            require("url")?;
            require("appid")?;
            require("pagepath")?;
        }
        "media_id" | "view_limited" => require("media_id")?,
        "article_id" | "article_view_limited" => require("article_id")?,
        other => {
            return Err(invalid(format!(
                "{at}.type {other:?} is not a menu button type"
            )))
        }
    }
    limit(button, "key", 128, at)?;
    limit(button, "url", 1024, at)?;
    Ok(())
}

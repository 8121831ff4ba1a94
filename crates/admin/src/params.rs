//! Reading request input with errors that name the field: every malformed or
//! missing parameter becomes 1001 with a message such as
//! "limit: must be between 1 and 20" or "data.port: invalid type ...".

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use crate::error::AdminError;

/// The query string of a request, decoded leniently (as gin's `c.Query`).
#[derive(Debug, Default)]
pub struct Query(HashMap<String, String>);

impl Query {
    /// Decodes `query`; a string that is not form-encoded is refused.
    pub fn parse(query: &str) -> Result<Self, AdminError> {
        let pairs: Vec<(String, String)> =
            actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
                .map_err(|e| AdminError::invalid(format!("query string: {e}")))?
                .into_inner();
        Ok(Self(pairs.into_iter().collect()))
    }

    /// The value of `name`, trimmed; empty counts as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The value of `name` or of its alternative spelling.
    pub fn text_either(&self, name: &str, alias: &str) -> Option<&str> {
        self.text(name).or_else(|| self.text(alias))
    }

    /// A required, non-empty value.
    pub fn required(&self, name: &str) -> Result<&str, AdminError> {
        self.text(name)
            .ok_or_else(|| AdminError::invalid(format!("{name}: required")))
    }

    /// An integer (a decimal such as the console's `1700000000.5` is cut to
    /// its integer part); `default` when absent.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, AdminError> {
        match self.text(name) {
            None => Ok(default),
            Some(v) => parse_int(v)
                .ok_or_else(|| AdminError::invalid(format!("{name}: {v:?} is not a number"))),
        }
    }

    /// An integer within `min..=max`; `default` when absent.
    pub fn int_in(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64, AdminError> {
        let value = self.int(name, default)?;
        if value < min || value > max {
            return Err(AdminError::invalid(format!(
                "{name}: must be between {min} and {max}, got {value}"
            )));
        }
        Ok(value)
    }

    /// The console's paging, `offset` (from 0) and `limit` (1 to `max`,
    /// `default` when absent), one rule for every list route.
    pub fn page(&self, default: i64, max: i64) -> Result<(i64, i64), AdminError> {
        let offset = self.int_in("offset", 0, 0, i64::from(i32::MAX))?;
        let limit = self.int_in("limit", default, 1, max)?;
        Ok((offset, limit))
    }
}

fn parse_int(v: &str) -> Option<i64> {
    if let Ok(i) = v.parse::<i64>() {
        return Some(i);
    }
    let f = v.parse::<f64>().ok().filter(|f| f.is_finite())?;
    if f.abs() > 9.0e15 {
        return None;
    }
    // Truncation is the intent: the console sends seconds with a fraction.
    #[allow(clippy::cast_possible_truncation)]
    Some(f.trunc() as i64)
}

/// Decodes a JSON body into `T`; errors name the path of the bad field.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AdminError::invalid("body: a JSON object is required"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            AdminError::invalid(format!("body: {inner}"))
        } else {
            AdminError::invalid(format!("{path}: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| AdminError::invalid(format!("body: {e}")))?;
    Ok(value)
}

/// Like [`json`], but an empty body reads as `{}` (routes whose body is optional).
pub fn json_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AdminError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    json(body)
}

/// A required appid from the query, checked for shape (WeChat appids are
/// short ASCII words), so nothing odd reaches a URL or the database.
pub fn appid(query: &Query) -> Result<String, AdminError> {
    let appid = query.required("appid")?;
    check_appid(appid)?;
    Ok(appid.to_string())
}

/// An optional appid filter from the query (the console's list pages),
/// checked like [`appid`]; `None` when absent or empty.
pub fn optional_appid(query: &Query) -> Result<Option<String>, AdminError> {
    query
        .text("appid")
        .map(|a| check_appid(a).map(|()| a.to_string()))
        .transpose()
}

/// The shape [`check_appid`] accepts, for the OpenAPI document.
pub fn appid_schema() -> utoipa::openapi::schema::Schema {
    common::openapi::string_pattern("^[A-Za-z0-9_-]{1,64}$")
}

/// Refuses appids that cannot be WeChat's.
pub fn check_appid(appid: &str) -> Result<(), AdminError> {
    let ok = !appid.is_empty()
        && appid.len() <= 64
        && appid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AdminError::invalid(format!(
            "appid: {appid:?} is not a WeChat appid"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_accept_the_consoles_fractional_seconds() {
        let q = Query::parse("a=12&b=1700000000.75&c=x&d=").unwrap();
        assert_eq!(q.int("a", 0).unwrap(), 12);
        assert_eq!(q.int("b", 0).unwrap(), 1_700_000_000);
        assert!(q.int("c", 0).is_err());
        assert_eq!(q.int("d", 7).unwrap(), 7);
        assert_eq!(q.int("missing", 3).unwrap(), 3);
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            port: u16,
        }
        let err = json::<Body>(br#"{"port":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("port"), "{err}");
        let err = json::<Body>(b"{}").unwrap_err();
        assert!(err.to_string().contains("port"), "{err}");
        assert!(json::<Body>(b"").is_err());
    }
}

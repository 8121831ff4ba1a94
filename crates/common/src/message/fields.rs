//! Checked, path-aware field access shared by the typed parsers.

use serde_json::{Map, Value};

use super::format::kind_of;
use super::MessageError;

/// A borrowed object plus the path leading to it (`""`, `"Image."`, `"Articles[0]."`), so
/// errors name nested fields fully.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Fields<'a> {
    /// A view of a top-level object.
    pub(crate) fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            map,
            path: String::new(),
        }
    }

    fn name(&self, key: &str) -> String {
        format!("{}{}", self.path, key)
    }

    fn bad(&self, key: &str, reason: String) -> MessageError {
        MessageError::BadField(self.name(key), reason)
    }

    /// The value of `key`; JSON `null` counts as absent.
    pub(crate) fn value(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Optional text; numbers and booleans are rendered, objects and arrays are refused.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<String>, MessageError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(other) => Err(self.bad(key, format!("expected text, found {}", kind_of(other)))),
        }
    }

    /// Required text.
    pub(crate) fn str(&self, key: &str) -> Result<String, MessageError> {
        self.opt_str(key)?
            .ok_or_else(|| MessageError::MissingField(self.name(key)))
    }

    /// Optional text, empty treated as absent.
    pub(crate) fn non_empty_str(&self, key: &str) -> Result<Option<String>, MessageError> {
        Ok(self.opt_str(key)?.filter(|s| !s.is_empty()))
    }

    /// Optional integer; text is parsed (surrounding whitespace allowed).
    pub(crate) fn opt_i64(&self, key: &str) -> Result<Option<i64>, MessageError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.bad(key, format!("expected an integer, found {n}"))),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.bad(key, format!("expected an integer, found {s:?}"))),
            Some(other) => Err(self.bad(
                key,
                format!("expected an integer, found {}", kind_of(other)),
            )),
        }
    }

    /// Required integer.
    pub(crate) fn i64(&self, key: &str) -> Result<i64, MessageError> {
        self.opt_i64(key)?
            .ok_or_else(|| MessageError::MissingField(self.name(key)))
    }

    /// Optional finite float; text is parsed.
    pub(crate) fn opt_f64(&self, key: &str) -> Result<Option<f64>, MessageError> {
        let parsed = match self.value(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(other) => {
                return Err(self.bad(key, format!("expected a number, found {}", kind_of(other))))
            }
        };
        match parsed {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(self.bad(key, "expected a finite number".to_owned())),
        }
    }

    /// Required finite float.
    pub(crate) fn f64(&self, key: &str) -> Result<f64, MessageError> {
        self.opt_f64(key)?
            .ok_or_else(|| MessageError::MissingField(self.name(key)))
    }

    /// The nested object under `key`, as a view whose errors are prefixed with `key.`.
    pub(crate) fn object(&self, key: &str) -> Result<Fields<'a>, MessageError> {
        match self.value(key) {
            None => Err(MessageError::MissingField(self.name(key))),
            Some(Value::Object(map)) => Ok(self.nested(map, format!("{key}."))),
            Some(other) => {
                Err(self.bad(key, format!("expected an object, found {}", kind_of(other))))
            }
        }
    }

    /// A view of `map`, reached from this one through `segment` (e.g. `"Articles[0]."`).
    pub(crate) fn nested(&self, map: &'a Map<String, Value>, segment: String) -> Fields<'a> {
        Fields {
            map,
            path: format!("{}{}", self.path, segment),
        }
    }

    /// The full name of `key` as errors print it.
    pub(crate) fn path_of(&self, key: &str) -> String {
        self.name(key)
    }
}

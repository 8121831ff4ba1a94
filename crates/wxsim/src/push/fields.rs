//! A push's fields, in the order WeChat writes them, and their body as
//! `<xml>` (text in CDATA, numbers bare) or a JSON object.

use serde::{Deserialize, Serialize};

/// One value of a push field: text (CDATA in XML, a JSON string) or a number
/// (bare in XML, a JSON number).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum PushValue {
    /// Text.
    Text(String),
    /// An integer (`CreateTime`, `MsgId`, ...).
    Int(i64),
    /// A decimal (`Location_X`, `Latitude`, ...).
    Float(f64),
}

/// The fields of a push in the order WeChat writes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushFields(Vec<(String, PushValue)>);

impl PushFields {
    /// No fields yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a text field.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set(name, PushValue::Text(value.into()));
        self
    }

    /// Adds (or replaces) an integer field.
    pub fn int(mut self, name: &str, value: i64) -> Self {
        self.set(name, PushValue::Int(value));
        self
    }

    /// Adds (or replaces) a decimal field.
    pub fn float(mut self, name: &str, value: f64) -> Self {
        self.set(name, PushValue::Float(value));
        self
    }

    /// Sets `name`, keeping its position when it already exists.
    pub fn set(&mut self, name: &str, value: PushValue) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&PushValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// `name` as text (numbers rendered), if set.
    pub fn get_text(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| match v {
            PushValue::Text(s) => s.clone(),
            PushValue::Int(n) => n.to_string(),
            PushValue::Float(x) => x.to_string(),
        })
    }

    /// `<xml>...</xml>` with text in CDATA and numbers bare, as WeChat sends.
    pub fn to_xml(&self) -> String {
        let mut out = String::from("<xml>");
        for (name, value) in &self.0 {
            out.push_str(&format!("<{name}>"));
            match value {
                PushValue::Text(s) => out.push_str(&common::message::cdata(s)),
                PushValue::Int(n) => out.push_str(&n.to_string()),
                PushValue::Float(x) => out.push_str(&x.to_string()),
            }
            out.push_str(&format!("</{name}>"));
        }
        out.push_str("</xml>");
        out
    }

    /// A JSON object with the same PascalCase keys, in order.
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self
            .0
            .iter()
            .map(|(name, value)| {
                let value = match value {
                    PushValue::Text(s) => serde_json::Value::from(s.as_str()),
                    PushValue::Int(n) => serde_json::Value::from(*n),
                    PushValue::Float(x) => serde_json::Value::from(*x),
                };
                format!("{}:{}", serde_json::Value::from(name.as_str()), value)
            })
            .collect();
        format!("{{{}}}", items.join(","))
    }

    /// The body in `format`.
    pub fn render(&self, format: PushFormat) -> String {
        match format {
            PushFormat::Xml => self.to_xml(),
            PushFormat::Json => self.to_json(),
        }
    }
}

/// Body encoding of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PushFormat {
    /// `<xml>...</xml>`.
    Xml,
    /// A JSON object.
    Json,
}

impl PushFormat {
    /// `xml` or `json` (anything else is `None`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "xml" => Some(Self::Xml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// The `Content-Type` a body in this format goes out with.
    pub(super) fn content_type(self) -> &'static str {
        match self {
            Self::Xml => "text/xml; charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

//! The two wire encodings (XML and JSON) and the untyped field map both decode into.

use roxmltree::Node;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::depth_guard::nesting_exceeds;
use super::fields::Fields;
use super::writer::XmlOut;
use super::MessageError;

/// Deeper XML (below the `<xml>` root) is refused: WeChat pushes nest at most three levels
/// (`SendPicsInfo/PicList/item`), and the limit keeps parsing and conversion off the
/// stack's edge.
pub const MAX_XML_DEPTH: usize = 32;

/// Which encoding a push or reply body uses. WeChat itself sends XML; cloud-hosted pushes
/// and business services may send JSON objects with the same PascalCase field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// An `<xml>...</xml>` document.
    Xml,
    /// A JSON object.
    Json,
}

impl Format {
    /// Guesses the encoding from the first non-whitespace character (`<` or `{`), so one
    /// endpoint can accept both. `None` means the body is neither.
    pub fn sniff(body: &str) -> Option<Format> {
        match significant(body).chars().next()? {
            '<' => Some(Format::Xml),
            '{' => Some(Format::Json),
            _ => None,
        }
    }

    /// Decodes `body` in this encoding into raw fields.
    pub fn parse(self, body: &str) -> Result<RawFields, MessageError> {
        let body = significant(body);
        if body.is_empty() {
            return Err(MessageError::Empty);
        }
        let map = match self {
            Format::Xml => parse_xml(body)?,
            Format::Json => parse_json(body)?,
        };
        Ok(RawFields(map))
    }
}

/// The body without a leading byte-order mark and surrounding whitespace.
fn significant(body: &str) -> &str {
    body.trim_start_matches(|c: char| c == '\u{feff}' || c.is_whitespace())
        .trim_end()
}

/// Every top-level field of a push, untyped: XML leaf elements become strings (CDATA text
/// kept exactly), nested elements become objects and repeated elements arrays; JSON values
/// are kept as they are. Typed messages keep it so nothing WeChat sent is lost.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawFields(Map<String, Value>);

impl RawFields {
    /// Sniffs the encoding and decodes `body`.
    pub fn parse(body: &str) -> Result<RawFields, MessageError> {
        Self::parse_with_format(body).map(|(_, raw)| raw)
    }

    /// Like [`RawFields::parse`], also returning the encoding so a reply can use the same.
    pub fn parse_with_format(body: &str) -> Result<(Format, RawFields), MessageError> {
        let trimmed = significant(body);
        let format = match trimmed.chars().next() {
            None => return Err(MessageError::Empty),
            Some('<') => Format::Xml,
            // A JSON array is still JSON: let the JSON path say "must be an object".
            Some('{' | '[') => Format::Json,
            Some(_) => return Err(MessageError::UnknownFormat),
        };
        Ok((format, format.parse(trimmed)?))
    }

    /// The raw value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// `key` as text (numbers and booleans rendered); `None` if absent or not scalar.
    pub fn get_str(&self, key: &str) -> Option<String> {
        self.fields().opt_str(key).ok().flatten()
    }

    /// `key` as an integer, parsing text; `None` if absent or not an integer.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.fields().opt_i64(key).ok().flatten()
    }

    /// `key` as a finite float, parsing text; `None` if absent or not a number.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.fields().opt_f64(key).ok().flatten()
    }

    /// `key` as text, or [`MessageError::MissingField`] / [`MessageError::BadField`].
    pub fn require_str(&self, key: &str) -> Result<String, MessageError> {
        self.fields().str(key)
    }

    /// `key` as an integer, or [`MessageError::MissingField`] / [`MessageError::BadField`].
    pub fn require_i64(&self, key: &str) -> Result<i64, MessageError> {
        self.fields().i64(key)
    }

    /// A copy of the nested object under `key` (e.g. `ScanCodeInfo`), if it is one.
    pub fn nested(&self, key: &str) -> Option<RawFields> {
        match self.0.get(key) {
            Some(Value::Object(map)) => Some(RawFields(map.clone())),
            _ => None,
        }
    }

    /// The underlying map, for callers that need every field (e.g. to forward as JSON).
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Takes the underlying map.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The fields as WeChat-style XML (text in CDATA, nested objects as elements, arrays
    /// as repeated elements), for targets that only read XML. A key that is not an XML
    /// name cannot be written as an element and is left out.
    pub fn to_xml(&self) -> String {
        let mut out = XmlOut::new();
        for (key, value) in &self.0 {
            write_element(&mut out, key, value);
        }
        out.finish()
    }

    /// A checked view used by the typed parsers.
    pub(crate) fn fields(&self) -> Fields<'_> {
        Fields::new(&self.0)
    }
}

fn write_element(out: &mut XmlOut, key: &str, value: &Value) {
    if !is_xml_name(key) {
        return;
    }
    match value {
        Value::Array(items) => items.iter().for_each(|item| write_element(out, key, item)),
        Value::Object(map) => {
            out.open(key);
            for (k, v) in map {
                write_element(out, k, v);
            }
            out.close(key);
        }
        Value::String(text) => out.text(key, text),
        Value::Number(n) => out.plain(key, &n.to_string()),
        Value::Bool(b) => out.plain(key, if *b { "true" } else { "false" }),
        Value::Null => out.plain(key, ""),
    }
}

/// Names WeChat's field names fit: an ASCII letter or `_`, then letters, digits, `_`, `-`, `.`.
fn is_xml_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl From<Map<String, Value>> for RawFields {
    fn from(map: Map<String, Value>) -> Self {
        RawFields(map)
    }
}

fn parse_json(body: &str) -> Result<Map<String, Value>, MessageError> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(MessageError::NotAnObject(kind_of(&other))),
        Err(e) => Err(MessageError::Json(e.to_string())),
    }
}

fn parse_xml(body: &str) -> Result<Map<String, Value>, MessageError> {
    // roxmltree recurses per element without a limit: bound the nesting first.
    if nesting_exceeds(body, MAX_XML_DEPTH + 1) {
        return Err(MessageError::TooDeep(MAX_XML_DEPTH));
    }
    // The default options refuse any DTD; that is deliberate (no entity expansion).
    let doc = roxmltree::Document::parse(body).map_err(|e| match e {
        roxmltree::Error::DtdDetected => MessageError::DtdForbidden,
        other => MessageError::Xml(other.to_string()),
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "xml" {
        return Err(MessageError::WrongRoot(root.tag_name().name().to_owned()));
    }
    element_children(root, 1)
}

/// Converts the element children of `node` into a map (attributes are ignored).
fn element_children(node: Node<'_, '_>, depth: usize) -> Result<Map<String, Value>, MessageError> {
    if depth > MAX_XML_DEPTH {
        return Err(MessageError::TooDeep(MAX_XML_DEPTH));
    }
    let mut map = Map::new();
    for child in node.children().filter(Node::is_element) {
        let value = if child.children().any(|n| n.is_element()) {
            Value::Object(element_children(child, depth + 1)?)
        } else {
            // roxmltree already merges CDATA sections and adjacent text.
            Value::String(
                child
                    .children()
                    .filter(Node::is_text)
                    .filter_map(|n| n.text())
                    .collect(),
            )
        };
        insert_repeated(&mut map, child.tag_name().name(), value);
    }
    Ok(map)
}

/// Inserts `value`, turning a repeated element name into an array of its values.
fn insert_repeated(map: &mut Map<String, Value>, key: &str, value: Value) {
    match map.get_mut(key) {
        None => {
            map.insert(key.to_owned(), value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// A short name of a JSON value's type, for error messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

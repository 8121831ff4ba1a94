//! Tiny infallible writers for WeChat-shaped XML and field-ordered JSON.

use serde_json::Value;

/// Builds `<xml>...</xml>` with text in CDATA sections, as WeChat's docs show.
pub(crate) struct XmlOut(String);

impl XmlOut {
    pub(crate) fn new() -> Self {
        XmlOut(String::from("<xml>"))
    }

    /// `<name><![CDATA[value]]></name>`.
    pub(crate) fn text(&mut self, name: &str, value: &str) {
        self.open(name);
        self.0.push_str(&cdata(value));
        self.close(name);
    }

    /// `<name>n</name>`.
    pub(crate) fn number(&mut self, name: &str, value: i64) {
        self.open(name);
        self.0.push_str(&value.to_string());
        self.close(name);
    }

    /// `<name>value</name>` for text that needs no escaping (numbers, booleans).
    pub(crate) fn plain(&mut self, name: &str, value: &str) {
        self.open(name);
        self.0.push_str(value);
        self.close(name);
    }

    pub(crate) fn open(&mut self, name: &str) {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
    }

    pub(crate) fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
    }

    pub(crate) fn finish(mut self) -> String {
        self.0.push_str("</xml>");
        self.0
    }
}

/// `value` as a CDATA section, `<![CDATA[...]]>`: the one way text goes into the XML we
/// write (messages, passive replies, sealed replies, the simulator's pushes). Characters
/// XML 1.0 cannot carry at all (most C0 controls, U+FFFE, U+FFFF) are dropped so the
/// document stays well-formed, then `]]>` is split across two sections. (Dropping first
/// means no `]]>` can appear afterwards.)
pub fn cdata(value: &str) -> String {
    let clean: String = value.chars().filter(|&c| is_xml_char(c)).collect();
    format!("<![CDATA[{}]]>", clean.replace("]]>", "]]]]><![CDATA[>"))
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// Builds a JSON object with keys in the order given (serde_json's map would sort them).
pub(crate) struct JsonOut {
    buf: String,
    empty: bool,
}

impl JsonOut {
    pub(crate) fn new() -> Self {
        JsonOut {
            buf: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.buf.push(',');
        }
        self.empty = false;
        self.buf.push_str(&Value::from(key).to_string());
        self.buf.push(':');
    }

    pub(crate) fn text(&mut self, key: &str, value: &str) {
        self.key(key);
        self.buf.push_str(&Value::from(value).to_string());
    }

    pub(crate) fn number(&mut self, key: &str, value: i64) {
        self.key(key);
        self.buf.push_str(&value.to_string());
    }

    /// A value that is already JSON (a nested object or array).
    pub(crate) fn json(&mut self, key: &str, json: &str) {
        self.key(key);
        self.buf.push_str(json);
    }

    pub(crate) fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

/// `[a,b,...]` from already-serialized JSON values.
pub(crate) fn json_array(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(","))
}

//! The one error type every push / reply parser returns.

use thiserror::Error;

/// The longest `ToUserName`, `MsgType`, `Event` or `InfoType` a push may carry: the
/// width of wxcomponent's record columns (`VARCHAR(64)`); WeChat's are under 32.
/// A longer one is refused as malformed rather than failing at storage, which
/// would answer 5xx to every retry.
pub const MAX_IDENTIFIER_CHARS: usize = 64;

/// Refuses `value` when it is longer than [`MAX_IDENTIFIER_CHARS`].
pub(crate) fn bounded(field: &'static str, value: &str) -> Result<(), MessageError> {
    if value.chars().nth(MAX_IDENTIFIER_CHARS).is_some() {
        return Err(MessageError::TooLong(field));
    }
    Ok(())
}

/// Why a WeChat push or passive reply could not be understood. Every malformed input maps
/// to one of these (never a panic), and the message names the field at fault so that
/// callback records and logs say exactly what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    /// The body was empty or whitespace only.
    #[error("message body is empty")]
    Empty,
    /// The body starts with neither `<` (XML) nor `{` (JSON object).
    #[error("message body is neither XML nor a JSON object")]
    UnknownFormat,
    /// The body looked like XML but is not well-formed.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// The XML declares a DTD; refused to rule out entity-expansion and XXE attacks.
    #[error("XML with a DTD (<!DOCTYPE ...>) is refused")]
    DtdForbidden,
    /// The XML root element is not `<xml>`.
    #[error("XML root element must be <xml>, found <{0}>")]
    WrongRoot(String),
    /// The XML nests elements deeper than any WeChat push does.
    #[error("XML nests deeper than {0} levels")]
    TooDeep(usize),
    /// The body looked like JSON but is not valid JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The JSON body is valid but not an object (e.g. an array).
    #[error("JSON body must be an object, found {0}")]
    NotAnObject(&'static str),
    /// A field the message type requires is absent (or JSON `null`).
    #[error("missing field {0}")]
    MissingField(String),
    /// A field is present but its value is unusable (field name, reason).
    #[error("bad field {0}: {1}")]
    BadField(String, String),
    /// An identifier is longer than any WeChat sends and than its record column.
    #[error("field {0} is longer than {max} characters", max = MAX_IDENTIFIER_CHARS)]
    TooLong(&'static str),
    /// A passive news reply must carry between 1 and 8 articles.
    #[error("news reply must carry 1 to {max} articles, got {0}", max = crate::message::MAX_NEWS_ARTICLES)]
    ArticleCount(usize),
}

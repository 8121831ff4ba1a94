//! A linear pre-scan bounding XML element nesting before roxmltree sees the text.
//!
//! roxmltree 0.20's tokenizer recurses once per open element with no depth limit, so a
//! body of a few hundred kilobytes of `<a>` overflows the stack and aborts the whole
//! process. This scan follows the same tag structure (skipping comments, CDATA, processing
//! instructions and quoted attribute values) and never counts fewer open elements than the
//! tokenizer would reach before it stops, so refusing here keeps the parser shallow.

/// Whether element nesting in `xml` goes deeper than `limit` levels (the root is level 1).
pub(crate) fn nesting_exceeds(xml: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    let mut at = 0usize;
    while let Some(offset) = xml[at..].find('<') {
        at += offset;
        let rest = &xml[at..];
        at = if rest.starts_with("<!--") {
            skip_past(xml, at + 4, "-->")
        } else if rest.starts_with("<![CDATA[") {
            skip_past(xml, at + 9, "]]>")
        } else if rest.starts_with("<?") {
            skip_past(xml, at + 2, "?>")
        } else if rest.starts_with("</") {
            depth = depth.saturating_sub(1);
            at + 2
        } else if rest.starts_with("<!") {
            // DOCTYPE and the like: roxmltree refuses them, nothing nests.
            at + 2
        } else {
            let (end, self_closing) = start_tag_end(xml, at + 1);
            if !self_closing {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            end
        };
    }
    false
}

/// The index just after the next `needle` at or after `from`, or the end of the text.
fn skip_past(xml: &str, from: usize, needle: &str) -> usize {
    match xml.get(from..).and_then(|rest| rest.find(needle)) {
        Some(p) => from + p + needle.len(),
        None => xml.len(),
    }
}

/// Scans a start tag from just after its `<` to just after its `>`, ignoring `>` inside
/// quoted attribute values; reports whether it ended with `/>`.
fn start_tag_end(xml: &str, from: usize) -> (usize, bool) {
    let bytes = xml.as_bytes();
    let mut quote: Option<u8> = None;
    let mut previous = b'<';
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return (i + 1, previous == b'/'),
            None => {}
        }
        previous = b;
        i += 1;
    }
    (bytes.len(), false)
}

#[cfg(test)]
mod tests {
    use super::nesting_exceeds;

    #[test]
    fn counts_open_elements_only() {
        assert!(!nesting_exceeds(
            "<xml><a><b/></a><c x=\"/>\"></c></xml>",
            2
        ));
        assert!(nesting_exceeds("<xml><a><b></b></a></xml>", 2));
        assert!(!nesting_exceeds(
            "<xml><!-- <a><b> --><![CDATA[<a><b>]]><?p <a><b>?></xml>",
            1
        ));
        assert!(nesting_exceeds("<xml><a x='>'><b>", 2));
        assert!(!nesting_exceeds(
            "<xml><a x='</b></c>'></a><a></a></xml>",
            2
        ));
    }
}

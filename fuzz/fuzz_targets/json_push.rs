//! JSON push parsing: any text, as Cloud Run's plain JSON pushes and JSON-mode
//! pushes arrive. Never a panic; the checks of `check_push` (typed views agree
//! with the raw fields, replies round-trip, the XML form an XML-only forward
//! target gets is well-formed and types to the same message); and the raw
//! fields re-serialise to JSON that reads back identically (what is stored and
//! forwarded as JSON).
#![no_main]

use common::message::{Format, RawFields};
use libfuzzer_sys::fuzz_target;
use wxcomponent_fuzz::check_push;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let forced = Format::Json.parse(body);
    if Format::sniff(body) == Some(Format::Json) {
        assert_eq!(forced, RawFields::parse(body));
    }
    if let Ok(raw) = &forced {
        let json = serde_json::to_string(raw).expect("fields serialise");
        assert_eq!(
            RawFields::parse(&json).as_ref(),
            Ok(raw),
            "JSON round trip of {json}"
        );
    }
    check_push(body);
});

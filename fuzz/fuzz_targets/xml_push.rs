//! XML push parsing: any text, as the callback receives a decrypted (or plain) XML
//! push. Never a panic nor a stack overflow (roxmltree recurses per element; the
//! depth guard must stop it first), and the checks of `check_push`: typed views
//! agree with the raw fields, replies round-trip, the XML we write back is
//! well-formed and stable.
#![no_main]

use common::message::{Format, RawFields};
use libfuzzer_sys::fuzz_target;
use wxcomponent_fuzz::check_push;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    // Forced XML decoding agrees with sniffing whenever the body sniffs as XML.
    let forced = Format::Xml.parse(body);
    if Format::sniff(body) == Some(Format::Xml) {
        assert_eq!(forced, RawFields::parse(body));
    }
    check_push(body);
});

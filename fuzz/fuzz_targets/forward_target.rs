//! The admin's forward-rule target (`Target::parse/check/endpoint`), the `info`
//! column the admin saves and the callback reads back.
//!
//! Properties, for any stored text, forward host and appid:
//! - nothing panics;
//! - `check` is idempotent and what it returns is stored as JSON that reads back
//!   to itself (the admin saves the checked form, the callback re-reads it);
//! - a checked target resolves to an endpoint whatever the appid, and its URL is a
//!   URL on the forward host and port (or on the target's own `url` host and port):
//!   no path, appid or format can move a push to another host.
#![no_main]

use common::forward::Target;
use common::message::Format;
use libfuzzer_sys::fuzz_target;

/// Forward hosts as the settings give them (configuration, not input); the
/// input's length picks one.
const FORWARD_HOSTS: [&str; 4] = ["gateway", "127.0.0.1", "gw.internal.example", "[::1]"];

// Input: the stored `info` text, then a NUL byte and the appid of the push.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (info, appid) = text
        .split_once('\0')
        .unwrap_or((text, "wx0123456789abcdef"));
    let Ok(target) = Target::parse(info) else {
        return;
    };
    let forward_host = FORWARD_HOSTS[data.len() % FORWARD_HOSTS.len()];
    let checked = match target.check() {
        Ok(checked) => checked,
        Err(e) => {
            assert!(e.to_string().starts_with("data."), "{e}");
            assert!(target.endpoint(forward_host).is_err());
            return;
        }
    };
    assert_eq!(
        checked.check().as_ref(),
        Ok(&checked),
        "check is idempotent"
    );
    let stored = serde_json::to_string(&checked).expect("a target serialises");
    assert_eq!(
        Target::parse(&stored).as_ref(),
        Ok(&checked),
        "stored form {stored}"
    );

    let endpoint = target
        .endpoint(forward_host)
        .expect("a checked target resolves");
    assert_eq!(checked.endpoint(forward_host).as_ref(), Ok(&endpoint));
    assert_eq!(
        endpoint.format(),
        if checked.format.as_deref() == Some("xml") {
            Format::Xml
        } else {
            Format::Json
        }
    );
    let url = endpoint.url(appid);
    let parsed = url::Url::parse(&url)
        .unwrap_or_else(|e| panic!("endpoint URL {url:?} does not parse: {e}"));
    let (host, port) = match &checked.url {
        Some(base) => {
            let base = url::Url::parse(base).expect("a checked url parses");
            (
                base.host_str().map(str::to_owned),
                base.port_or_known_default(),
            )
        }
        None => {
            let port = u16::try_from(checked.port).expect("a checked port fits u16");
            let base =
                url::Url::parse(&format!("http://{forward_host}:{port}")).expect("forward base");
            (
                base.host_str().map(str::to_owned),
                base.port_or_known_default(),
            )
        }
    };
    assert_eq!(
        (
            parsed.host_str().map(str::to_owned),
            parsed.port_or_known_default()
        ),
        (host, port),
        "{url:?} left the target's host"
    );
});

//! The gateway's route table and its request checks.
//!
//! Per input: the admin's `/inner/routes` answer (raw bytes, else rules built from
//! fuzz input) becomes a route table over the default settings' static routes the
//! way the poller builds it, then a request (any URI, method, declared length) goes
//! through `proxy::admit` on both listeners.
//!
//! Properties:
//! - nothing panics; a routing answer that reads reads back from its own JSON; an
//!   upstream the admin's check accepts is a usable address;
//! - path normalisation: absolute, no empty, `.` or `..` segment, no escaped
//!   unreserved character, idempotent, and the identity on paths it says need none;
//! - the checks: an unnormalisable path is the 400, `/healthz` the 200, `/inner/*`
//!   the 404 on the public listener (and never proxied there, nor to an
//!   internal-only route), the rate limit sees the normalised path, a declared body
//!   over the route's limit the 413;
//! - a proxied request: its route takes the path (or is the last resort), and the
//!   URI forwarded is the route's forward path of the normalised path, starting
//!   with `/`, with the query kept; a route whose upstream the admin accepted never
//!   makes a valid request unforwardable.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use common::envelope::Envelope;
use common::routing::{ProxyRoute, RoutingDocument, UpstreamAddress};
use gateway::limits::BodyLimits;
use gateway::net::{needs_normalizing, normalize_path};
use gateway::proxy::{admit, Early, Listener, Verdict};
use gateway::routes::{parse_target, read_routing_answer, Route, RouteTable, Target};
use gateway::settings::{HealthCheckKind, Settings};
use gateway::upstream::Upstream;
use libfuzzer_sys::fuzz_target;

/// One fuzz input, as lines: the request URI, the method, the declared
/// `Content-Length` (empty for none), `limited` when the rate limit refuses,
/// then the admin's answer: a routing answer as the admin sends it, or else
/// rules one per line (`prefix upstream [strip]`, `fallback target`).
struct Input<'a> {
    uri: &'a str,
    method: &'a str,
    declared: Option<u64>,
    rate_limited: bool,
    answer: &'a str,
}

impl<'a> Input<'a> {
    fn read(text: &'a str) -> Self {
        let mut lines = text.splitn(5, '\n');
        let mut next = || lines.next().unwrap_or("");
        Input {
            uri: next(),
            method: next(),
            declared: next().trim().parse().ok(),
            rate_limited: next() == "limited",
            answer: next(),
        }
    }
}

/// Rules written one per line, for inputs that are no routing answer.
fn rules_from_lines(text: &str) -> RoutingDocument {
    let mut document = RoutingDocument::default();
    for line in text.lines() {
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next()) {
            (Some("fallback"), Some(target), _) => document.fallback = Some(target.to_string()),
            (Some(prefix), Some(upstream), strip) => document.routes.push(ProxyRoute {
                prefix: prefix.to_string(),
                upstream: upstream.to_string(),
                strip_prefix: strip == Some("strip"),
            }),
            _ => {}
        }
    }
    document
}

/// The default settings, their static routes and body limits: built once.
struct Fixture {
    settings: Settings,
    services: HashMap<String, Arc<Upstream>>,
    table: RouteTable,
    default_route: Arc<Route>,
    limits: BodyLimits,
}

fn upstream(name: &str, host: &str, port: u16, settings: &Settings) -> Arc<Upstream> {
    Arc::new(Upstream::new(
        name,
        vec![(host.to_string(), port)],
        HealthCheckKind::None,
        &settings.upstream,
    ))
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let settings = Settings::load_from(None, &HashMap::new()).expect("default settings");
        let services: HashMap<String, Arc<Upstream>> = settings
            .services
            .keys()
            .map(|name| (name.clone(), upstream(name, "127.0.0.1", 1, &settings)))
            .collect();
        let (table, default_route) =
            RouteTable::from_settings(&settings, |name| services.get(name).cloned())
                .expect("the default settings' routes name known services");
        let limits = BodyLimits::new(settings.max_body_bytes, &settings.body_limits);
        Fixture {
            settings,
            services,
            table,
            default_route,
            limits,
        }
    })
}

/// A rule's route as the poller builds it (an address gets its own upstream,
/// not resolved here), or `None` when the poller would skip it.
fn rule_route(
    f: &Fixture,
    name: &str,
    prefix: &str,
    strip: bool,
    target: &str,
) -> Option<Arc<Route>> {
    let parsed = parse_target(target, |n| f.services.contains_key(n));
    let direct = UpstreamAddress::parse(target);
    let (up, base) = match parsed {
        Ok(Target::Service(name)) => (Arc::clone(&f.services[&name]), String::new()),
        Ok(Target::Address(a)) => {
            assert_eq!(direct.as_ref(), Ok(&a));
            assert!(!a.host.is_empty() && a.port > 0, "{target:?} read as {a:?}");
            assert!(
                a.base_path.is_empty() || a.base_path.starts_with('/'),
                "{a:?}"
            );
            assert!(!a.base_path.contains(['?', '#']), "{a:?}");
            (upstream(&a.host, &a.host, a.port, &f.settings), a.base_path)
        }
        Err(_) => {
            assert!(direct.is_err());
            return None;
        }
    };
    Some(Arc::new(Route::new(
        name, prefix, false, strip, false, &base, up,
    )))
}

fn check_normalization(raw: &str) -> Option<String> {
    let normalized = normalize_path(raw);
    if !needs_normalizing(raw) {
        assert_eq!(
            normalized.as_deref(),
            Some(raw),
            "a path said to need no normalising"
        );
    }
    let n = normalized?;
    assert!(n.starts_with('/'), "{raw:?} → {n:?}");
    let segments: Vec<&str> = n[1..].split('/').collect();
    for (i, s) in segments.iter().enumerate() {
        assert!(!matches!(*s, "." | ".."), "{raw:?} → {n:?}");
        assert!(!s.is_empty() || i + 1 == segments.len(), "{raw:?} → {n:?}");
    }
    let bytes = n.as_bytes();
    for (i, _) in n.match_indices('%') {
        let hex = |b: Option<&u8>| b.and_then(|&b| (b as char).to_digit(16));
        if let (Some(hi), Some(lo)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
            let c = (hi * 16 + lo) as u8;
            assert!(
                !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')),
                "{raw:?} → {n:?} keeps an escaped unreserved character"
            );
        }
    }
    assert_eq!(
        normalize_path(&n).as_deref(),
        Some(n.as_str()),
        "idempotent"
    );
    Some(n)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = Input::read(text);
    let f = fixture();

    let document = match read_routing_answer(input.answer.as_bytes()) {
        Ok(document) => {
            let again = serde_json::to_vec(&Envelope {
                code: 0,
                error_msg: "OK".into(),
                data: Some(&document),
            })
            .expect("a document serialises");
            assert_eq!(read_routing_answer(&again).as_ref(), Ok(&document));
            document
        }
        Err(_) => rules_from_lines(input.answer),
    };
    let dynamic: Vec<Arc<Route>> = document
        .routes
        .iter()
        .filter_map(|r| rule_route(f, &r.prefix, &r.prefix, r.strip_prefix, &r.upstream))
        .collect();
    let last_resort = document
        .fallback
        .as_deref()
        .and_then(|t| rule_route(f, "fallback", "/", false, t))
        .unwrap_or_else(|| Arc::clone(&f.default_route));
    let table = f.table.with_rules(dynamic, last_resort, None);

    let Ok(uri) = http::Uri::try_from(input.uri) else {
        return;
    };
    let method = http::Method::from_bytes(input.method.as_bytes()).unwrap_or(http::Method::GET);
    let normalized = check_normalization(uri.path());

    for listener in [Listener::Public, Listener::Internal] {
        let mut limiter_saw = None;
        let admission = admit(
            listener,
            &table,
            &f.limits,
            &method,
            &uri,
            input.declared,
            |path| {
                limiter_saw = Some(path.to_string());
                input.rate_limited.then(|| Early {
                    label: "rate-limited",
                    status: 429,
                    code: 1001,
                    message: "too many".into(),
                    retry_after: Some("1".into()),
                    close: false,
                })
            },
        );
        let Some(path) = normalized.as_deref() else {
            let Ok(Verdict::Answer(early)) = &admission.verdict else {
                panic!("an unnormalisable path {:?} was not refused", uri.path());
            };
            assert_eq!((early.status, early.close), (400, true));
            continue;
        };
        assert_eq!(admission.max_body, f.limits.for_request(&method, path));
        assert_eq!(admission.console, gateway::limits::is_console_api(path));
        let inner = path == "/inner" || path.starts_with("/inner/");
        let verdict = admission
            .verdict
            .unwrap_or_else(|e| panic!("{uri} unforwardable on {listener:?}: {e}"));
        match verdict {
            Verdict::Answer(early) => {
                let expected = if path == "/healthz" {
                    200
                } else if inner && listener == Listener::Public {
                    404
                } else if input.rate_limited {
                    assert_eq!(limiter_saw.as_deref(), Some(path));
                    429
                } else {
                    assert!(input.declared.is_some_and(|n| n > admission.max_body));
                    413
                };
                assert_eq!(early.status, expected, "{uri} on {listener:?}");
            }
            Verdict::Proxy { route, forward_uri } => {
                assert_eq!(limiter_saw.as_deref(), Some(path));
                assert!(!input.rate_limited && path != "/healthz");
                assert!(input.declared.is_none_or(|n| n <= admission.max_body));
                if listener == Listener::Public {
                    assert!(
                        !inner && !route.internal_only,
                        "{uri} proxied to {}",
                        route.name
                    );
                }
                assert!(
                    route.matches(path) || matches!(route.name.as_str(), "default" | "fallback"),
                    "{} does not take {path}",
                    route.name
                );
                let forward = route.forward_path(path);
                assert!(forward.starts_with('/'), "{forward:?}");
                match forward_uri {
                    Some(sent) => {
                        assert_eq!(sent.path(), forward);
                        assert_eq!(sent.query(), uri.query());
                    }
                    None => assert!(path == uri.path() && forward == path),
                }
            }
        }
    }
});

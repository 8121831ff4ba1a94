//! Inputs the fuzz targets (fuzz/, scripts/fuzz.sh) found failing, kept as tests
//! once fixed. Each names its target and the property it broke.

use gateway::net::normalize_path;

/// gateway_request (artifact crash-698baecd…): normalising
/// `/x/44%8%44/%44/%6%44/8%44/` decoded `%44` to `D` right after a stray
/// `%6`, making the new escape `%6D` (`m`): the result was not normal (a second
/// pass changed it) and a service behind would decode what the gateway routed
/// on differently. A stray `%` now becomes `%25`.
#[test]
fn a_decoded_character_never_completes_an_escape_with_a_stray_percent() {
    let input = "/x/44%8%44/%44/%6%44/8%44/";
    let once = normalize_path(input).expect("absolute");
    assert_eq!(once, "/x/44%258D/D/%256D/8D/");
    assert_eq!(normalize_path(&once).as_deref(), Some(once.as_str()));
    for (path, normal) in [
        ("/%6%69nner/routes", "/%256inner/routes"),
        (
            "/wxcomponent/%2%45%2%45/inner",
            "/wxcomponent/%252E%252E/inner",
        ),
        ("/a%", "/a%25"),
        ("/a%4", "/a%254"),
        ("/a%2f%2F", "/a%2F%2F"),
    ] {
        assert_eq!(normalize_path(path).as_deref(), Some(normal), "{path}");
        assert_eq!(normalize_path(normal).as_deref(), Some(normal), "{normal}");
    }
}

//! `/cgi-bin/media/upload` (新增临时素材) driven over HTTP with multipart
//! forms, as the admin forwards the console's audit screenshots: the answer's
//! shape, WeChat's per-type formats and size limits at their boundaries, its
//! error codes, the call counts and injected faults.

use crate::support_account::{assert_errcode, Sim, MINI_PROGRAM, OFFICIAL_ACCOUNT};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const UPLOAD: &str = "/cgi-bin/media/upload";

fn file(bytes: Vec<u8>, name: &str, mime: &str) -> Form {
    let part = Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str(mime)
        .expect("a valid mime type");
    Form::new().part("media", part)
}

async fn upload(sim: &Sim, query: &str, form: Form) -> Value {
    let response = sim
        .client
        .post(format!("{}{UPLOAD}?{query}", sim.base_url))
        .multipart(form)
        .send()
        .await
        .expect("POST reaches wxsim");
    assert_eq!(response.status(), 200, "POST {UPLOAD}?{query}");
    response.json().await.expect("a JSON answer")
}

#[tokio::test]
async fn an_image_upload_answers_type_media_id_and_created_at_and_is_kept() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let answer = upload(
        &sim,
        &format!("access_token={token}&type=image"),
        file(vec![0xFF, 0xD8, 0xFF, 0xD9], "shot.jpg", "image/jpeg"),
    )
    .await;
    assert_errcode(&answer, 0);
    assert_eq!(answer["type"], "image");
    assert_eq!(answer["created_at"], sim.state.now());
    let media_id = answer["media_id"].as_str().expect("media_id").to_string();
    assert_eq!(media_id.len(), 64);

    let snapshot = sim.snapshot().await;
    let kept = &snapshot["accounts"]["accounts"][MINI_PROGRAM]["media"][&media_id];
    assert_eq!(kept["type"], "image", "{snapshot}");
    assert_eq!(kept["file_name"], "shot.jpg");
    assert_eq!(kept["size"], 4);
    assert_eq!(kept["expires_at"], sim.state.now() + 3 * 86_400);

    // Each upload is a new media_id; an official account uploads too.
    let again = upload(
        &sim,
        &format!("access_token={token}&type=image"),
        file(vec![1, 2, 3], "shot.png", "image/png"),
    )
    .await;
    assert_ne!(again["media_id"], answer["media_id"]);
    let official = sim.official_account();
    let voice = upload(
        &sim,
        &format!("access_token={official}&type=voice"),
        file(vec![0; 16], "hello.amr", "audio/amr"),
    )
    .await;
    assert_eq!(voice["type"], "voice", "{voice}");
    assert_eq!(sim.state.calls.count(UPLOAD), 3);
    assert_eq!(sim.state.calls.count_for(MINI_PROGRAM, UPLOAD), 2);
    assert_eq!(sim.state.calls.count_for(OFFICIAL_ACCOUNT, UPLOAD), 1);
}

#[tokio::test]
async fn the_token_is_checked_first() {
    let sim = Sim::start().await;
    sim.mini_program();
    let jpg = || file(vec![1], "a.jpg", "image/jpeg");
    assert_errcode(&upload(&sim, "type=image", jpg()).await, 41001);
    assert_errcode(
        &upload(&sim, "access_token=not-a-token&type=image", jpg()).await,
        40001,
    );
    let component = sim.component_token();
    assert_errcode(
        &upload(&sim, &format!("access_token={component}&type=image"), jpg()).await,
        40001,
    );
    let token = sim.mini_program();
    sim.state
        .clock
        .advance(sim.state.settings.token_ttl_secs + 1);
    assert_errcode(
        &upload(&sim, &format!("access_token={token}&type=doc"), jpg()).await,
        42001,
    );
}

#[tokio::test]
async fn an_unknown_or_missing_type_is_40004() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    for query in [
        format!("access_token={token}"),
        format!("access_token={token}&type="),
        format!("access_token={token}&type=file"),
        format!("access_token={token}&type=IMAGE"),
    ] {
        let answer = upload(&sim, &query, file(vec![1], "a.jpg", "image/jpeg")).await;
        assert_errcode(&answer, 40004);
        assert!(
            answer["errmsg"]
                .as_str()
                .is_some_and(|m| m.contains("invalid media type")),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn a_form_without_media_is_41005_and_an_empty_file_44001() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let query = format!("access_token={token}&type=image");
    let answer = upload(&sim, &query, Form::new().text("other", "x")).await;
    assert_errcode(&answer, 41005);
    assert!(answer["errmsg"]
        .as_str()
        .is_some_and(|m| m.contains("media data missing")));
    // The file under another part name is no media either.
    let misnamed = Form::new().part(
        "file",
        Part::bytes(vec![1])
            .file_name("a.jpg")
            .mime_str("image/jpeg")
            .expect("mime"),
    );
    assert_errcode(&upload(&sim, &query, misnamed).await, 41005);
    // A body that is no multipart form at all.
    let raw = sim.post(&format!("{UPLOAD}?{query}"), &json!({})).await;
    assert_errcode(&raw, 41005);
    let empty = upload(&sim, &query, file(Vec::new(), "a.jpg", "image/jpeg")).await;
    assert_errcode(&empty, 44001);
}

#[tokio::test]
async fn a_format_the_type_does_not_take_is_40005() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let cases = [
        ("image", "a.txt", "text/plain"),
        ("image", "a.mp4", "video/mp4"),
        ("voice", "a.wav", "audio/wav"),
        ("video", "a.avi", "video/x-msvideo"),
        ("thumb", "a.png", "image/png"),
        // No extension and a content type that names no accepted format.
        ("image", "media", "application/octet-stream"),
    ];
    for (kind, name, mime) in cases {
        let answer = upload(
            &sim,
            &format!("access_token={token}&type={kind}"),
            file(vec![1, 2, 3], name, mime),
        )
        .await;
        assert_errcode(&answer, 40005);
    }
    // Accepted formats, by extension (any case) or, without one, by content type.
    let cases = [
        ("image", "A.JPEG", "image/jpeg"),
        ("image", "a.gif", "image/gif"),
        ("image", "a.bmp", "image/bmp"),
        ("image", "screenshot", "image/png"),
        ("voice", "a.mp3", "audio/mpeg"),
        ("video", "a.mp4", "video/mp4"),
        ("thumb", "a.jpg", "image/jpeg"),
    ];
    for (kind, name, mime) in cases {
        let answer = upload(
            &sim,
            &format!("access_token={token}&type={kind}"),
            file(vec![1, 2, 3], name, mime),
        )
        .await;
        assert_errcode(&answer, 0);
        assert_eq!(answer["type"], kind);
    }
}

#[tokio::test]
async fn each_type_takes_files_up_to_its_limit_and_refuses_one_byte_more() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let cases = [
        ("thumb", "a.jpg", "image/jpeg", 64 * 1024, 40012),
        ("voice", "a.mp3", "audio/mpeg", 2 * 1024 * 1024, 40010),
        ("image", "a.png", "image/png", 10 * 1024 * 1024, 40009),
        ("video", "a.mp4", "video/mp4", 10 * 1024 * 1024, 40011),
    ];
    for (kind, name, mime, limit, errcode) in cases {
        let query = format!("access_token={token}&type={kind}");
        let at_limit = upload(&sim, &query, file(vec![7; limit], name, mime)).await;
        assert_errcode(&at_limit, 0);
        let over = upload(&sim, &query, file(vec![7; limit + 1], name, mime)).await;
        assert_errcode(&over, errcode);
    }
}

#[tokio::test]
async fn injected_faults_apply_to_uploads() {
    let sim = Sim::start().await;
    let token = sim.mini_program();
    let set = sim
        .post(
            "/__sim/faults",
            &json!({"path": UPLOAD, "errcode": 45009, "times": 1}),
        )
        .await;
    assert_errcode(&set, 0);
    let query = format!("access_token={token}&type=image");
    let jpg = || file(vec![1], "a.jpg", "image/jpeg");
    assert_errcode(&upload(&sim, &query, jpg()).await, 45009);
    assert_errcode(&upload(&sim, &query, jpg()).await, 0);
    assert_eq!(sim.state.calls.count(UPLOAD), 2);
}

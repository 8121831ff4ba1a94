//! Untrusted pushes are counted per minute in `wxc_push_refusals`, in
//! batches, for the console's overview; trusted ones are not.

use common::db::refusals;

use crate::support::Stack;

async fn refusals_stored(stack: &Stack) -> i64 {
    stack
        .db
        .run(|conn| refusals::since(conn, 0))
        .await
        .expect("query")
}

#[tokio::test]
async fn forged_pushes_raise_the_stored_refusal_count_and_valid_ones_do_not() {
    let stack = Stack::start().await;
    let plaintext = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>77</MsgId></xml>";
    let (query, body) = stack.seal_push(plaintext, "gh_1");
    let forged = query.replace("msg_signature=", "msg_signature=0");
    for _ in 0..3 {
        let (status, _) = stack
            .post(&format!("/wxcallback/component{forged}"), body.clone())
            .await;
        assert_eq!(status, 401);
    }
    let (status, _) = stack
        .post(
            &format!("/wxcallback/biz/wxrefusaltest0001{forged}"),
            body.clone(),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = stack
        .post(&format!("/wxcallback/biz/wxrefusaltest0001{query}"), body)
        .await;
    assert_eq!(status, 200, "the genuine push is accepted");
    stack
        .eventually("four refusals stored", || async {
            refusals_stored(&stack).await == 4
        })
        .await;
    tokio::time::sleep(callback::refusals::FLUSH_EVERY * 2).await;
    assert_eq!(
        refusals_stored(&stack).await,
        4,
        "the genuine push is not counted and nothing is counted twice"
    );
}

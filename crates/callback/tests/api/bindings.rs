//! A business id's binding follows the account's authorization: the
//! `unauthorized` push marks it `unauthorized`, a later authorization marks
//! it `bound` again.

use crate::support::Stack;
use common::db::{authorizers, bindings};
use serde_json::json;

async fn state_of(stack: &Stack, biz_id: &'static str) -> String {
    stack
        .db
        .run(move |conn| bindings::find(conn, biz_id))
        .await
        .expect("binding read")
        .map(|b| b.state)
        .unwrap_or_default()
}

#[tokio::test]
async fn revoking_and_authorizing_again_moves_the_binding_state() {
    let stack = Stack::start().await;
    stack.push_ticket().await;
    let appid = "wxboundbycallback1";
    stack.authorize(appid).await;
    stack
        .eventually("the authorizer is stored", || async {
            stack
                .db
                .run(move |conn| authorizers::exists(conn, appid))
                .await
                .expect("authorizer read")
        })
        .await;
    // The operator's page bound the account to its business id.
    stack
        .db
        .run(move |conn| bindings::bind(conn, "shop-9", appid, "queryauthcode@@@page"))
        .await
        .expect("binding stored");
    stack
        .db
        .run(move |conn| {
            bindings::bind(
                conn,
                "shop-other",
                "wxsomeoneelse00001",
                "queryauthcode@@@other",
            )
        })
        .await
        .expect("binding stored");

    let revoked = stack
        .sim_post("/__sim/unauthorize", json!({"authorizer_appid": appid}))
        .await;
    assert_eq!(revoked["push"]["delivered"], true, "{revoked}");
    assert_eq!(state_of(&stack, "shop-9").await, "unauthorized");
    assert_eq!(
        state_of(&stack, "shop-other").await,
        "bound",
        "other accounts untouched"
    );

    // Authorized again: bound once the new code is exchanged.
    stack.authorize(appid).await;
    stack
        .eventually("the binding is bound again", || async {
            state_of(&stack, "shop-9").await == "bound"
        })
        .await;
    let binding = stack
        .db
        .run(|conn| bindings::find(conn, "shop-9"))
        .await
        .expect("binding read")
        .expect("binding kept");
    assert_eq!(binding.appid, appid);
    assert_eq!(
        stack.sim.calls.count("/cgi-bin/component/api_query_auth"),
        2
    );
}

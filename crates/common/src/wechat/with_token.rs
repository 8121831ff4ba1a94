//! Calling WeChat with an access token, the one way every service does it:
//! take a token from a [`TokenSource`], call, and when WeChat says the token
//! is invalid or expired ([`TOKEN_REJECTED`]), report it to the source (which
//! invalidates it only if it is still the current one) and call once more
//! with the fresh one. The second answer is the caller's, whatever it says.
//!
//! Sources: the token core itself (`tokens::TokenManager::source`, in the
//! admin and the callback receiver) and the business service's client of
//! the admin's inner API.

use std::future::Future;

use serde_json::Value;

use super::WechatError;

/// WeChat's codes for "this access token is invalid or expired": 40001
/// (invalid credential, also a token replaced elsewhere), 40014 (invalid
/// access token), 42001 (expired).
pub const TOKEN_REJECTED: [i64; 3] = [40001, 40014, 42001];

/// Whether `errcode` says the access token was rejected.
pub fn rejects_token(errcode: i64) -> bool {
    TOKEN_REJECTED.contains(&errcode)
}

/// Whether a JSON answer passed through as it is carries a rejected-token
/// `errcode`.
pub fn answer_rejects_token(answer: &Value) -> bool {
    answer
        .get("errcode")
        .and_then(Value::as_i64)
        .is_some_and(rejects_token)
}

/// Whether a call that passes WeChat's JSON through as it is (`errcode`
/// included, e.g. [`super::WechatClient::request_raw`]) had its token
/// rejected: the predicate [`with_token_checked`] takes for such calls.
pub fn raw_rejects_token(answer: &Result<Value, WechatError>) -> bool {
    match answer {
        Ok(value) => answer_rejects_token(value),
        Err(e) => e.is_token_rejected(),
    }
}

/// HTTP method of a WeChat call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET with query parameters only.
    Get,
    /// POST with a JSON body.
    Post,
}

/// Where one access token comes from and where it is reported when WeChat
/// rejects it.
pub trait TokenSource {
    /// Why no token could be had or the report not made.
    type Error;

    /// The current token.
    fn token(&self) -> impl Future<Output = Result<String, Self::Error>> + Send;

    /// WeChat rejected `token`: replace it, unless it was replaced already.
    fn report_rejected(&self, token: &str) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Calls `call` with a token from `source`; when `rejected` says the answer
/// refused the token, reports it and calls once more with a fresh one.
/// Answers the last answer as it is; fails only when no token could be had
/// or the report failed.
pub async fn with_token_checked<S, O, F, Fut>(
    source: &S,
    rejected: impl Fn(&O) -> bool,
    mut call: F,
) -> Result<O, S::Error>
where
    S: TokenSource,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = O>,
{
    let token = source.token().await?;
    let answer = call(token.clone()).await;
    if !rejected(&answer) {
        return Ok(answer);
    }
    tracing::warn!("WeChat rejected the access token; reporting it and calling once more");
    source.report_rejected(&token).await?;
    let token = source.token().await?;
    Ok(call(token).await)
}

/// [`with_token_checked`] for the client's typed calls, whose refusals are
/// [`WechatError::Api`].
pub async fn with_token<S, T, F, Fut>(
    source: &S,
    call: F,
) -> Result<Result<T, WechatError>, S::Error>
where
    S: TokenSource,
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, WechatError>>,
{
    with_token_checked(
        source,
        |answer: &Result<T, WechatError>| matches!(answer, Err(e) if e.is_token_rejected()),
        call,
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Hands out `token-1`, `token-2`, ... and records reports.
    #[derive(Default)]
    struct Counting {
        issued: Mutex<u32>,
        reported: Mutex<Vec<String>>,
    }

    impl TokenSource for Counting {
        type Error = std::convert::Infallible;

        async fn token(&self) -> Result<String, Self::Error> {
            let issued = self.issued.lock().map(|n| *n).unwrap_or_default();
            Ok(format!("token-{}", issued.max(1)))
        }

        async fn report_rejected(&self, token: &str) -> Result<(), Self::Error> {
            if let Ok(mut reported) = self.reported.lock() {
                reported.push(token.to_string());
            }
            if let Ok(mut issued) = self.issued.lock() {
                *issued = issued.max(1) + 1;
            }
            Ok(())
        }
    }

    fn refusal(errcode: i64) -> WechatError {
        WechatError::Api {
            path: "/cgi-bin/test".into(),
            errcode,
            errmsg: "refused".into(),
        }
    }

    #[tokio::test]
    async fn a_rejected_token_is_reported_and_the_call_made_once_more() {
        let source = Counting::default();
        let calls = Mutex::new(Vec::new());
        let answer = with_token(&source, |token| {
            let first = calls.lock().map(|mut c| {
                c.push(token.clone());
                c.len() == 1
            });
            async move {
                if first.unwrap_or(false) {
                    Err(refusal(40001))
                } else {
                    Ok(token)
                }
            }
        })
        .await
        .expect("a token");
        assert_eq!(answer.expect("second answer"), "token-2");
        assert_eq!(*source.reported.lock().expect("reports"), ["token-1"]);
    }

    #[tokio::test]
    async fn a_second_rejection_and_any_other_refusal_are_the_answer() {
        // (errcode, tokens reported): a rejection is reported once, then
        // its second answer stands; other refusals are answered at once.
        for (errcode, reported) in [(42001, 1), (45009, 0)] {
            let source = Counting::default();
            let answer = with_token(&source, |_| async move { Err::<(), _>(refusal(errcode)) })
                .await
                .expect("a token");
            assert_eq!(answer.expect_err("refused").errcode(), Some(errcode));
            let reports = source.reported.lock().expect("reports").len();
            assert_eq!(reports, reported, "errcode {errcode}");
        }
    }

    #[tokio::test]
    async fn a_passed_through_answer_with_a_rejected_code_is_retried() {
        let source = Counting::default();
        let answer = with_token_checked(&source, raw_rejects_token, |token| async move {
            Ok(if token == "token-1" {
                serde_json::json!({"errcode": 40014, "errmsg": "invalid access_token"})
            } else {
                serde_json::json!({"errcode": 0, "token": token})
            })
        })
        .await
        .expect("a token")
        .expect("an answer");
        assert_eq!(answer["token"], "token-2");
    }

    #[test]
    fn the_rejected_codes_are_the_token_ones() {
        for code in TOKEN_REJECTED {
            assert!(rejects_token(code));
            assert!(refusal(code).is_token_rejected());
        }
        assert!(!rejects_token(0));
        assert!(
            !rejects_token(61023),
            "a refresh token refused is not an access token"
        );
    }
}

//! WeChat's side of the pushes, one job per module:
//! - `fields`: a push's fields and their XML or JSON body;
//! - `deliver`: encrypting and signing with the platform's token, key and
//!   component appid, POSTing to the platform's callback URLs and retrying
//!   like WeChat does;
//! - `reply`: reading a biz push's passive reply back (decrypted and
//!   signature-checked when encrypted);
//! - `ticket`: the background `component_verify_ticket` pusher.
//!
//! Wire shapes:
//! - component URL: `POST {callback_url}/wxcallback/component?timestamp=&nonce=&encrypt_type=aes&msg_signature=&signature=`
//!   with `<xml><AppId/><Encrypt/></xml>` (or `{"AppId","Encrypt"}`);
//! - biz URL: `POST {callback_url}/wxcallback/biz/{appid}?...&openid=` with
//!   `<xml><ToUserName/><Encrypt/></xml>` (or JSON);
//! - Cloud Run style: the plaintext JSON itself, no query, header `x-wx-source`.
//!
//! The `timestamp` query parameter is real Unix time (it is a transport value
//! receivers may check for freshness); `CreateTime` inside a push is the
//! simulated time, consistent with code expiry times.

mod deliver;
mod fields;
mod reply;
mod ticket;

pub use deliver::{push, PushAttempt, PushMode, PushOutcome, PushTarget, CLOUDRUN_SOURCE_HEADER};
pub use fields::{PushFields, PushFormat, PushValue};
pub use reply::{decode_reply, BizReply, ReplyKind};
pub use ticket::{spawn_ticket_pusher, TicketPusher};

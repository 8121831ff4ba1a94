//! User tags of an official account: create, list, rename, delete, tag and
//! untag users, list a tag's users and a user's tags, with WeChat's limits
//! (100 tags, 30-byte names, 50 openids per batch, 20 tags per user).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::access::{check_openid, json_body, lenient_i64, official_account};
use crate::account_state::{AccountData, Tag, FIRST_TAG_ID, STAR_TAG_ID};
use crate::calls::lock;
use crate::errors::{ok, WxError, WxResult};
use crate::state::SimState;

/// At most this many tags an account creates.
pub const MAX_TAGS: usize = 100;
/// Most bytes of a tag name.
pub const MAX_TAG_NAME_BYTES: usize = 30;
/// At most this many openids per batch (un)tagging.
pub const MAX_BATCH: usize = 50;
/// At most this many tags on one user.
pub const MAX_TAGS_PER_USER: usize = 20;
/// Openids per page of `/cgi-bin/user/tag/get`.
pub const PAGE_SIZE: usize = 10_000;
/// A tag with more users than this cannot be deleted directly.
pub const MAX_DELETABLE_FANS: usize = 100_000;

/// Registers the tag routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/cgi-bin/tags/create", web::post().to(create))
        .route("/cgi-bin/tags/get", web::get().to(list))
        .route("/cgi-bin/tags/update", web::post().to(update))
        .route("/cgi-bin/tags/delete", web::post().to(delete))
        .route(
            "/cgi-bin/tags/members/batchtagging",
            web::post().to(batch_tagging),
        )
        .route(
            "/cgi-bin/tags/members/batchuntagging",
            web::post().to(batch_untagging),
        )
        .route("/cgi-bin/user/tag/get", web::post().to(tag_users))
        .route("/cgi-bin/tags/getidlist", web::post().to(user_tags));
}

#[derive(Deserialize)]
struct TagBody {
    tag: TagIn,
}

#[derive(Deserialize)]
struct TagIn {
    #[serde(default, deserialize_with = "lenient_i64")]
    id: Option<i64>,
    name: Option<String>,
}

async fn create(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let TagBody { tag } = json_body(&body)?;
    let name = tag.name.unwrap_or_default();
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    check_name(account, &name, None)?;
    let created = account
        .tags
        .keys()
        .filter(|id| **id >= FIRST_TAG_ID)
        .count();
    if created >= MAX_TAGS {
        return Err(WxError::new(
            45056,
            format!("too many tag now, no need to add new: at most {MAX_TAGS}"),
        ));
    }
    let id = account.next_tag_id;
    account.next_tag_id = id.saturating_add(1);
    account.tags.insert(
        id,
        Tag {
            id,
            name: name.clone(),
        },
    );
    Ok(HttpResponse::Ok().json(json!({"tag": {"id": id, "name": name}})))
}

async fn list(state: web::Data<SimState>, req: HttpRequest) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    let tags: Vec<_> = account
        .tags
        .values()
        .map(|t| json!({"id": t.id, "name": t.name, "count": account.tag_count(t.id)}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"tags": tags})))
}

async fn update(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let TagBody { tag } = json_body(&body)?;
    let id = modifiable_id(tag.id)?;
    let name = tag.name.unwrap_or_default();
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    if !account.tags.contains_key(&id) {
        return Err(invalid_tag(id));
    }
    check_name(account, &name, Some(id))?;
    if let Some(existing) = account.tags.get_mut(&id) {
        existing.name = name;
    }
    Ok(ok())
}

async fn delete(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let TagBody { tag } = json_body(&body)?;
    let id = modifiable_id(tag.id)?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    if !account.tags.contains_key(&id) {
        return Err(invalid_tag(id));
    }
    if account.tag_count(id) > MAX_DELETABLE_FANS {
        return Err(WxError::new(
            45057,
            "can't delete the tag that has too many fans",
        ));
    }
    account.tags.remove(&id);
    for user in account.users.values_mut() {
        user.tags.remove(&id);
    }
    Ok(ok())
}

#[derive(Deserialize)]
struct BatchBody {
    #[serde(default)]
    openid_list: Vec<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    tagid: Option<i64>,
}

async fn batch_tagging(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let batch: BatchBody = json_body(&body)?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    let tagid = check_batch(account, &batch)?;
    // All or nothing: refuse the whole batch if one user would pass the limit.
    for openid in &batch.openid_list {
        if let Some(user) = account.users.get(openid) {
            if !user.tags.contains(&tagid) && user.tags.len() >= MAX_TAGS_PER_USER {
                return Err(WxError::new(
                    45059,
                    format!(
                        "can not tagging one user too much: {openid} has {MAX_TAGS_PER_USER} tags"
                    ),
                ));
            }
        }
    }
    for openid in batch.openid_list {
        account.users.entry(openid).or_default().tags.insert(tagid);
    }
    Ok(ok())
}

async fn batch_untagging(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let batch: BatchBody = json_body(&body)?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    let tagid = check_batch(account, &batch)?;
    for openid in batch.openid_list {
        account.users.entry(openid).or_default().tags.remove(&tagid);
    }
    Ok(ok())
}

#[derive(Deserialize)]
struct TagUsersBody {
    #[serde(default, deserialize_with = "lenient_i64")]
    tagid: Option<i64>,
    #[serde(default)]
    next_openid: Option<String>,
}

async fn tag_users(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let query: TagUsersBody = json_body(&body)?;
    let mut accounts = lock(&state.accounts);
    let account = accounts.account(&appid);
    let tagid = query
        .tagid
        .filter(|id| account.tags.contains_key(id))
        .ok_or_else(|| invalid_tag(query.tagid.unwrap_or_default()))?;
    let after = query.next_openid.unwrap_or_default();
    // Users are kept sorted by openid, so a page starts right after `next_openid`.
    let page: Vec<&String> = account
        .users
        .iter()
        .filter(|(openid, user)| {
            user.tags.contains(&tagid) && (after.is_empty() || **openid > after)
        })
        .map(|(openid, _)| openid)
        .take(PAGE_SIZE)
        .collect();
    let next = page.last().map(|s| s.as_str()).unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({
        "count": page.len(),
        "data": {"openid": page},
        "next_openid": next,
    })))
}

#[derive(Deserialize)]
struct OpenidBody {
    #[serde(default)]
    openid: String,
}

async fn user_tags(
    state: web::Data<SimState>,
    req: HttpRequest,
    body: web::Bytes,
) -> WxResult<HttpResponse> {
    let appid = official_account(&state, &req)?;
    let OpenidBody { openid } = json_body(&body)?;
    check_openid(&openid)?;
    let mut accounts = lock(&state.accounts);
    let user = accounts.account(&appid).users.entry(openid).or_default();
    let ids: Vec<i64> = user.tags.iter().copied().collect();
    Ok(HttpResponse::Ok().json(json!({"tagid_list": ids})))
}

/// 45157 for an empty or duplicate name, 45158 for a name over 30 bytes.
fn check_name(account: &AccountData, name: &str, except: Option<i64>) -> WxResult<()> {
    if name.is_empty() {
        return Err(WxError::new(45157, "invalid tag name: the name is empty"));
    }
    if name.len() > MAX_TAG_NAME_BYTES {
        return Err(WxError::new(
            45158,
            format!(
                "tag name too long: {} bytes, at most {MAX_TAG_NAME_BYTES}",
                name.len()
            ),
        ));
    }
    if account
        .tags
        .values()
        .any(|t| t.name == name && Some(t.id) != except)
    {
        return Err(WxError::new(
            45157,
            format!("invalid tag name: {name:?} already exists"),
        ));
    }
    Ok(())
}

/// The id of a tag the account may rename or delete: 45058 for the built-in
/// 0, 1 and 2; 45159 when missing.
fn modifiable_id(id: Option<i64>) -> WxResult<i64> {
    let id = id.ok_or_else(|| invalid_tag(0))?;
    if (0..=STAR_TAG_ID).contains(&id) {
        return Err(WxError::new(45058, "can't modify sys tag"));
    }
    Ok(id)
}

fn invalid_tag(id: i64) -> WxError {
    WxError::new(45159, format!("invalid tag id {id}"))
}

/// Checks a batch: 40032 for 0 or more than 50 openids, 45159 for an unknown
/// tag, 40003 for a malformed openid. Answers the tag id.
fn check_batch(account: &AccountData, batch: &BatchBody) -> WxResult<i64> {
    if batch.openid_list.is_empty() || batch.openid_list.len() > MAX_BATCH {
        return Err(WxError::new(
            40032,
            format!(
                "invalid openid list size: {} openids, 1 to {MAX_BATCH} allowed",
                batch.openid_list.len()
            ),
        ));
    }
    let tagid = batch
        .tagid
        .filter(|id| account.tags.contains_key(id))
        .ok_or_else(|| invalid_tag(batch.tagid.unwrap_or_default()))?;
    for openid in &batch.openid_list {
        check_openid(openid)?;
    }
    Ok(tagid)
}

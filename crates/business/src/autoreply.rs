//! Keyword auto-reply for forwarded messages: rules per account (or for
//! every account, appid empty), matched exactly first and then by "contains"
//! (longest keyword first); text or news replies; a welcome text on follow.

use common::db::schema::wxc_autoreply_rules as rules;
use common::db::{Db, DbConnection, DbError};
use common::message::{Article, Message, MessageKind, Reply};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::BusinessError;

/// How a keyword matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchType {
    /// The whole message equals the keyword.
    Exact,
    /// The message contains the keyword.
    Contains,
}

impl MatchType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Contains => "contains",
        }
    }
}

/// A reply as operators write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum RuleReply {
    /// A text reply.
    Text {
        /// The text.
        content: String,
    },
    /// A news (article) reply.
    News {
        /// 1-8 articles.
        articles: Vec<NewsArticle>,
    },
}

/// One article of a news reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewsArticle {
    /// Title.
    pub title: String,
    /// Summary.
    #[serde(default)]
    pub description: String,
    /// Cover image URL.
    #[serde(default)]
    pub pic_url: String,
    /// Link.
    #[serde(default)]
    pub url: String,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// Row id.
    pub id: i32,
    /// The account, empty for every account.
    pub appid: String,
    /// The keyword.
    pub keyword: String,
    /// How it matches.
    #[serde(rename = "match")]
    pub match_type: MatchType,
    /// What is answered.
    pub reply: RuleReply,
}

/// A rule to create.
#[derive(Debug, Deserialize)]
pub struct NewRule {
    /// The account, absent/empty for every account.
    #[serde(default)]
    pub appid: String,
    /// The keyword.
    pub keyword: String,
    /// How it matches.
    #[serde(rename = "match")]
    pub match_type: MatchType,
    /// What is answered.
    pub reply: RuleReply,
}

impl RuleReply {
    fn to_reply(&self) -> Result<Reply, BusinessError> {
        match self {
            Self::Text { content } => Ok(Reply::Text {
                content: content.clone(),
            }),
            Self::News { articles } => Reply::news(
                articles
                    .iter()
                    .map(|a| Article {
                        title: a.title.clone(),
                        description: a.description.clone(),
                        pic_url: a.pic_url.clone(),
                        url: a.url.clone(),
                    })
                    .collect(),
            )
            .map_err(|e| BusinessError::BadRequest(format!("reply参数错误: {e}"))),
        }
    }
}

impl NewRule {
    /// Checks the rule before it is stored.
    pub fn validate(&self) -> Result<(), BusinessError> {
        let bad = |m: &str| Err(BusinessError::BadRequest(m.to_string()));
        let keyword = self.keyword.trim();
        if keyword.is_empty() || keyword.len() > 191 {
            return bad("keyword参数错误: keyword must be 1-191 bytes");
        }
        if self.appid.len() > 64 {
            return bad("appid参数错误: appid too long");
        }
        if let RuleReply::Text { content } = &self.reply {
            if content.trim().is_empty() || content.len() > 2048 {
                return bad("reply参数错误: text content must be 1-2048 bytes");
            }
        }
        self.reply.to_reply().map(drop)
    }
}

/// Every rule of `appid` (and the global ones).
pub async fn list(db: &Db, appid: Option<String>) -> Result<Vec<Rule>, BusinessError> {
    Ok(db.run(move |conn| load(conn, appid.as_deref())).await?)
}

fn load(conn: &mut DbConnection, appid: Option<&str>) -> Result<Vec<Rule>, DbError> {
    let mut query = rules::table
        .select((
            rules::id,
            rules::appid,
            rules::keyword,
            rules::matchtype,
            rules::reply,
        ))
        .order(rules::id.asc())
        .into_boxed();
    if let Some(appid) = appid {
        query = query.filter(rules::appid.eq(appid).or(rules::appid.eq("")));
    }
    let rows: Vec<(i32, String, String, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, appid, keyword, match_type, reply)| {
            let match_type = match match_type.as_str() {
                "exact" => MatchType::Exact,
                "contains" => MatchType::Contains,
                _ => return None,
            };
            let reply = serde_json::from_str(&reply).ok()?;
            Some(Rule {
                id,
                appid,
                keyword,
                match_type,
                reply,
            })
        })
        .collect())
}

/// Stores a validated rule; a duplicate (same account, keyword and match) is refused.
pub async fn create(db: &Db, rule: NewRule) -> Result<Rule, BusinessError> {
    rule.validate()?;
    let reply =
        serde_json::to_string(&rule.reply).map_err(|e| BusinessError::Internal(e.to_string()))?;
    let (appid, keyword, match_type) = (
        rule.appid.clone(),
        rule.keyword.trim().to_string(),
        rule.match_type,
    );
    let inserted = db
        .run(move |conn| {
            let result = diesel::insert_into(rules::table)
                .values((
                    rules::appid.eq(&appid),
                    rules::keyword.eq(&keyword),
                    rules::matchtype.eq(match_type.as_str()),
                    rules::replytype.eq(match rule.reply {
                        RuleReply::Text { .. } => "text",
                        RuleReply::News { .. } => "news",
                    }),
                    rules::reply.eq(&reply),
                ))
                .execute(conn);
            match result {
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
                Err(e) => Err(e.into()),
                Ok(_) => {
                    let id: i32 = rules::table
                        .filter(rules::appid.eq(&appid))
                        .filter(rules::keyword.eq(&keyword))
                        .filter(rules::matchtype.eq(match_type.as_str()))
                        .select(rules::id)
                        .first(conn)?;
                    Ok(Some(Rule {
                        id,
                        appid,
                        keyword,
                        match_type,
                        reply: rule.reply,
                    }))
                }
            }
        })
        .await?;
    inserted.ok_or_else(|| {
        BusinessError::BadRequest("keyword参数错误: the same rule already exists".into())
    })
}

/// Deletes a rule; answers whether it existed.
pub async fn delete(db: &Db, id: i32) -> Result<bool, BusinessError> {
    Ok(db
        .run(move |conn| Ok(diesel::delete(rules::table.find(id)).execute(conn)? > 0))
        .await?)
}

/// The reply to a forwarded message, if any.
pub async fn reply_for(
    db: &Db,
    appid: &str,
    msg: &Message,
    welcome: &str,
) -> Result<Option<Reply>, BusinessError> {
    match &msg.kind {
        MessageKind::Event { event, .. } if event == "subscribe" && !welcome.is_empty() => {
            Ok(Some(Reply::Text {
                content: welcome.to_string(),
            }))
        }
        MessageKind::Text { content } => {
            let rules = list(db, Some(appid.to_string())).await?;
            match best_match(&rules, appid, content) {
                Some(rule) => Ok(Some(rule.reply.to_reply()?)),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// Exact before contains; the account's own rules before global ones; the
/// longest contained keyword wins.
fn best_match<'a>(rules: &'a [Rule], appid: &str, content: &str) -> Option<&'a Rule> {
    let content = content.trim();
    let own_first = |r: &&Rule| u8::from(r.appid != appid);
    let exact = rules
        .iter()
        .filter(|r| r.match_type == MatchType::Exact && r.keyword == content)
        .min_by_key(own_first);
    exact.or_else(|| {
        rules
            .iter()
            .filter(|r| r.match_type == MatchType::Contains && content.contains(r.keyword.as_str()))
            .max_by_key(|r| (u8::from(r.appid == appid), r.keyword.len()))
    })
}

/// Parses an operator's JSON body into a rule.
pub fn parse_new_rule(body: &[u8]) -> Result<NewRule, BusinessError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| BusinessError::BadRequest(format!("请求体不是合法的JSON: {e}")))?;
    serde_json::from_value(value).map_err(|e| {
        BusinessError::BadRequest(format!(
            "规则参数错误: {e}; expected {{\"keyword\":..,\"match\":\"exact\"|\"contains\",\"reply\":{{\"type\":\"text\",\"content\":..}}}}"
        ))
    })
}

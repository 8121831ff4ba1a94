//! Passive replies (被动回复): what the biz URL may answer a user message with.

use super::{Format, Message, MessageError};

/// The most articles a passive news reply may carry (WeChat's historic limit; today it
/// shows only one, so 1 is the safe choice).
pub const MAX_NEWS_ARTICLES: usize = 8;

/// The body of a passive reply, by `MsgType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`: `<Image><MediaId/></Image>`.
    Image {
        /// `MediaId` of uploaded media.
        media_id: String,
    },
    /// `voice`: `<Voice><MediaId/></Voice>`.
    Voice {
        /// `MediaId` of uploaded media.
        media_id: String,
    },
    /// `video`: `<Video><MediaId/><Title/><Description/></Video>`.
    Video {
        /// `MediaId` of uploaded media.
        media_id: String,
        /// `Title`, omitted when `None`.
        title: Option<String>,
        /// `Description`, omitted when `None`.
        description: Option<String>,
    },
    /// `music`: `<Music>...</Music>`.
    Music {
        /// `Title`.
        title: String,
        /// `Description`.
        description: String,
        /// `MusicUrl`.
        music_url: String,
        /// `HQMusicUrl`: high-quality link, preferred on Wi-Fi.
        hq_music_url: String,
        /// `ThumbMediaId`: cover image media id (the one field WeChat requires).
        thumb_media_id: String,
    },
    /// `news`: `<ArticleCount/><Articles><item/>...</Articles>`. Build it with
    /// [`Reply::news`] so the article count is checked.
    News {
        /// The articles, 1..=[`MAX_NEWS_ARTICLES`].
        articles: Vec<Article>,
    },
}

/// One item of a news reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Article {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: String,
    /// `PicUrl`: cover image link.
    pub pic_url: String,
    /// `Url`: where a tap leads.
    pub url: String,
}

impl Reply {
    /// A news reply, refusing an empty list or more than [`MAX_NEWS_ARTICLES`] articles.
    pub fn news(articles: Vec<Article>) -> Result<Reply, MessageError> {
        let reply = Reply::News { articles };
        reply.validate()?;
        Ok(reply)
    }

    /// Checks the limits WeChat enforces (today: the news article count).
    pub fn validate(&self) -> Result<(), MessageError> {
        match self {
            Reply::News { articles } if !(1..=MAX_NEWS_ARTICLES).contains(&articles.len()) => {
                Err(MessageError::ArticleCount(articles.len()))
            }
            _ => Ok(()),
        }
    }

    /// The `MsgType` this body is sent with.
    pub fn msg_type(&self) -> &'static str {
        match self {
            Reply::Text { .. } => "text",
            Reply::Image { .. } => "image",
            Reply::Voice { .. } => "voice",
            Reply::Video { .. } => "video",
            Reply::Music { .. } => "music",
            Reply::News { .. } => "news",
        }
    }
}

/// A complete passive reply, ready to be serialized (and then encrypted in safe mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassiveReply {
    /// `ToUserName`: the user's openid (the incoming message's `FromUserName`).
    pub to_user_name: String,
    /// `FromUserName`: the account's original id (the incoming `ToUserName`).
    pub from_user_name: String,
    /// `CreateTime`: unix seconds.
    pub create_time: i64,
    /// What to send.
    pub reply: Reply,
}

impl PassiveReply {
    /// A reply to `msg`, with sender and recipient swapped, stamped `now` (unix seconds).
    pub fn answering(msg: &Message, reply: Reply, now: i64) -> Self {
        PassiveReply {
            to_user_name: msg.from_user_name.clone(),
            from_user_name: msg.to_user_name.clone(),
            create_time: now,
            reply,
        }
    }

    /// Serializes in the given encoding (typically the one the push arrived in).
    pub fn to(&self, format: Format) -> String {
        match format {
            Format::Xml => self.to_xml(),
            Format::Json => self.to_json(),
        }
    }
}

//! Passive replies to and from XML / JSON.

use serde_json::Value;

use super::fields::Fields;
use super::writer::{json_array, JsonOut, XmlOut};
use super::{Article, MessageError, PassiveReply, RawFields, Reply};

impl PassiveReply {
    /// WeChat's XML form: text in CDATA, `CreateTime` and `ArticleCount` as plain numbers.
    /// Text is written as given, except characters XML cannot carry (C0 controls other than
    /// tab / newline / carriage return, U+FFFE, U+FFFF), which are dropped.
    pub fn to_xml(&self) -> String {
        let mut x = XmlOut::new();
        x.text("ToUserName", &self.to_user_name);
        x.text("FromUserName", &self.from_user_name);
        x.number("CreateTime", self.create_time);
        x.text("MsgType", self.reply.msg_type());
        match &self.reply {
            Reply::Text { content } => x.text("Content", content),
            Reply::Image { media_id } => media_xml(&mut x, "Image", media_id),
            Reply::Voice { media_id } => media_xml(&mut x, "Voice", media_id),
            Reply::Video {
                media_id,
                title,
                description,
            } => {
                x.open("Video");
                x.text("MediaId", media_id);
                if let Some(title) = title {
                    x.text("Title", title);
                }
                if let Some(description) = description {
                    x.text("Description", description);
                }
                x.close("Video");
            }
            Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => {
                x.open("Music");
                x.text("Title", title);
                x.text("Description", description);
                x.text("MusicUrl", music_url);
                x.text("HQMusicUrl", hq_music_url);
                x.text("ThumbMediaId", thumb_media_id);
                x.close("Music");
            }
            Reply::News { articles } => {
                x.number("ArticleCount", count(articles));
                x.open("Articles");
                for a in articles {
                    x.open("item");
                    x.text("Title", &a.title);
                    x.text("Description", &a.description);
                    x.text("PicUrl", &a.pic_url);
                    x.text("Url", &a.url);
                    x.close("item");
                }
                x.close("Articles");
            }
        }
        x.finish()
    }

    /// The JSON form: the same PascalCase keys, nested objects for media
    /// (`"Image":{"MediaId":..}`) and an array for `Articles`.
    pub fn to_json(&self) -> String {
        let mut j = JsonOut::new();
        j.text("ToUserName", &self.to_user_name);
        j.text("FromUserName", &self.from_user_name);
        j.number("CreateTime", self.create_time);
        j.text("MsgType", self.reply.msg_type());
        match &self.reply {
            Reply::Text { content } => j.text("Content", content),
            Reply::Image { media_id } => j.json("Image", &media_json(media_id)),
            Reply::Voice { media_id } => j.json("Voice", &media_json(media_id)),
            Reply::Video {
                media_id,
                title,
                description,
            } => {
                let mut v = JsonOut::new();
                v.text("MediaId", media_id);
                if let Some(title) = title {
                    v.text("Title", title);
                }
                if let Some(description) = description {
                    v.text("Description", description);
                }
                j.json("Video", &v.finish());
            }
            Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => {
                let mut m = JsonOut::new();
                m.text("Title", title);
                m.text("Description", description);
                m.text("MusicUrl", music_url);
                m.text("HQMusicUrl", hq_music_url);
                m.text("ThumbMediaId", thumb_media_id);
                j.json("Music", &m.finish());
            }
            Reply::News { articles } => {
                j.number("ArticleCount", count(articles));
                j.json("Articles", &json_array(articles.iter().map(article_json)));
            }
        }
        j.finish()
    }

    /// Parses a passive reply from XML or JSON, e.g. a business service's answer to a
    /// forwarded message. `MsgType` is matched case-insensitively (some SDKs send `Video`);
    /// `ArticleCount` is ignored in favour of the articles actually present, whose number
    /// must be 1..=8. A bare `success` or empty body is an error here: callers that accept
    /// "no reply" should check for it first.
    pub fn parse(body: &str) -> Result<Self, MessageError> {
        Self::from_raw(&RawFields::parse(body)?)
    }

    /// Types already-decoded raw fields as a passive reply.
    pub fn from_raw(raw: &RawFields) -> Result<Self, MessageError> {
        let f = raw.fields();
        let msg_type = f.str("MsgType")?;
        let to_user_name = f.str("ToUserName")?;
        let from_user_name = f.str("FromUserName")?;
        let create_time = f.i64("CreateTime")?;
        let reply = match msg_type.to_ascii_lowercase().as_str() {
            "text" => Reply::Text {
                content: f.str("Content")?,
            },
            "image" => Reply::Image {
                media_id: f.object("Image")?.str("MediaId")?,
            },
            "voice" => Reply::Voice {
                media_id: f.object("Voice")?.str("MediaId")?,
            },
            "video" => {
                let v = f.object("Video")?;
                Reply::Video {
                    media_id: v.str("MediaId")?,
                    title: v.opt_str("Title")?,
                    description: v.opt_str("Description")?,
                }
            }
            "music" => {
                let m = f.object("Music")?;
                Reply::Music {
                    title: m.opt_str("Title")?.unwrap_or_default(),
                    description: m.opt_str("Description")?.unwrap_or_default(),
                    music_url: m.opt_str("MusicUrl")?.unwrap_or_default(),
                    hq_music_url: m.opt_str("HQMusicUrl")?.unwrap_or_default(),
                    thumb_media_id: m.str("ThumbMediaId")?,
                }
            }
            "news" => Reply::news(articles(&f)?)?,
            _ => {
                return Err(MessageError::BadField(
                    "MsgType".to_owned(),
                    format!("{msg_type:?} is not a passive reply type"),
                ))
            }
        };
        Ok(PassiveReply {
            to_user_name,
            from_user_name,
            create_time,
            reply,
        })
    }
}

fn count(articles: &[Article]) -> i64 {
    i64::try_from(articles.len()).unwrap_or(i64::MAX)
}

fn media_xml(x: &mut XmlOut, name: &str, media_id: &str) {
    x.open(name);
    x.text("MediaId", media_id);
    x.close(name);
}

fn media_json(media_id: &str) -> String {
    let mut m = JsonOut::new();
    m.text("MediaId", media_id);
    m.finish()
}

fn article_json(a: &Article) -> String {
    let mut j = JsonOut::new();
    j.text("Title", &a.title);
    j.text("Description", &a.description);
    j.text("PicUrl", &a.pic_url);
    j.text("Url", &a.url);
    j.finish()
}

/// `Articles` as JSON writes it (an array of objects) or as XML decodes (an object whose
/// `item` is one object or an array of them). An empty `<Articles/>` means no articles.
fn articles(f: &Fields<'_>) -> Result<Vec<Article>, MessageError> {
    let items: Vec<&Value> = match f.value("Articles") {
        None => return Err(MessageError::MissingField(f.path_of("Articles"))),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => match map.get("item") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one) => vec![one],
        },
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(_) => {
            return Err(MessageError::BadField(
                f.path_of("Articles"),
                "expected a list of items".to_owned(),
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| article(f, i, item))
        .collect()
}

fn article(f: &Fields<'_>, index: usize, item: &Value) -> Result<Article, MessageError> {
    let segment = format!("Articles[{index}].");
    let Value::Object(map) = item else {
        return Err(MessageError::BadField(
            f.path_of(&format!("Articles[{index}]")),
            "expected an object".to_owned(),
        ));
    };
    let a = f.nested(map, segment);
    Ok(Article {
        title: a.str("Title")?,
        description: a.opt_str("Description")?.unwrap_or_default(),
        pic_url: a.opt_str("PicUrl")?.unwrap_or_default(),
        url: a.opt_str("Url")?.unwrap_or_default(),
    })
}

//! The chat webhook of a notification subscription, encoded as the service wants it.
//!
//! `UpdateNotificationSubscription` takes `webhook_config.url` and `webhook_config.mention_phone`
//! Base64-encoded, and `token` and `mention_users` plain. [`ChatWebhook`] takes all four plain,
//! checks the documented limits, and encodes.
//!
//! ```
//! use codearts_webhooks::notification::ChatWebhook;
//!
//! let config = ChatWebhook::new("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
//!     .token("s3cret")
//!     .mention_users(["1", "2"])
//!     .mention_phones(["17812341234"])
//!     .encode()?;
//! assert_eq!(config.mention_users.as_deref(), Some("1;2"));
//! assert_eq!(config.mention_phone.as_deref(), Some("MTc4MTIzNDEyMzQ="));
//! # Ok::<(), codearts_webhooks::Error>(())
//! ```

use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD};

use crate::{Error, Result, repo::types::UpdateRepoWebHookSubscriptionDto};

/// A chat (WeCom, Feishu, DingTalk) webhook for repository notifications, in plain values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChatWebhook {
    url: String,
    token: Option<String>,
    mention_users: Vec<String>,
    mention_phones: Vec<String>,
}

impl ChatWebhook {
    /// A chat webhook posting to `url` (plain; it is Base64-encoded on the wire).
    pub fn new(url: impl Into<String>) -> Self {
        ChatWebhook {
            url: url.into(),
            ..Self::default()
        }
    }

    /// The chat webhook's secret (sent as is; the service answers `has_token` instead of it).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// User ids to mention (each at most 100 characters, 1000 in all with separators).
    pub fn mention_users<I: IntoIterator<Item = S>, S: Into<String>>(mut self, users: I) -> Self {
        self.mention_users = users.into_iter().map(Into::into).collect();
        self
    }

    /// Phone numbers to mention (each at most 30 characters, 1000 in all with separators).
    pub fn mention_phones<I: IntoIterator<Item = S>, S: Into<String>>(mut self, phones: I) -> Self {
        self.mention_phones = phones.into_iter().map(Into::into).collect();
        self
    }

    /// Checks the documented limits and encodes the wire form.
    pub fn encode(&self) -> Result<UpdateRepoWebHookSubscriptionDto> {
        if self.url.is_empty() {
            return Err(Error::invalid("webhook_config.url", "must not be empty"));
        }
        let users = join("webhook_config.mention_users", &self.mention_users, 100)?;
        let phones = join("webhook_config.mention_phone", &self.mention_phones, 30)?;
        Ok(UpdateRepoWebHookSubscriptionDto {
            url: Some(STANDARD.encode(&self.url)),
            token: self.token.clone(),
            mention_users: users,
            mention_phone: phones.map(|p| STANDARD.encode(p)),
        })
    }
}

fn join(field: &str, entries: &[String], max_each: usize) -> Result<Option<String>> {
    for (i, e) in entries.iter().enumerate() {
        let len = e.chars().count();
        if len == 0 || len > max_each || e.contains(';') {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                format!("must be 1 to {max_each} characters without ';' (got {len} characters)"),
            ));
        }
    }
    if entries.is_empty() {
        return Ok(None);
    }
    let joined = entries.join(";");
    let len = joined.chars().count();
    if len > 1000 {
        return Err(Error::invalid(
            field,
            format!("must be at most 1000 characters long once joined with ';' (got {len})"),
        ));
    }
    Ok(Some(joined))
}

impl fmt::Debug for ChatWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatWebhook")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "** redacted **"))
            .field("mention_users", &self.mention_users)
            .field("mention_phones", &self.mention_phones)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_encodes_byte_for_byte() {
        let dto = ChatWebhook::new(
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=6012181a-e34f-4645-b561-57ab4b3cd566",
        )
        .token("YXNkZmFzZGYyQDEyMw==")
        .mention_users(["1", "2"])
        .mention_phones(["17812341234", "18512341234", "16712345678"])
        .encode()
        .unwrap();
        assert_eq!(
            dto.url.as_deref(),
            Some(
                "aHR0cHM6Ly9xeWFwaS53ZWl4aW4ucXEuY29tL2NnaS1iaW4vd2ViaG9vay9zZW5kP2tleT02MDEyMTgxYS1lMzRmLTQ2NDUtYjU2MS01N2FiNGIzY2Q1NjY="
            )
        );
        assert_eq!(
            dto.mention_phone.as_deref(),
            Some("MTc4MTIzNDEyMzQ7MTg1MTIzNDEyMzQ7MTY3MTIzNDU2Nzg=")
        );
        assert_eq!(dto.token.as_deref(), Some("YXNkZmFzZGYyQDEyMw=="));
        assert_eq!(dto.mention_users.as_deref(), Some("1;2"));
    }

    #[test]
    fn limits_name_the_field() {
        let e = ChatWebhook::new("u")
            .mention_phones(["1".repeat(31)])
            .encode()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid input: webhook_config.mention_phone[0] must be 1 to 30 characters without ';' (got 31 characters)"
        );
        let many: Vec<String> = (0..20).map(|_| "u".repeat(99)).collect();
        let e = ChatWebhook::new("u")
            .mention_users(many)
            .encode()
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("webhook_config.mention_users must be at most 1000"),
            "{e}"
        );
        assert!(ChatWebhook::new("").encode().is_err());
        let d = format!("{:?}", ChatWebhook::new("u").token("tok-123"));
        assert!(!d.contains("tok-123"), "{d}");
    }
}

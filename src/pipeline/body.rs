//! The body a generated builder holds until `send`.
//!
//! progenitor's builders keep a body only as its builder type (`types::builder::…`, each field
//! a `Result`), so a value handed whole to `body()` was converted into the builder and back,
//! field by field, on every call. `build.rs` makes them keep [`Body`]: the value as given, or the
//! builder when `body_map()` edits it. What `send` gets, and every error, is the same.

use std::fmt::Display;

/// A builder's body: the typed value as given to `body()`, or progenitor's builder of it.
#[derive(Debug, Clone)]
pub(crate) enum Body<T, B> {
    /// Given whole with `body()`.
    Typed(T),
    /// Made or edited with `body_map()`.
    Building(B),
}

impl<T, B: From<T>> Body<T, B> {
    /// The builder `body_map()` works on.
    pub(crate) fn into_builder(self) -> B {
        match self {
            Body::Typed(value) => B::from(value),
            Body::Building(builder) => builder,
        }
    }
}

impl<T: TryFrom<B>, B> Body<T, B>
where
    T::Error: Display,
{
    /// The value `send` serializes; a builder missing a required field is refused with
    /// progenitor's message.
    pub(crate) fn into_typed(self) -> Result<T, String> {
        match self {
            Body::Typed(value) => Ok(value),
            Body::Building(builder) => T::try_from(builder).map_err(|e| e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Body;
    use crate::repo::types::{self, builder};

    type Group = Body<types::WebhookParamsRequestDto, builder::WebhookParamsRequestDto>;

    fn whole() -> types::WebhookParamsRequestDto {
        builder::WebhookParamsRequestDto::default()
            .name("ci")
            .url("https://ci.example.com/hook")
            .push_events(true)
            .try_into()
            .unwrap()
    }

    /// A value given whole reaches `send` as it was, and as progenitor's round trip made it.
    #[test]
    fn a_value_is_sent_as_given() {
        let sent = Group::Typed(whole()).into_typed().unwrap();
        let round_trip = types::WebhookParamsRequestDto::try_from(
            builder::WebhookParamsRequestDto::from(whole()),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            serde_json::to_value(&round_trip).unwrap()
        );
    }

    /// `body_map` edits the value given before it, and a builder missing a required field is
    /// refused with progenitor's own message.
    #[test]
    fn a_builder_is_converted_when_sent() {
        let edited = Group::Building(Group::Typed(whole()).into_builder().note_events(true));
        let sent = edited.into_typed().unwrap();
        assert_eq!((sent.name.as_str(), sent.note_events), ("ci", Some(true)));
        let missing = Group::Building(builder::WebhookParamsRequestDto::default().name("ci"));
        assert_eq!(
            missing.into_typed().unwrap_err(),
            "no value supplied for url"
        );
    }
}

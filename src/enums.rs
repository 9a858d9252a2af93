//! Open enumerations: the documented values as variants, plus `Unknown` for a value the service
//! adds later.
//!
//! The generated types use these in place of closed enums (see `OPEN_ENUMS` in `build.rs`), so a
//! response carrying a new value still decodes. Requests are held to the documented values: the
//! input checks reject an `Unknown` value before anything is sent.

use std::{fmt, str::FromStr};

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every documented value, in the documented order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant,)+];

            /// The value as it goes on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            /// Never fails: an undocumented value becomes `Unknown`.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s.parse() {
                    Ok(v) => v,
                    Err(never) => match never {},
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}

open_enum! {
    /// Where notification settings come from.
    ConfigSource {
        /// The repository's own settings.
        Repo = "repo",
        /// Settings inherited from the product (project).
        Product = "product",
    }
}

open_enum! {
    /// What a notification event is about.
    SubscriptionResourceType {
        /// The repository itself.
        Repo = "repo",
        /// A merge request.
        Mr = "mr",
        /// Repository membership.
        Member = "member",
        /// A review comment.
        Note = "note",
    }
}

open_enum! {
    /// The event that triggers a notification.
    SubscriptionAction {
        /// Something was created.
        Create = "create",
        /// A merge request was opened.
        Open = "open",
        /// Something was updated.
        Update = "update",
        /// Something was deleted.
        Delete = "delete",
        /// A merge request was merged.
        Merge = "merge",
        /// A merge request was reviewed.
        Review = "review",
        /// A merge request was approved.
        Approve = "approve",
        /// A review comment was made.
        CreateNote = "create_note",
        /// A review comment was resolved.
        ResolveNote = "resolve_note",
        /// The repository is close to its size limit.
        CapacityWarning = "capacity_warning",
        /// Someone was mentioned.
        Mention = "mention",
    }
}

open_enum! {
    /// A role that a notification goes to.
    SubscriptionRoleName {
        /// Who opened the merge request.
        Creator = "creator",
        /// Who merges the merge request.
        Assignee = "assignee",
        /// A reviewer.
        Reviewer = "reviewer",
        /// A scorer.
        Scorer = "scorer",
        /// An approver.
        Approver = "approver",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip() {
        for action in SubscriptionAction::KNOWN {
            let json = serde_json::to_string(action).unwrap();
            let back: SubscriptionAction = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, action);
            assert!(!matches!(back, SubscriptionAction::Unknown(_)));
        }
    }

    #[test]
    fn unknown_value_decodes_and_is_kept() {
        let v: SubscriptionAction = serde_json::from_str("\"archive\"").unwrap();
        assert_eq!(v, SubscriptionAction::Unknown("archive".into()));
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"archive\"");
    }

    #[test]
    fn wire_names_are_snake_case() {
        assert_eq!(SubscriptionAction::CreateNote.as_str(), "create_note");
        assert_eq!(ConfigSource::from("product"), ConfigSource::Product);
        assert!(serde_json::from_str::<ConfigSource>("1").is_err());
    }
}

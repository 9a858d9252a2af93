//! Keep webhooks in place: say what should exist, see what would change, make it so.
//!
//! [`plan`] lists what exists in each [`Scope`] (every page) and compares it with the
//! [`Desired`] state; [`apply`] carries the plan out with bounded concurrency and reports per
//! scope. Running [`plan`] again after a successful [`apply`] finds nothing to do.
//!
//! The rules, which the service's behaviour forces:
//!
//! - **Identity.** Within a scope, a desired webhook is the existing one with the same URL
//!   ([`Identity::Url`], the default), or the same URL and name ([`Identity::UrlAndName`]),
//!   for when one URL serves several webhooks. The first match is the one kept.
//! - **Tokens.** The service masks tokens in what it returns, so a token cannot be compared. A
//!   desired token is written when the webhook is created and whenever it is updated for another
//!   reason; [`Options::rotate_tokens`] updates every webhook that has a desired token. A webhook
//!   otherwise unchanged is reported [`Change::Unchanged`] with `token_unknown: true`.
//! - **Deleting.** Nothing is deleted unless [`Options::prune`] names it: a webhook that is not
//!   desired and whose URL or name the prune rule lists.
//! - **Creating.** A create is a POST and is never resent blindly: after a failure that may
//!   have reached the service (no answer, a timeout, a 5xx), the scope is listed again, and the
//!   webhook is created only if it is still missing, so no duplicate is made.
//! - **Cap.** A repository holds at most [`MAX_REPOSITORY_WEBHOOKS`] webhooks: a plan that would
//!   pass it says so ([`Problem::OverCap`]) and apply skips that scope.
//! - **Notifications** compare `enabled` and the chat webhook's URL and mentions (its token is
//!   masked too: same rule). **CodeArts Check triggers** have no read operation: the plan cannot
//!   know them ([`TriggerPlan`]) and apply always sets them, which is harmless to repeat.

mod apply;
mod compare;
mod list;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use apply::{
    ApplyOptions, Done, NotificationReport, Outcome, Report, ScopeReport, TriggerReport, apply,
    apply_with_progress,
};
pub use list::{list_webhooks, plan};

use crate::{Error, repo::types::NotificationType};

/// The most webhooks one repository may have.
pub const MAX_REPOSITORY_WEBHOOKS: usize = 20;

/// Where webhooks live. In files: `{group: 1001}`, `{project: "..."}` or
/// `{repository: 2111978605}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "ScopeRepr", into = "ScopeRepr")]
pub enum Scope {
    /// A repository group, by id.
    Group(i32),
    /// A CodeArts project, by its 32-character id.
    Project(String),
    /// A repository, by id.
    Repository(i32),
}

/// A scope as a map with exactly one key: what YAML users write.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct ScopeRepr {
    /// A repository group id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<i32>,
    /// A CodeArts project id (32 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    project: Option<String>,
    /// A repository id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repository: Option<i32>,
}

impl TryFrom<ScopeRepr> for Scope {
    type Error = &'static str;

    fn try_from(r: ScopeRepr) -> Result<Self, Self::Error> {
        match (r.group, r.project, r.repository) {
            (Some(g), None, None) => Ok(Scope::Group(g)),
            (None, Some(p), None) => Ok(Scope::Project(p)),
            (None, None, Some(r)) => Ok(Scope::Repository(r)),
            _ => Err("a scope is exactly one of `group`, `project` or `repository`"),
        }
    }
}

impl From<Scope> for ScopeRepr {
    fn from(s: Scope) -> Self {
        match s {
            Scope::Group(g) => ScopeRepr {
                group: Some(g),
                ..Default::default()
            },
            Scope::Project(p) => ScopeRepr {
                project: Some(p),
                ..Default::default()
            },
            Scope::Repository(r) => ScopeRepr {
                repository: Some(r),
                ..Default::default()
            },
        }
    }
}

#[cfg(feature = "cli")]
impl schemars::JsonSchema for Scope {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scope".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = ScopeRepr::json_schema(generator);
        schema.insert("minProperties".into(), 1.into());
        schema.insert("maxProperties".into(), 1.into());
        schema
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Group(id) => write!(f, "group {id}"),
            Scope::Project(id) => write!(f, "project {id}"),
            Scope::Repository(id) => write!(f, "repository {id}"),
        }
    }
}

/// A webhook that should exist in every scope.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DesiredWebhook {
    /// The address CodeArts posts events to.
    pub url: String,
    /// The webhook's name.
    pub name: String,
    /// Free-text description (compared as empty when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The events delivered.
    #[serde(default)]
    pub events: Events,
    /// The header that carries the token (default `X-Repo-Token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The name of an environment variable holding the token: files keep no secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// The token itself (from code, or read from `token_env`); never serialized or shown.
    #[serde(skip)]
    pub token: Option<String>,
}

impl fmt::Debug for DesiredWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesiredWebhook")
            .field("url", &self.url)
            .field("name", &self.name)
            .field("description", &self.description)
            .field("events", &self.events)
            .field("token_type", &self.token_type)
            .field("token_env", &self.token_env)
            .field("token", &self.token.as_ref().map(|_| crate::auth::Redacted))
            .finish()
    }
}

impl DesiredWebhook {
    /// A webhook posting to `url` under `name`, with no event yet.
    pub fn new(url: impl Into<String>, name: impl Into<String>) -> Self {
        DesiredWebhook {
            url: url.into(),
            name: name.into(),
            description: None,
            events: Events::default(),
            token_type: None,
            token_env: None,
            token: None,
        }
    }

    /// Sets the events.
    pub fn events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }

    /// Sets the token (written on create and update; see the module's rules).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

/// Which events a webhook delivers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Events {
    /// Pushes, to branches matching this regular expression (e.g. `.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_branches: Option<String>,
    /// Tag pushes.
    #[serde(default)]
    pub tag_push: bool,
    /// Merge requests.
    #[serde(default)]
    pub merge_request: bool,
    /// Comments containing one of these texts (at most 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note_filters: Option<Vec<String>>,
}

/// How a desired webhook is found among the existing ones of a scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// The same URL.
    #[default]
    Url,
    /// The same URL and name.
    UrlAndName,
}

/// Which webhooks that are not desired may be deleted: those whose URL or name is listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Prune {
    /// URLs of webhooks to delete when not desired.
    #[serde(default)]
    pub urls: Vec<String>,
    /// Names of webhooks to delete when not desired.
    #[serde(default)]
    pub names: Vec<String>,
}

/// The notification subscription of one channel of a repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DesiredNotification {
    /// The repository.
    pub repository: i32,
    /// The channel.
    #[cfg_attr(feature = "cli", schemars(with = "Channel"))]
    pub channel: NotificationType,
    /// Whether the channel is on.
    pub enabled: bool,
    /// The chat webhook (WeCom, Feishu, DingTalk channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<DesiredChat>,
    /// Events to switch on or off; events not listed are left as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<DesiredEvent>,
}

/// One notification event: what happens to which resource, and whether it notifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DesiredEvent {
    /// The resource: `repo`, `mr`, `member` or `note` (others the service adds are kept as
    /// they are).
    #[cfg_attr(feature = "cli", schemars(with = "String"))]
    pub resource: crate::enums::SubscriptionResourceType,
    /// The action, e.g. `create`, `open`, `merge`, `delete`.
    #[cfg_attr(feature = "cli", schemars(with = "String"))]
    pub action: crate::enums::SubscriptionAction,
    /// Whether it notifies (default `true`).
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The channels, for the schema.
#[cfg(feature = "cli")]
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum Channel {
    InternalMessage,
    Email,
    Qyweixin,
    Feishu,
    Dingding,
}

/// A chat webhook, in plain values (see [`crate::notification::ChatWebhook`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DesiredChat {
    /// The chat's webhook URL.
    pub url: String,
    /// User ids to mention.
    #[serde(default)]
    pub mention_users: Vec<String>,
    /// Phone numbers to mention.
    #[serde(default)]
    pub mention_phones: Vec<String>,
    /// The name of an environment variable holding the chat webhook's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    /// The secret itself; never serialized or shown.
    #[serde(skip)]
    pub token: Option<String>,
}

impl fmt::Debug for DesiredChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DesiredChat")
            .field("url", &self.url)
            .field("mention_users", &self.mention_users)
            .field("mention_phones", &self.mention_phones)
            .field("token_env", &self.token_env)
            .field("token", &self.token.as_ref().map(|_| crate::auth::Redacted))
            .finish()
    }
}

/// The CodeArts Check trigger switches of a task; an absent switch is left alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DesiredTrigger {
    /// The check task id.
    pub task: String,
    /// Run the check on merge requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_request: Option<bool>,
    /// Run the check on pushes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<bool>,
}

/// Everything that should be in place.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    /// The scopes the webhooks go to.
    pub scopes: Vec<Scope>,
    /// The webhooks every scope should have.
    pub webhooks: Vec<DesiredWebhook>,
    /// Notification subscriptions.
    pub notifications: Vec<DesiredNotification>,
    /// Check trigger switches.
    pub triggers: Vec<DesiredTrigger>,
}

/// How to plan.
#[derive(Clone, Debug)]
pub struct Options {
    /// How a desired webhook is found (default [`Identity::Url`]).
    pub identity: Identity,
    /// What may be deleted (default nothing).
    pub prune: Option<Prune>,
    /// Update every webhook with a desired token, to write the token (default `false`).
    pub rotate_tokens: bool,
    /// How many scopes are listed at once (default 16).
    pub concurrency: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            identity: Identity::Url,
            prune: None,
            rotate_tokens: false,
            concurrency: 16,
        }
    }
}

/// What [`plan`] found.
#[derive(Debug, Default)]
pub struct Plan {
    /// Per scope, in the order given.
    pub scopes: Vec<ScopePlan>,
    /// Per notification subscription.
    pub notifications: Vec<NotificationPlan>,
    /// Per check task.
    pub triggers: Vec<TriggerPlan>,
}

/// The changes of one scope.
#[derive(Debug)]
pub struct ScopePlan {
    /// The scope.
    pub scope: Scope,
    /// What would change, desired webhooks first, then deletions.
    pub changes: Vec<Change>,
    /// Why the scope cannot be applied, if it cannot.
    pub problem: Option<Problem>,
}

/// One webhook's change.
#[derive(Debug, Clone)]
pub enum Change {
    /// It does not exist: create it.
    Create(DesiredWebhook),
    /// It exists and differs in `fields` (`"token"` when rotating).
    Update {
        /// The existing webhook's id.
        id: i32,
        /// What it should be.
        desired: DesiredWebhook,
        /// The fields that differ.
        fields: Vec<&'static str>,
    },
    /// It exists as desired.
    Unchanged {
        /// The existing webhook's id.
        id: i32,
        /// Its URL.
        url: String,
        /// A token is desired and cannot be compared (the service masks it).
        token_unknown: bool,
    },
    /// It is not desired and the prune rule names it: delete it.
    Delete {
        /// The existing webhook's id.
        id: i32,
        /// Its URL.
        url: String,
        /// Its name.
        name: String,
    },
}

impl Change {
    /// Whether applying it sends anything.
    pub fn is_change(&self) -> bool {
        !matches!(self, Change::Unchanged { .. })
    }
}

/// Why a scope cannot be applied.
#[derive(Debug)]
pub enum Problem {
    /// Its webhooks could not be listed.
    ListFailed(Error),
    /// The plan would leave the repository with more webhooks than the service allows.
    OverCap {
        /// How many it would have.
        would_have: usize,
        /// The most it may have.
        cap: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::ListFailed(e) => write!(f, "could not list its webhooks: {e}"),
            Problem::OverCap { would_have, cap } => write!(
                f,
                "would have {would_have} webhooks; a repository may have at most {cap}"
            ),
        }
    }
}

/// The change of one notification subscription.
#[derive(Debug)]
pub struct NotificationPlan {
    /// What it should be.
    pub desired: DesiredNotification,
    /// The fields that differ (empty: unchanged).
    pub fields: Vec<&'static str>,
    /// A chat token is desired and cannot be compared.
    pub token_unknown: bool,
    /// It could not be read.
    pub error: Option<Error>,
    /// The whole event list to send: the service replaces it, so the events not desired are
    /// sent back as they were.
    pub(crate) events: Vec<crate::repo::types::RepoSubscriptionEventDto>,
}

/// A check task's switches: the service has no operation to read them, so the plan cannot
/// know whether they differ; apply sets them.
#[derive(Debug, Clone)]
pub struct TriggerPlan {
    /// What they should be.
    pub desired: DesiredTrigger,
}

impl Plan {
    /// Whether applying would change anything that can be known (creates, updates, deletes,
    /// notification changes); check triggers are not counted, as they cannot be read.
    pub fn has_changes(&self) -> bool {
        self.scopes
            .iter()
            .any(|s| s.changes.iter().any(Change::is_change))
            || self.notifications.iter().any(|n| !n.fields.is_empty())
    }

    /// Whether some scope or subscription could not be planned or is over the cap.
    pub fn has_problems(&self) -> bool {
        self.scopes.iter().any(|s| s.problem.is_some())
            || self.notifications.iter().any(|n| n.error.is_some())
    }

    /// How many creates, updates, deletes and unchanged webhooks the plan holds.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for change in self.scopes.iter().flat_map(|s| &s.changes) {
            match change {
                Change::Create(_) => c.create += 1,
                Change::Update { .. } => c.update += 1,
                Change::Delete { .. } => c.delete += 1,
                Change::Unchanged { .. } => c.unchanged += 1,
            }
        }
        c
    }
}

/// Counts of a plan's webhook changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Webhooks to create.
    pub create: usize,
    /// Webhooks to update.
    pub update: usize,
    /// Webhooks to delete.
    pub delete: usize,
    /// Webhooks already as desired.
    pub unchanged: usize,
}

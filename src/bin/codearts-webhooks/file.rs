//! The desired-state file (YAML): what `plan` and `apply` read.

use std::path::Path;

use codearts_webhooks::plan::{
    Desired, DesiredNotification, DesiredTrigger, DesiredWebhook, Identity, Options, Prune, Scope,
};
use serde::Deserialize;

/// Webhooks, notification subscriptions and check triggers that should be in place.
///
/// Secrets are never written in the file: `token_env` names an environment variable.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DesiredFile {
    /// How a desired webhook is found among a scope's: by `url` (default) or `url_and_name`.
    #[serde(default)]
    pub identity: Identity,
    /// Webhooks that are not desired and may be deleted, with `--prune`.
    #[serde(default)]
    pub prune: Option<Prune>,
    /// Update every webhook that has a token, to write it again (tokens cannot be compared).
    #[serde(default)]
    pub rotate_tokens: bool,
    /// The groups, projects and repositories every webhook below goes to.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// The webhooks every scope should have.
    #[serde(default)]
    pub webhooks: Vec<DesiredWebhook>,
    /// Repository notification subscriptions.
    #[serde(default)]
    pub notifications: Vec<DesiredNotification>,
    /// CodeArts Check trigger switches.
    #[serde(default)]
    pub check_triggers: Vec<DesiredTrigger>,
}

/// The JSON Schema of the file, as `codearts-webhooks schema` prints it.
pub fn schema() -> String {
    let schema = schemars::schema_for!(DesiredFile);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// Reads and checks the file: every error names the file, and the line and field when YAML
/// says them; a `token_env` that is not set is an error too.
pub fn read(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<DesiredFile, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut file: DesiredFile = match serde_norway::from_str(&text) {
        Ok(f) => f,
        // An empty file is an empty desired state.
        Err(_) if text.trim().is_empty() => DesiredFile::default(),
        Err(e) => {
            return Err(match e.location() {
                Some(l) => format!(
                    "{shown}:{}:{}: {}",
                    l.line(),
                    l.column(),
                    strip_location(&e.to_string())
                ),
                None => format!("{shown}: {e}"),
            });
        }
    };
    for (i, hook) in file.webhooks.iter_mut().enumerate() {
        if let Some(var) = &hook.token_env {
            hook.token = Some(env(var).ok_or_else(|| {
                format!(
                    "{shown}: webhooks[{i}].token_env: the environment variable {var} is not set"
                )
            })?);
        }
    }
    for (i, n) in file.notifications.iter_mut().enumerate() {
        if let Some(chat) = &mut n.chat
            && let Some(var) = &chat.token_env
        {
            chat.token = Some(env(var).ok_or_else(|| {
                format!(
                    "{shown}: notifications[{i}].chat.token_env: the environment variable {var} \
                     is not set"
                )
            })?);
        }
    }
    Ok(file)
}

/// serde_norway ends its messages with " at line L column C"; the location is said first.
fn strip_location(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| &msg[..i])
}

impl DesiredFile {
    /// The library's desired state and plan options; `prune` says whether `--prune` was given.
    pub fn into_parts(self, prune: bool) -> (Desired, Options) {
        let options = Options {
            identity: self.identity,
            prune: if prune { self.prune } else { None },
            rotate_tokens: self.rotate_tokens,
            ..Options::default()
        };
        let desired = Desired {
            scopes: self.scopes,
            webhooks: self.webhooks,
            notifications: self.notifications,
            triggers: self.check_triggers,
        };
        (desired, options)
    }
}

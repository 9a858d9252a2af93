//! Where credentials come from, in the official SDK's order: explicit, then the environment,
//! then the profile file, then the instance metadata of an ECS/BMS server.
//!
//! Each provider says why it found nothing; when none finds anything, the error lists them all.
//! A provider that finds something wrong (half a key pair, a malformed file) stops the chain:
//! going on would sign with credentials the user did not mean.

pub(crate) mod metadata;
mod profile;

use std::path::{Path, PathBuf};

use crate::{Credentials, Error, ProviderFailure, Result};

/// The environment variable that names the instance metadata address (this crate's own; the
/// official SDK has it fixed).
pub(crate) const METADATA_ENDPOINT_VAR: &str = "HUAWEICLOUD_SDK_METADATA_ENDPOINT";
/// The environment variable that names the profile file.
pub(crate) const CREDENTIALS_FILE_VAR: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

/// Where the providers read variables and find the home directory: the process, or a map in
/// a test.
pub(crate) struct Env<'a>(pub &'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    /// A variable's value; unset and blank are alike.
    pub fn var(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// The user's home directory: `HOME`, or `USERPROFILE` on Windows.
    pub fn home(&self) -> Option<PathBuf> {
        self.var("HOME")
            .or_else(|| self.var("USERPROFILE"))
            .map(PathBuf::from)
    }

    /// `~/.huaweicloud/<name>`, unless the variable names another file. The flag says whether
    /// the variable named it (then a missing file is an error, not an absence).
    pub fn sdk_file(&self, var: &str, name: &str) -> Option<(PathBuf, bool)> {
        match self.var(var) {
            Some(path) => Some((PathBuf::from(path), true)),
            None => Some((self.home()?.join(".huaweicloud").join(name), false)),
        }
    }
}

/// What one provider came to.
pub(crate) enum Found<T> {
    Yes(T),
    No(ProviderFailure),
}

fn no<T>(provider: &'static str, reason: impl Into<String>) -> Found<T> {
    Found::No(ProviderFailure {
        provider,
        reason: reason.into(),
    })
}

impl Credentials {
    /// Credentials from the environment variables the official SDK reads:
    /// `HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK`, with optional `HUAWEICLOUD_SDK_PROJECT_ID`
    /// and `HUAWEICLOUD_SDK_SECURITY_TOKEN`; or this crate's own `HUAWEICLOUD_SDK_AUTH_TOKEN`
    /// (an IAM token).
    pub fn from_env() -> Result<Self> {
        from_env(&Env(&|name| std::env::var(name).ok()))?.required()
    }

    /// Credentials from the profile file: the one `HUAWEICLOUD_SDK_CREDENTIALS_FILE` names, else
    /// `~/.huaweicloud/credentials`. Its `[basic]` section holds `ak`, `sk`, and optionally
    /// `project_id`, `security_token` and `iam_endpoint`, as the official SDK reads them.
    pub fn from_profile() -> Result<Self> {
        from_profile(&Env(&|name| std::env::var(name).ok()))?.required()
    }

    /// Credentials from the `[basic]` section of this profile file (INI).
    pub fn from_profile_file(path: impl AsRef<Path>) -> Result<Self> {
        profile::read(path.as_ref(), false)?.required()
    }

    /// Temporary credentials of the ECS/BMS server's agency, from its instance metadata service
    /// (`http://169.254.169.254`, or the address `HUAWEICLOUD_SDK_METADATA_ENDPOINT` names).
    ///
    /// Nothing is fetched here: the first request fetches them, and they are refreshed when
    /// less than 40 minutes remain, once for all concurrent requests, in the background while
    /// they are still valid.
    pub fn from_instance_metadata() -> Result<Self> {
        let env = Env(&|name| std::env::var(name).ok());
        metadata::credentials(env.var(METADATA_ENDPOINT_VAR).as_deref(), Vec::new())
    }

    /// [`Credentials::from_instance_metadata`] from the metadata service at this address,
    /// e.g. `http://169.254.169.254`.
    pub fn from_instance_metadata_at(url: &str) -> Result<Self> {
        metadata::credentials(Some(url), Vec::new())
    }

    /// The official SDK's default chain: [`Credentials::from_env`], then
    /// [`Credentials::from_profile`], then [`Credentials::from_instance_metadata`]. The first
    /// that finds credentials wins. Instance metadata is reached only at the first request:
    /// when it has none either, that request fails with [`Error::NoCredentials`] listing each
    /// provider and why it found nothing.
    pub fn default_chain() -> Result<Self> {
        chain(&Env(&|name| std::env::var(name).ok()))
    }
}

impl Found<Credentials> {
    fn required(self) -> Result<Credentials> {
        match self {
            Found::Yes(c) => Ok(c),
            Found::No(why) => Err(Error::NoCredentials(vec![why])),
        }
    }
}

/// The default chain over `env`.
pub(crate) fn chain(env: &Env<'_>) -> Result<Credentials> {
    let mut tried = Vec::new();
    for provider in [from_env, from_profile] {
        match provider(env)? {
            Found::Yes(c) => return Ok(c),
            Found::No(why) => tried.push(why),
        }
    }
    metadata::credentials(env.var(METADATA_ENDPOINT_VAR).as_deref(), tried)
}

const ENV: &str = "environment";

pub(crate) fn from_env(env: &Env<'_>) -> Result<Found<Credentials>> {
    let (ak, sk, token) = (
        env.var("HUAWEICLOUD_SDK_AK"),
        env.var("HUAWEICLOUD_SDK_SK"),
        env.var("HUAWEICLOUD_SDK_AUTH_TOKEN"),
    );
    let half = |set: &str, unset: &str| {
        Err(Error::Config(format!(
            "{set} is set but {unset} is not; set it"
        )))
    };
    Ok(Found::Yes(match (ak, sk, token) {
        (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            return Err(Error::Config(
                "both HUAWEICLOUD_SDK_AUTH_TOKEN and HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK are set; \
                 unset one of them"
                    .into(),
            ));
        }
        (None, None, Some(token)) => {
            for only_aksk in [
                "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                "HUAWEICLOUD_SDK_PROJECT_ID",
            ] {
                if env.var(only_aksk).is_some() {
                    return Err(Error::Config(format!(
                        "{only_aksk} goes with HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, not with \
                         HUAWEICLOUD_SDK_AUTH_TOKEN; unset it"
                    )));
                }
            }
            Credentials::token(token)
        }
        (Some(ak), Some(sk), None) => {
            let mut c = Credentials::aksk(ak, sk);
            if let Some(p) = env.var("HUAWEICLOUD_SDK_PROJECT_ID") {
                c = c.with_project_id(p);
            }
            if let Some(t) = env.var("HUAWEICLOUD_SDK_SECURITY_TOKEN") {
                c = c.with_security_token(t);
            }
            c
        }
        (Some(_), None, None) => return half("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"),
        (None, Some(_), None) => return half("HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_AK"),
        (None, None, None) => {
            return Ok(no(
                ENV,
                "neither HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK nor HUAWEICLOUD_SDK_AUTH_TOKEN is set",
            ));
        }
    }))
}

pub(crate) fn from_profile(env: &Env<'_>) -> Result<Found<Credentials>> {
    match env.sdk_file(CREDENTIALS_FILE_VAR, "credentials") {
        Some((path, named)) => profile::read(&path, named),
        None => Ok(no(
            profile::PROFILE,
            "neither HUAWEICLOUD_SDK_CREDENTIALS_FILE nor HOME is set",
        )),
    }
}

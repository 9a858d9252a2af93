//! Credentials: an IAM token, or an access key pair that signs every request.

use std::{fmt, sync::Arc, time::SystemTime};

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result, provider::metadata::Temporary, signer::Signer};

const REDACTED: &str = "** redacted **";

/// How requests prove who sends them.
///
/// Secrets are held in [`secrecy::SecretString`]; `Debug` never prints them.
///
/// ```
/// use codearts_webhooks::Credentials;
///
/// let token = Credentials::token("MIIEhQYJKoZIhvcNAQcCoIIEdjCCBHICAQExDTALBglghkgBZQMEAgEw...");
/// let keys = Credentials::aksk("AKEXAMPLE", "SKEXAMPLE")
///     .with_project_id("0123456789abcdef0123456789abcdef")
///     .with_security_token("temporary-session-token");
/// assert_eq!(
///     format!("{keys:?}"),
///     "Credentials::AkSk { access_key: \"AKEXAMPLE\", secret_key: ** redacted **, \
///      project_id: Some(\"0123456789abcdef0123456789abcdef\"), security_token: Some(** redacted **) }"
/// );
/// # drop(token);
/// ```
#[derive(Clone)]
pub struct Credentials(pub(crate) Kind);

#[derive(Clone)]
pub(crate) enum Kind {
    Token(SecretString),
    AkSk(Arc<Keys>),
    /// Temporary keys of the instance's agency, fetched from instance metadata and refreshed.
    Temporary(Arc<Temporary>),
}

/// One key pair and what goes with it. Temporary keys are replaced as a whole.
pub(crate) struct Keys {
    pub access_key: String,
    secret_key: SecretString,
    /// Keyed once with the secret key.
    signer: Signer,
    pub project_id: Option<String>,
    security_token: Option<SecretString>,
    /// The IAM endpoint a profile file named, for looking up the project id.
    pub iam_endpoint: Option<String>,
}

impl Keys {
    pub(crate) fn new(
        access_key: String,
        secret_key: String,
        project_id: Option<String>,
        security_token: Option<String>,
    ) -> Self {
        Keys {
            signer: Signer::new(access_key.clone(), secret_key.as_bytes()),
            access_key,
            secret_key: SecretString::from(secret_key),
            project_id,
            security_token: security_token.map(SecretString::from),
            iam_endpoint: None,
        }
    }

    pub(crate) fn with_iam_endpoint(mut self, iam_endpoint: Option<String>) -> Self {
        self.iam_endpoint = iam_endpoint;
        self
    }

    /// Adds the security token and project id, then signs; the query must be canonical.
    /// Returns the canonical request that was signed.
    #[inline]
    pub(crate) fn sign(
        &self,
        request: &mut reqwest::Request,
        now: SystemTime,
        project_id: Option<&str>,
    ) -> Option<String> {
        let headers = request.headers_mut();
        if let Some(p) = project_id.or(self.project_id.as_deref()) {
            headers.insert(X_PROJECT_ID, sensitive(p));
        }
        if let Some(t) = &self.security_token {
            headers.insert(X_SECURITY_TOKEN, sensitive(t.expose_secret()));
        }
        match self.signer.sign(request, now) {
            Ok(canonical) => Some(canonical),
            Err(why) => {
                // Generated requests always carry byte bodies; the server will answer 401.
                tracing::error!(why, "request left unsigned");
                None
            }
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        check_value("the access key (AK)", &self.access_key)?;
        check_value("the secret key (SK)", self.secret_key.expose_secret())?;
        if let Some(p) = &self.project_id {
            check_value("the project id", p)?;
        }
        if let Some(t) = &self.security_token {
            check_value("the security token", t.expose_secret())?;
        }
        Ok(())
    }
}

/// What signs one attempt: the credentials as they are at that moment. Keys that never change
/// are borrowed, so that a call does not touch a count shared with every other call.
pub(crate) enum Resolved<'a> {
    Token(&'a SecretString),
    Keys(&'a Keys),
    /// Temporary keys as fetched: a later refresh may replace them while the attempt runs.
    Fetched(Arc<Keys>),
}

impl Resolved<'_> {
    /// The AK/SK keys, if these credentials are keys.
    pub(crate) fn keys(&self) -> Option<&Keys> {
        match self {
            Resolved::Token(_) => None,
            Resolved::Keys(keys) => Some(keys),
            Resolved::Fetched(keys) => Some(keys),
        }
    }
}

impl Resolved<'_> {
    /// Adds the credentials to a request whose query is already canonical. Returns the
    /// canonical request when the request was signed.
    pub(crate) fn apply(
        &self,
        request: &mut reqwest::Request,
        now: SystemTime,
        project_id: Option<&str>,
    ) -> Option<String> {
        match self {
            Resolved::Token(t) => {
                request
                    .headers_mut()
                    .insert(X_AUTH_TOKEN, sensitive(t.expose_secret()));
                None
            }
            Resolved::Keys(keys) => keys.sign(request, now, project_id),
            Resolved::Fetched(keys) => keys.sign(request, now, project_id),
        }
    }
}

impl Credentials {
    /// An IAM user token (the `X-Subject-Token` IAM returns), sent as `X-Auth-Token`.
    pub fn token(token: impl Into<String>) -> Self {
        Credentials(Kind::Token(SecretString::from(token.into())))
    }

    /// A permanent access key (AK) and secret key (SK): every request is signed with
    /// SDK-HMAC-SHA256, afresh on every attempt.
    pub fn aksk(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Credentials(Kind::AkSk(Arc::new(Keys::new(
            access_key.into(),
            secret_key.into(),
            None,
            None,
        ))))
    }

    /// Sends the IAM project id as `X-Project-Id` (AK/SK only; ignored otherwise). Without one,
    /// the client looks it up from IAM for its region (see
    /// [`ClientBuilder::project_id_lookup`](crate::ClientBuilder::project_id_lookup)).
    pub fn with_project_id(self, project_id: impl Into<String>) -> Self {
        self.map_keys(|k| k.project_id = Some(project_id.into()))
    }

    /// The security token of temporary keys, sent as `X-Security-Token` (AK/SK only).
    pub fn with_security_token(self, token: impl Into<String>) -> Self {
        self.map_keys(|k| k.security_token = Some(SecretString::from(token.into())))
    }

    fn map_keys(self, f: impl FnOnce(&mut Keys)) -> Self {
        match self.0 {
            Kind::AkSk(keys) => {
                let mut keys = Arc::try_unwrap(keys).unwrap_or_else(|shared| {
                    Keys::new(
                        shared.access_key.clone(),
                        shared.secret_key.expose_secret().to_owned(),
                        shared.project_id.clone(),
                        shared
                            .security_token
                            .as_ref()
                            .map(|t| t.expose_secret().to_owned()),
                    )
                    .with_iam_endpoint(shared.iam_endpoint.clone())
                });
                f(&mut keys);
                Credentials(Kind::AkSk(Arc::new(keys)))
            }
            other => Credentials(other),
        }
    }

    /// Whether requests are signed (AK/SK), so that their signing time matters.
    pub(crate) fn signs(&self) -> bool {
        !matches!(self.0, Kind::Token(_))
    }

    /// Whether an IAM project id is sent with every request (AK/SK with a project id).
    pub(crate) fn has_project_id(&self) -> bool {
        match &self.0 {
            Kind::AkSk(keys) => keys.project_id.is_some(),
            Kind::Temporary(_) | Kind::Token(_) => false,
        }
    }

    /// Checks that every value can go into an HTTP header, naming the one that cannot.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.0 {
            Kind::Token(t) => check_value("the IAM token", t.expose_secret()),
            Kind::AkSk(keys) => keys.check(),
            Kind::Temporary(_) => Ok(()),
        }
    }

    /// The credentials as they are at `now`, when nothing must be fetched for them first:
    /// `None` only for temporary credentials that must be fetched ([`Credentials::resolve`]).
    pub(crate) fn resolve_now(&self, now: SystemTime) -> Option<Resolved<'_>> {
        match &self.0 {
            Kind::Token(t) => Some(Resolved::Token(t)),
            Kind::AkSk(keys) => Some(Resolved::Keys(keys)),
            Kind::Temporary(t) => t.keys_now(now).map(Resolved::Fetched),
        }
    }

    /// The credentials as they are at `now`: temporary ones are fetched or refreshed first
    /// (see `provider::metadata`).
    pub(crate) async fn resolve(&self, now: SystemTime) -> Result<Resolved<'_>> {
        match &self.0 {
            Kind::Token(t) => Ok(Resolved::Token(t)),
            Kind::AkSk(keys) => Ok(Resolved::Keys(keys)),
            Kind::Temporary(t) => Ok(Resolved::Fetched(t.keys(now).await?)),
        }
    }
}

fn check_value(name: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::Config(format!("{name} is empty")));
    }
    if value.len() > 100_000 {
        return Err(Error::Config(format!(
            "{name} is longer than 100000 characters"
        )));
    }
    if HeaderValue::from_str(value).is_err() || value.trim() != value {
        return Err(Error::Config(format!(
            "{name} contains a character that cannot go in an HTTP header (a newline, a \
             control character, or leading or trailing white space)"
        )));
    }
    Ok(())
}

const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");
const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");
const X_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-security-token");

/// `check` has vetted the value; an invalid one (impossible after it) is sent empty.
fn sensitive(value: &str) -> HeaderValue {
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Token(_) => f.write_str("Credentials::Token(** redacted **)"),
            Kind::AkSk(keys) => keys.debug("Credentials::AkSk", f),
            Kind::Temporary(t) => fmt::Debug::fmt(t, f),
        }
    }
}

impl Keys {
    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("access_key", &self.access_key)
            .field("secret_key", &Redacted)
            .field("project_id", &self.project_id)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| Redacted),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_exactly() {
        assert_eq!(
            format!("{:?}", Credentials::token("tok-secret")),
            "Credentials::Token(** redacted **)"
        );
        let keys = Credentials::aksk("AK1", "sk-secret").with_security_token("st-secret");
        assert_eq!(
            format!("{keys:?}"),
            "Credentials::AkSk { access_key: \"AK1\", secret_key: ** redacted **, project_id: None, \
             security_token: Some(** redacted **) }"
        );
        let pretty = format!("{keys:#?}");
        assert!(
            !pretty.contains("secret\"")
                && !pretty.contains("sk-secret")
                && !pretty.contains("st-secret")
        );
    }

    #[test]
    fn bad_values_are_named() {
        let e = Credentials::aksk("", "sk").check().unwrap_err().to_string();
        assert!(e.contains("access key (AK) is empty"), "{e}");
        let e = Credentials::aksk("ak", "").check().unwrap_err().to_string();
        assert!(e.contains("secret key (SK) is empty"), "{e}");
        let e = Credentials::token("abc\ndef")
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("IAM token contains a character"), "{e}");
        assert!(
            !e.contains("abc"),
            "the message must not echo the secret: {e}"
        );
        assert!(
            Credentials::aksk("ak", "sk")
                .with_project_id("p")
                .check()
                .is_ok()
        );
    }

    #[test]
    fn token_header_is_sensitive() {
        let mut req = reqwest::Request::new(reqwest::Method::GET, "http://h/x".parse().unwrap());
        let t = Credentials::token("t0k");
        let Kind::Token(secret) = &t.0 else {
            unreachable!()
        };
        Resolved::Token(secret).apply(&mut req, SystemTime::now(), None);
        assert_eq!(req.headers()["x-auth-token"], "t0k");
        assert!(req.headers()["x-auth-token"].is_sensitive());
    }
}

//! Credentials: an IAM token, or an access key pair that signs every request.

use std::{fmt, sync::Arc};

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result, signer::Signer};

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
pub struct Credentials(Kind);

#[derive(Clone)]
enum Kind {
    Token(SecretString),
    AkSk {
        access_key: String,
        secret_key: SecretString,
        /// Keyed once with the secret key; shared by the clones.
        signer: Arc<Signer>,
        project_id: Option<String>,
        security_token: Option<SecretString>,
    },
}

impl Credentials {
    /// An IAM user token (the `X-Subject-Token` IAM returns), sent as `X-Auth-Token`.
    pub fn token(token: impl Into<String>) -> Self {
        Credentials(Kind::Token(SecretString::from(token.into())))
    }

    /// A permanent access key (AK) and secret key (SK): every request is signed with
    /// SDK-HMAC-SHA256, afresh on every attempt.
    pub fn aksk(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        let (access_key, secret_key) = (access_key.into(), secret_key.into());
        Credentials(Kind::AkSk {
            signer: Arc::new(Signer::new(access_key.clone(), secret_key.as_bytes())),
            access_key,
            secret_key: SecretString::from(secret_key),
            project_id: None,
            security_token: None,
        })
    }

    /// Sends the IAM project id as `X-Project-Id` (AK/SK only; ignored for a token).
    pub fn with_project_id(mut self, project_id: impl Into<String>) -> Self {
        if let Kind::AkSk { project_id: p, .. } = &mut self.0 {
            *p = Some(project_id.into());
        }
        self
    }

    /// The security token of temporary keys, sent as `X-Security-Token` (AK/SK only).
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        if let Kind::AkSk { security_token, .. } = &mut self.0 {
            *security_token = Some(SecretString::from(token.into()));
        }
        self
    }

    /// Whether requests are signed (AK/SK), so that their signing time matters.
    pub(crate) fn signs(&self) -> bool {
        matches!(self.0, Kind::AkSk { .. })
    }

    /// Checks that every value can go into an HTTP header, naming the one that cannot.
    pub(crate) fn check(&self) -> Result<()> {
        let check = |name: &str, value: &str| -> Result<()> {
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
        };
        match &self.0 {
            Kind::Token(t) => check("the IAM token", t.expose_secret()),
            Kind::AkSk {
                access_key,
                secret_key,
                project_id,
                security_token,
                ..
            } => {
                check("the access key (AK)", access_key)?;
                check("the secret key (SK)", secret_key.expose_secret())?;
                if let Some(p) = project_id {
                    check("the project id", p)?;
                }
                if let Some(t) = security_token {
                    check("the security token", t.expose_secret())?;
                }
                Ok(())
            }
        }
    }

    /// Adds the credentials to a request about to be sent, whose query is already canonical;
    /// `now` is the signing time. Returns the canonical request when the request was signed.
    pub(crate) fn apply(
        &self,
        request: &mut reqwest::Request,
        now: std::time::SystemTime,
    ) -> Option<String> {
        let headers = request.headers_mut();
        match &self.0 {
            Kind::Token(t) => {
                headers.insert(X_AUTH_TOKEN, sensitive(t.expose_secret()));
                None
            }
            Kind::AkSk {
                signer,
                project_id,
                security_token,
                ..
            } => {
                if let Some(p) = project_id {
                    headers.insert(X_PROJECT_ID, sensitive(p));
                }
                if let Some(t) = security_token {
                    headers.insert(X_SECURITY_TOKEN, sensitive(t.expose_secret()));
                }
                match signer.sign(request, now) {
                    Ok(canonical) => Some(canonical),
                    Err(why) => {
                        // Generated requests always carry byte bodies; the server will answer 401.
                        tracing::error!(why, "request left unsigned");
                        None
                    }
                }
            }
        }
    }
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

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Token(_) => f.write_str("Credentials::Token(** redacted **)"),
            Kind::AkSk {
                access_key,
                project_id,
                security_token,
                ..
            } => f
                .debug_struct("Credentials::AkSk")
                .field("access_key", access_key)
                .field("secret_key", &Redacted)
                .field("project_id", project_id)
                .field("security_token", &security_token.as_ref().map(|_| Redacted))
                .finish(),
        }
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
        Credentials::token("t0k").apply(&mut req, std::time::SystemTime::now());
        assert_eq!(req.headers()["x-auth-token"], "t0k");
        assert!(req.headers()["x-auth-token"].is_sensitive());
    }
}

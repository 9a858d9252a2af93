//! The fake's authentication: IAM tokens it was given, and AK/SK signatures it recomputes from
//! the request as received, the way the API gateway does.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, SystemTime},
};

use http::request::Parts;

use crate::signer::{self, SigningInput};

/// How the gateway's messages about a refused signature start.
const REFUSED: &str = "Incorrect IAM authentication information: ";

/// Headers that must be signed when present: they carry identity.
const MUST_SIGN: &[&str] = &["host", "x-sdk-date", "x-security-token", "x-project-id"];

#[derive(Debug)]
pub(super) struct Auth {
    tokens: Vec<String>,
    keys: HashMap<String, String>,
    /// Keys issued by the fake instance metadata: secret, security token, expiry.
    temporary: Mutex<HashMap<String, Temporary>>,
    max_skew: Duration,
}

#[derive(Debug, Clone)]
struct Temporary {
    secret: String,
    security_token: String,
    expires_at: SystemTime,
}

impl Auth {
    pub fn new(tokens: Vec<String>, keys: HashMap<String, String>, max_skew: Duration) -> Self {
        Auth {
            tokens,
            keys,
            temporary: Mutex::new(HashMap::new()),
            max_skew,
        }
    }

    /// Accepts a temporary key pair with its security token until `expires_at`.
    pub fn add_temporary(&self, access: &str, secret: &str, token: &str, expires_at: SystemTime) {
        super::lock(&self.temporary).insert(
            access.to_owned(),
            Temporary {
                secret: secret.to_owned(),
                security_token: token.to_owned(),
                expires_at,
            },
        );
    }

    /// Every temporary key pair issued so far expires at `now`.
    pub fn expire_temporary(&self, now: SystemTime) {
        for t in super::lock(&self.temporary).values_mut() {
            t.expires_at = t.expires_at.min(now);
        }
    }

    /// The secret key of `access`, checking a temporary key's security token and expiry.
    fn secret(
        &self,
        access: &str,
        security_token: Option<&str>,
        now: SystemTime,
    ) -> Result<String, String> {
        if let Some(secret) = self.keys.get(access) {
            return Ok(secret.clone());
        }
        let temporary = super::lock(&self.temporary).get(access).cloned();
        let t = temporary.ok_or("The access key is unknown.")?;
        if security_token != Some(t.security_token.as_str()) {
            return Err(format!(
                "{REFUSED}the security token does not belong to the temporary access key."
            ));
        }
        if now >= t.expires_at {
            return Err(format!("{REFUSED}the security token has expired."));
        }
        Ok(t.secret)
    }

    /// `Err` says, as the gateway would, why the request is not authenticated; `now` is the
    /// fake's own time.
    pub fn check(&self, parts: &Parts, body: &[u8], now: SystemTime) -> Result<(), String> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        if let Some(token) = header("x-auth-token") {
            return match self.tokens.iter().any(|t| t == token) {
                true => Ok(()),
                false => Err("The token is invalid or has expired.".into()),
            };
        }
        let Some(authorization) = header("authorization") else {
            return Err(
                "No credentials: send X-Auth-Token or an SDK-HMAC-SHA256 signature.".into(),
            );
        };
        let fields = authorization
            .strip_prefix("SDK-HMAC-SHA256 ")
            .ok_or("The Authorization header is not an SDK-HMAC-SHA256 signature.")?;
        let field = |name: &str| {
            fields
                .split(", ")
                .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
                .ok_or(format!("The signature has no {name}."))
        };
        let (access, signed, signature) = (
            field("Access")?,
            field("SignedHeaders")?,
            field("Signature")?,
        );
        let secret = self.secret(access, header("x-security-token"), now)?;
        let signed: Vec<&str> = signed.split(';').collect();
        for name in MUST_SIGN {
            if (header(name).is_some() || ["host", "x-sdk-date"].contains(name))
                && !signed.contains(name)
            {
                return Err(format!("The header {name} must be signed."));
            }
        }
        let date = header("x-sdk-date").ok_or("X-Sdk-Date is missing.")?;
        let at = signer::parse_sdk_date(date).ok_or("X-Sdk-Date is not YYYYMMDDTHHMMSSZ.")?;
        let skew = now
            .duration_since(at)
            .or_else(|e| Ok::<_, ()>(e.duration()))
            .unwrap_or_default();
        if skew > self.max_skew {
            // The gateway's exact words.
            return Err(format!(
                "{REFUSED}calc aksk signature fail:signature expired, signature time:{date},\
                 server time:{}",
                signer::format_sdk_date(now)
            ));
        }
        let mut headers = Vec::with_capacity(signed.len());
        for name in &signed {
            let value = header(name).ok_or(format!("The signed header {name} is missing."))?;
            headers.push((*name, value));
        }
        let expected = signer::sign(
            access,
            secret.as_bytes(),
            date,
            &SigningInput {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                query: parts.uri.query().unwrap_or(""),
                headers: &headers,
                body,
            },
        );
        let computed = expected
            .authorization
            .rsplit("Signature=")
            .next()
            .unwrap_or_default();
        match constant_time_eq(computed.as_bytes(), signature.as_bytes()) {
            true => Ok(()),
            // As the gateway: its canonical request, newlines written as `|`.
            false => Err(format!(
                "{REFUSED}verify aksk signature fail, canonicalRequest:{}",
                expected.canonical_request.replace('\n', "|")
            )),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

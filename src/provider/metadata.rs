//! Temporary credentials from the instance metadata service of an ECS/BMS server, refreshed
//! before they expire.
//!
//! The protocol is the official SDK's: a session token from `PUT /meta-data/latest/api/token`
//! (a 404, 405 or 503 there means the service has none: go on without), then
//! `GET /openstack/latest/securitykey` with it. A 401 there means the session token expired:
//! one more try with a new one.
//!
//! Refreshing: requests use the keys they find while more than [`REFRESH_BEFORE`] remain. After
//! that, the first request to notice starts one fetch in the background and every request goes
//! on with the still-valid keys; a failed refresh is logged and tried again a minute later. Only
//! when the keys have expired (or before the first fetch) do requests wait, all for the same
//! fetch.

use std::{
    fmt,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime},
};

use reqwest::StatusCode;
use serde::Deserialize;

use crate::{Credentials, Error, ProviderFailure, Result, auth::Keys};

/// The official SDK's address of the metadata service.
pub(crate) const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
/// Credentials are refreshed when less than this remains before they expire (the SDK's rule).
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(40 * 60);
/// How long after a failed background refresh the next one is tried.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);
/// The SDK's timeouts: 3 s to connect, 3 s between reads.
const TIMEOUT: Duration = Duration::from_secs(3);

const PROVIDER: &str = "instance metadata";

/// Lazily fetched temporary credentials. `tried` are the chain's earlier providers, reported
/// with this one's failure when nothing at all is found.
pub(crate) fn credentials(
    endpoint: Option<&str>,
    tried: Vec<ProviderFailure>,
) -> Result<Credentials> {
    let endpoint = endpoint.unwrap_or(DEFAULT_ENDPOINT).trim_end_matches('/');
    let parsed = reqwest::Url::parse(endpoint).map_err(|e| {
        Error::Config(format!(
            "the instance metadata address {:?} is not a URL: {e}",
            crate::client::without_credentials(endpoint)
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "the instance metadata address {:?} must be an http:// or https:// URL",
            crate::client::without_credentials(endpoint)
        )));
    }
    #[cfg(not(feature = "native-tls"))]
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .connect_timeout(TIMEOUT)
        .read_timeout(TIMEOUT)
        // A link-local address: never through a proxy.
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config(format!("could not set up HTTP: {e}")))?;
    Ok(Credentials(crate::auth::Kind::Temporary(Arc::new(
        Temporary {
            endpoint: endpoint.to_owned(),
            http,
            tried,
            current: RwLock::new(None),
            session: Mutex::new(None),
            fetch: tokio::sync::Mutex::new(()),
            refreshing: AtomicBool::new(false),
            retry_at: Mutex::new(None),
        },
    ))))
}

impl Credentials {
    /// Instance-metadata credentials moved to another address; other credentials unchanged.
    pub(crate) fn at_metadata_endpoint(self, url: &str) -> Result<Self> {
        match &self.0 {
            crate::auth::Kind::Temporary(t) => credentials(Some(url), t.tried.clone()),
            _ => Ok(self),
        }
    }
}

/// The temporary credentials of one client (shared by its clones).
pub(crate) struct Temporary {
    endpoint: String,
    http: reqwest::Client,
    tried: Vec<ProviderFailure>,
    current: RwLock<Option<Current>>,
    /// The metadata session token, kept until the service says it expired.
    session: Mutex<Option<String>>,
    /// Held while fetching: one fetch at a time.
    fetch: tokio::sync::Mutex<()>,
    /// A background refresh is under way.
    refreshing: AtomicBool,
    /// No background refresh before this time (after one failed).
    retry_at: Mutex<Option<SystemTime>>,
}

#[derive(Clone)]
struct Current {
    keys: Arc<Keys>,
    expires_at: SystemTime,
}

impl Current {
    fn due(&self, now: SystemTime) -> bool {
        now + REFRESH_BEFORE >= self.expires_at
    }

    fn valid(&self, now: SystemTime) -> bool {
        now < self.expires_at
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Temporary {
    fn current(&self) -> Option<Current> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The keys to sign with at `now`, if the ones at hand are still valid (a refresh starts in
    /// the background when they are due); `None` when they must be fetched first.
    pub(crate) fn keys_now(self: &Arc<Self>, now: SystemTime) -> Option<Arc<Keys>> {
        let current = self.current().filter(|c| c.valid(now))?;
        if current.due(now) {
            self.refresh_in_background(now);
        }
        Some(current.keys)
    }

    /// The keys to sign with at `now`.
    pub(crate) async fn keys(self: &Arc<Self>, now: SystemTime) -> Result<Arc<Keys>> {
        if let Some(keys) = self.keys_now(now) {
            return Ok(keys);
        }
        let _fetching = self.fetch.lock().await;
        // Another request may have fetched while this one waited.
        if let Some(current) = self.current()
            && current.valid(now)
        {
            return Ok(current.keys);
        }
        // Boxed: the fetch is rare, and inline its state would weigh on every request's future.
        match Box::pin(self.fetch_and_keep()).await {
            Ok(keys) => Ok(keys),
            Err(reason) => {
                let mut tried = self.tried.clone();
                tried.push(ProviderFailure {
                    provider: PROVIDER,
                    reason,
                });
                Err(Error::NoCredentials(tried))
            }
        }
    }

    fn refresh_in_background(self: &Arc<Self>, now: SystemTime) {
        if lock(&self.retry_at).is_some_and(|at| now < at)
            || self.refreshing.swap(true, Ordering::AcqRel)
        {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            {
                let _fetching = this.fetch.lock().await;
                // Refreshed by a waiting request meanwhile?
                if this.current().is_none_or(|c| c.due(now)) {
                    match this.fetch_and_keep().await {
                        Ok(_) => *lock(&this.retry_at) = None,
                        Err(reason) => {
                            tracing::warn!(
                                %reason,
                                "could not refresh the temporary credentials from instance \
                                 metadata; the current ones stay in use and the refresh is tried \
                                 again in a minute"
                            );
                            *lock(&this.retry_at) = Some(now + RETRY_AFTER_FAILURE);
                        }
                    }
                }
            }
            this.refreshing.store(false, Ordering::Release);
        });
    }

    async fn fetch_and_keep(&self) -> std::result::Result<Arc<Keys>, String> {
        let fetched = self.fetch().await?;
        let keys = Arc::new(Keys::new(
            fetched.access,
            fetched.secret,
            None,
            Some(fetched.securitytoken),
        ));
        // Checked once here, not at every request that signs with them.
        keys.check()
            .map_err(|e| format!("the credentials it gave are not usable: {e}"))?;
        let expires_at = parse_expiry(&fetched.expires_at)
            .ok_or_else(|| format!("expires_at {:?} is not a time", fetched.expires_at))?;
        tracing::debug!(
            access_key = %keys.access_key,
            expires_at = %fetched.expires_at,
            "fetched temporary credentials from instance metadata"
        );
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Current {
            keys: keys.clone(),
            expires_at,
        });
        Ok(keys)
    }

    /// One fetch: a session token if there is none, the keys, and one more try with a new
    /// session token if the service says the old one expired.
    async fn fetch(&self) -> std::result::Result<Fetched, String> {
        let mut retried = false;
        loop {
            let kept = lock(&self.session).clone();
            let session = match kept {
                Some(s) => Some(s),
                None => self.session_token().await?,
            };
            let mut request = self
                .http
                .get(format!("{}/openstack/latest/securitykey", self.endpoint));
            if let Some(s) = &session {
                request = request.header("X-Metadata-Token", s);
            }
            let response = request.send().await.map_err(|e| self.unreachable(e))?;
            let status = response.status();
            let body = response.text().await.map_err(|e| self.unreachable(e))?;
            if status == StatusCode::UNAUTHORIZED
                && !retried
                && !body.contains("Please configure Cloud Service Agency first")
            {
                *lock(&self.session) = None;
                retried = true;
                continue;
            }
            if !status.is_success() {
                return Err(format!(
                    "{}/openstack/latest/securitykey answered {status}: {}",
                    self.endpoint,
                    excerpt(&body)
                ));
            }
            return serde_json::from_str::<SecurityKey>(&body)
                .map(|k| k.credential)
                .map_err(|e| format!("the securitykey answer is not the documented JSON: {e}"));
        }
    }

    async fn session_token(&self) -> std::result::Result<Option<String>, String> {
        let response = self
            .http
            .put(format!("{}/meta-data/latest/api/token", self.endpoint))
            .header("X-Metadata-Token-Ttl-Seconds", "21600")
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        match response.status() {
            s if s.is_success() => {
                let token = response.text().await.map_err(|e| self.unreachable(e))?;
                let token = token.trim().to_owned();
                *lock(&self.session) = Some(token.clone());
                Ok(Some(token))
            }
            // No token service: the SDK goes on without one.
            StatusCode::NOT_FOUND
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::SERVICE_UNAVAILABLE => Ok(None),
            s => Err(format!(
                "{}/meta-data/latest/api/token answered {s}",
                self.endpoint
            )),
        }
    }

    fn unreachable(&self, e: reqwest::Error) -> String {
        format!(
            "{} is unreachable: {}",
            self.endpoint,
            crate::error::chain(&e)
        )
    }
}

fn excerpt(body: &str) -> String {
    body.chars().take(200).collect()
}

#[derive(Deserialize)]
struct SecurityKey {
    credential: Fetched,
}

#[derive(Deserialize)]
struct Fetched {
    access: String,
    secret: String,
    securitytoken: String,
    expires_at: String,
}

/// `%Y-%m-%dT%H:%M:%S.%fZ` (the fraction optional), UTC.
pub(crate) fn parse_expiry(value: &str) -> Option<SystemTime> {
    let (whole, rest) = value
        .split_once('.')
        .unwrap_or((value.trim_end_matches('Z'), "Z"));
    if !rest.ends_with('Z') || !rest[..rest.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let compact: String = whole.chars().filter(|c| !matches!(c, '-' | ':')).collect();
    crate::signer::parse_sdk_date(&format!("{compact}Z"))
}

impl fmt::Debug for Temporary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.current() {
            Some(c) => c.keys.debug("Credentials::InstanceMetadata", f),
            None => f
                .debug_struct("Credentials::InstanceMetadata")
                .field(
                    "endpoint",
                    &crate::client::without_credentials(&self.endpoint),
                )
                .finish_non_exhaustive(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_times_in_the_sdk_format() {
        let t = parse_expiry("2026-11-24T12:00:00.000000Z").unwrap();
        assert_eq!(crate::signer::format_sdk_date(t), "20261124T120000Z");
        assert_eq!(parse_expiry("2026-11-24T12:00:00Z"), Some(t));
        for bad in [
            "",
            "2026-11-24",
            "2026-11-24T12:00:00.0x0Z",
            "2026-11-24T12:00:00.000",
        ] {
            assert_eq!(parse_expiry(bad), None, "{bad}");
        }
    }
}

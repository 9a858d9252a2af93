//! The entry point: one client for both services, built from code or from the environment.

mod env;
mod regions_file;

use std::{fmt, sync::Arc, time::Duration};

use reqwest::header::HeaderValue;

use crate::{
    Credentials, Error, Result,
    clock::{Clock, SystemClock},
    pipeline::{Missing, Pipeline, Shared},
    region::{Service, known_regions},
    retry::RetryPolicy,
};

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default timeout of a whole attempt, from connecting to the last byte of the response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default limit on the size of a response body; larger bodies are reported, not read.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// A client for CodeArts Repo and CodeArts Check.
///
/// [`Client::repo`] and [`Client::check`] give the generated clients, whose methods are the
/// operations (`add_group_webhook`, `update_code_check_webhook`, ...); both share one connection
/// pool, the credentials and the retry policy.
///
/// ```no_run
/// use codearts_webhooks::{Client, Credentials};
///
/// # async fn run() -> Result<(), codearts_webhooks::Error> {
/// let client = Client::builder()
///     .credentials(Credentials::aksk("AK...", "SK..."))
///     .region("cn-north-4")
///     .build()?;
/// let hook = client
///     .repo()
///     .show_project_webhook()
///     .project_id("a642c851d4dc4853b595e5c8a5e56df7")
///     .hook_id(1)
///     .send()
///     .await?;
/// println!("{:?}", hook.url);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    repo: crate::repo::Client,
    check: crate::check::Client,
}

impl Client {
    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Builds a client with credentials and endpoints found as the official SDK finds them:
    /// environment, profile file, instance metadata; see [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env()?.build()
    }

    /// The CodeArts Repo client: webhooks, delivery logs and notification subscriptions.
    pub fn repo(&self) -> &crate::repo::Client {
        &self.repo
    }

    /// The CodeArts Check client: the task webhook switch.
    pub fn check(&self) -> &crate::check::Client {
        &self.check
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("repo_endpoint", &self.repo.baseurl)
            .field("check_endpoint", &self.check.baseurl)
            .field("repo", &self.repo.inner)
            .field("check", &self.check.inner)
            .finish()
    }
}

/// Builds a [`Client`]. Credentials and either a region or the endpoints are required.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    credentials: Option<Credentials>,
    region: Option<String>,
    repo_endpoints: Option<Vec<String>>,
    check_endpoints: Option<Vec<String>>,
    iam_endpoint: Option<String>,
    project_id_lookup: Option<bool>,
    metadata_endpoint: Option<String>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
    clock: Option<Arc<dyn Clock>>,
    proxy: Option<String>,
    env_proxy: Option<bool>,
    max_response_bytes: Option<usize>,
    correct_clock_skew: Option<bool>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("repo_endpoints", &shown(&self.repo_endpoints))
            .field("check_endpoints", &shown(&self.check_endpoints))
            .field(
                "iam_endpoint",
                &self.iam_endpoint.as_deref().map(without_credentials),
            )
            .field("proxy", &self.proxy.as_deref().map(without_credentials))
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

fn shown(list: &Option<Vec<String>>) -> Option<Vec<String>> {
    list.as_ref()
        .map(|l| l.iter().map(|u| without_credentials(u)).collect())
}

impl ClientBuilder {
    /// The credentials every request carries.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The Huawei Cloud region, e.g. `cn-north-4`: picks both services' official endpoints.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The CodeArts Repo endpoint, e.g. `https://codehub-ext.cn-north-4.myhuaweicloud.com`;
    /// wins over the region's.
    pub fn repo_endpoint(mut self, url: impl Into<String>) -> Self {
        self.repo_endpoints = Some(vec![url.into()]);
        self
    }

    /// Several CodeArts Repo endpoints, tried in order: a call moves on to the next when no
    /// connection can be made to the current one (and later calls start there).
    pub fn repo_endpoints<I: IntoIterator<Item = S>, S: Into<String>>(mut self, urls: I) -> Self {
        self.repo_endpoints = Some(urls.into_iter().map(Into::into).collect());
        self
    }

    /// The CodeArts Check endpoint; wins over the region's.
    pub fn check_endpoint(mut self, url: impl Into<String>) -> Self {
        self.check_endpoints = Some(vec![url.into()]);
        self
    }

    /// Several CodeArts Check endpoints, tried in order (see [`ClientBuilder::repo_endpoints`]).
    pub fn check_endpoints<I: IntoIterator<Item = S>, S: Into<String>>(mut self, urls: I) -> Self {
        self.check_endpoints = Some(urls.into_iter().map(Into::into).collect());
        self
    }

    /// The IAM endpoint the project id is looked up from (default: the profile file's
    /// `iam_endpoint`, else `https://iam.<region>.myhuaweicloud.com`).
    pub fn iam_endpoint(mut self, url: impl Into<String>) -> Self {
        self.iam_endpoint = Some(url.into());
        self
    }

    /// Whether AK/SK credentials without a project id get it from IAM, as the official SDK does
    /// (default `true`; needs a region): `GET /v3/projects?name=<region>`, signed, once per
    /// access key for the client's life, before the first request; then every request carries
    /// `X-Project-Id`. Off: requests go without a project id.
    pub fn project_id_lookup(mut self, yes: bool) -> Self {
        self.project_id_lookup = Some(yes);
        self
    }

    /// Where instance-metadata credentials are fetched from (default
    /// `HUAWEICLOUD_SDK_METADATA_ENDPOINT`, else `http://169.254.169.254`), for credentials
    /// from [`Credentials::from_instance_metadata`] or the default chain.
    pub fn metadata_endpoint(mut self, url: impl Into<String>) -> Self {
        self.metadata_endpoint = Some(url.into());
        self
    }

    /// How long to wait for a connection (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long one attempt may take in all (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// When to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The `User-Agent` header (default `codearts-webhooks-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// The clock the signer reads (default the system clock); fix it to pin signatures in tests.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Sends every request through this HTTP(S) proxy, e.g. `http://proxy.example:3128`; wins
    /// over the environment's.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Whether to honour `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (and their
    /// lower-case forms) from the environment, as the official SDK's HTTP session does (default
    /// `true`). An explicit [`ClientBuilder::proxy`] wins either way.
    pub fn env_proxy(mut self, yes: bool) -> Self {
        self.env_proxy = Some(yes);
        self
    }

    /// Whether to correct for a skewed clock (default `true`): when the API gateway refuses an
    /// AK/SK signature as expired (more than 15 minutes from its time), the client learns the
    /// offset from its answer, signs again with the corrected time and resends once (for any
    /// method: the gateway refused the request before the service saw it), and keeps the offset
    /// for later requests. A warning is logged once. Off: the refusal is returned as the error.
    pub fn correct_clock_skew(mut self, yes: bool) -> Self {
        self.correct_clock_skew = Some(yes);
        self
    }

    /// The largest response body read (default [`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client> {
        let mut credentials = self.credentials.ok_or_else(|| {
            Error::Config("no credentials: call .credentials(..), or use Client::from_env()".into())
        })?;
        credentials.check()?;
        if let Some(url) = &self.metadata_endpoint {
            credentials = credentials.at_metadata_endpoint(url)?;
        }
        // Each service is resolved on its own, as the official SDK does: a region outside the
        // tables (a private cloud) is fine for a service whose endpoint is given.
        let any_explicit = self.repo_endpoints.is_some() || self.check_endpoints.is_some();
        if let Some(region) = &self.region
            && !any_explicit
            && Service::Repo.endpoint(region).is_none()
            && Service::Check.endpoint(region).is_none()
        {
            return Err(Error::Config(format!(
                "unknown region {region:?}; known regions: {}",
                known_regions().join(", ")
            )));
        }
        let endpoints = |service: Service,
                         explicit: Option<Vec<String>>|
         -> Result<(Vec<String>, Option<Missing>)> {
            match explicit {
                Some(urls) if urls.is_empty() => Err(Error::Config(format!(
                    "the list of {service} endpoints is empty"
                ))),
                Some(urls) => Ok((
                    urls.iter()
                        .map(|u| check_endpoint_url(service, u))
                        .collect::<Result<_>>()?,
                    None,
                )),
                None => match self.region.as_deref().map(|r| (r, service.endpoints(r))) {
                    Some((_, urls)) if !urls.is_empty() => Ok((urls, None)),
                    Some((region, _)) => Ok((
                        vec![unreachable_base()],
                        Some(Missing::NotInRegion(region.to_owned())),
                    )),
                    None => Ok((
                        vec![unreachable_base()],
                        Some(Missing::NoEndpoint(format!(
                            "no endpoint for {service}: set .region(..) or .{}",
                            service.endpoint_setter()
                        ))),
                    )),
                },
            }
        };
        let (repo_urls, repo_missing) = endpoints(Service::Repo, self.repo_endpoints)?;
        let (check_urls, check_missing) = endpoints(Service::Check, self.check_endpoints)?;
        if let (Some(Missing::NoEndpoint(msg)), Some(Missing::NoEndpoint(_))) =
            (&repo_missing, &check_missing)
        {
            return Err(Error::Config(format!(
                "{msg}; no endpoint for CodeArts Check either"
            )));
        }
        let project = match (&self.region, self.project_id_lookup.unwrap_or(true)) {
            (Some(region), true) if credentials.signs() && !credentials.has_project_id() => {
                if let Some(url) = &self.iam_endpoint {
                    check_endpoint_url_named("IAM", url)?;
                }
                Some(Arc::new(crate::project::Lookup::new(
                    region.clone(),
                    self.iam_endpoint.clone(),
                )))
            }
            _ => None,
        };

        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let http = http_client(
            self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            timeout,
            self.proxy.as_deref(),
            self.env_proxy.unwrap_or(true),
        )?;
        let user_agent = self
            .user_agent
            .unwrap_or_else(|| format!("codearts-webhooks-rust/{}", env!("CARGO_PKG_VERSION")));
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|_| {
            Error::Config("the user agent contains a character not allowed in a header".into())
        })?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let retry = self.retry.unwrap_or_default();
        let max_response_bytes = self
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        let skew = Arc::new(crate::skew::Skew::new(
            self.correct_clock_skew.unwrap_or(true),
        ));
        let pipeline = |service: Service, urls: Vec<String>, missing: Option<Missing>| {
            Ok::<_, Error>(Pipeline::new(Shared {
                service,
                credentials: credentials.clone(),
                retry: retry.clone(),
                clock: clock.clone(),
                user_agent: user_agent.clone(),
                missing,
                max_response_bytes,
                timeout,
                skew: skew.clone(),
                endpoints: crate::pipeline::Endpoints::new(urls)?,
                project: project.clone(),
                jitter: crate::retry::Jitter::new(),
            }))
        };
        Ok(Client {
            repo: crate::repo::Client::new_with_client(
                &repo_urls[0],
                http.clone(),
                pipeline(Service::Repo, repo_urls.clone(), repo_missing)?,
            ),
            check: crate::check::Client::new_with_client(
                &check_urls[0],
                http,
                pipeline(Service::Check, check_urls.clone(), check_missing)?,
            ),
        })
    }
}

/// Base URL of a service with no endpoint; `pre` refuses every call before it is used.
fn unreachable_base() -> String {
    "http://endpoint.not.configured.invalid".to_owned()
}

fn check_endpoint_url(service: Service, url: &str) -> Result<String> {
    check_endpoint_url_named(&service.to_string(), url)
}

fn check_endpoint_url_named(service: &str, url: &str) -> Result<String> {
    let shown = without_credentials(url);
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        Error::Config(format!(
            "the {service} endpoint {shown:?} is not a URL: {e}"
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::Config(format!(
            "the {service} endpoint {shown:?} must be an http:// or https:// URL with a host"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "the {service} endpoint {shown:?} must not have a query or fragment"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(format!(
            "the {service} endpoint {shown:?} must not carry a user name or password"
        )));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// A URL as it may be shown in a message: any `user:password@` replaced by `***@`. Works on text
/// that does not parse as a URL too, since that is when it is shown.
pub(crate) fn without_credentials(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

fn http_client(
    connect_timeout: Duration,
    timeout: Duration,
    proxy: Option<&str>,
    env_proxy: bool,
) -> Result<reqwest::Client> {
    #[cfg(not(feature = "native-tls"))]
    {
        // reqwest is built without a default crypto provider (aws-lc-rs is slow to build); ring
        // is installed as the process default unless the application installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        // As the official SDK: a redirect is an answer to report, not to follow with credentials.
        .redirect(reqwest::redirect::Policy::none())
        // The pipeline owns retries. reqwest's own layer would resend only what HTTP/2 says was
        // not processed, which the pipeline counts as refused (`pipeline::unprocessed`), and it
        // clones every request it sends to be able to.
        .retry(reqwest::retry::never().max_retries_per_request(0));
    if !env_proxy {
        builder = builder.no_proxy();
    }
    #[cfg(feature = "native-tls")]
    {
        builder = builder.tls_backend_native();
    }
    if let Some(proxy) = proxy {
        let proxy = reqwest::Proxy::all(proxy).map_err(|e| {
            let shown = without_credentials(proxy);
            Error::Config(format!("the proxy {shown:?} is not a valid proxy URL: {e}"))
        })?;
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| Error::Config(format!("could not set up HTTP: {e}")))
}

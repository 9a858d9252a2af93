//! The IAM project id, looked up as the official SDK does when AK/SK credentials have none:
//! `GET {iam}/v3/projects?name={region}`, signed, once per access key and region for the
//! client's life (clones share it), before the first request that needs it. A lookup that fails
//! on the way (no connection, a 5xx, a 429) is tried again as the client's retry policy says,
//! the same decision as for any GET (`retry::decide`).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Instant, SystemTime},
};

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::{
    Error, Result,
    auth::Keys,
    retry::{self, Attempted, Decision, Jitter, RetryPolicy},
};

/// What the lookup's retries go by: the client's policy and its source of jitter.
pub(crate) struct Retries<'a> {
    pub policy: &'a RetryPolicy,
    pub jitter: &'a Jitter,
}

/// The environment variable the official SDK reads for the IAM endpoint.
pub(crate) const IAM_ENDPOINT_VAR: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";

/// The IAM endpoint of a region, as the official SDK builds it.
pub(crate) fn default_iam_endpoint(region: &str) -> String {
    format!("https://iam.{region}.myhuaweicloud.com")
}

/// Looks up, and keeps, the project id of one region.
pub(crate) struct Lookup {
    region: String,
    /// Given on the builder or by `HUAWEICLOUD_SDK_IAM_ENDPOINT`; wins over the credentials'.
    iam_endpoint: Option<String>,
    /// One cell per access key: concurrent first requests wait for one lookup.
    found: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
}

impl Lookup {
    pub(crate) fn new(region: String, iam_endpoint: Option<String>) -> Self {
        Lookup {
            region,
            iam_endpoint,
            found: Mutex::new(HashMap::new()),
        }
    }

    /// The project id for `keys`, if it was looked up already.
    pub(crate) fn known(&self, keys: &Keys) -> Option<String> {
        let found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        found.get(&keys.access_key)?.get().cloned()
    }

    /// The project id for `keys`, looked up on first use. A failed lookup is not kept: the
    /// next request tries again.
    pub(crate) async fn project_id(
        &self,
        http: &reqwest::Client,
        keys: &Keys,
        now: SystemTime,
        retries: Retries<'_>,
    ) -> Result<String> {
        let cell = {
            let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
            match found.get(&keys.access_key) {
                Some(cell) => cell.clone(),
                None => found.entry(keys.access_key.clone()).or_default().clone(),
            }
        };
        if let Some(id) = cell.get() {
            return Ok(id.clone());
        }
        // Boxed: the lookup runs once, and inline its state would weigh on every request's
        // future.
        cell.get_or_try_init(|| Box::pin(self.fetch_until_done(http, keys, now, retries)))
            .await
            .cloned()
    }

    /// Looks up until an attempt succeeds or the retry policy says stop; each attempt is signed
    /// at its own time (`now` moved on by the time spent).
    async fn fetch_until_done(
        &self,
        http: &reqwest::Client,
        keys: &Keys,
        now: SystemTime,
        retries: Retries<'_>,
    ) -> Result<String> {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let at = now + start.elapsed();
            let (error, attempted) = match self.fetch(http, keys, at, retries.policy).await {
                Ok(id) => return Ok(id),
                Err(failed) => failed,
            };
            let Some(attempted) = attempted else {
                return Err(error);
            };
            match retry::decide(
                retries.policy,
                attempt,
                &Method::GET,
                attempted,
                start.elapsed(),
                || retries.jitter.next(),
            ) {
                Decision::Retry(wait) => {
                    tracing::debug!(
                        region = %self.region,
                        attempt,
                        ?wait,
                        error = %error,
                        "the project id lookup will be tried again"
                    );
                    tokio::time::sleep(wait).await;
                }
                Decision::Stop => return Err(error),
            }
        }
    }

    /// One lookup. A failure comes with what the attempt came to, for the retry decision, or
    /// `None` when trying again cannot help (an IAM endpoint that is not a URL, an answer that
    /// does not name exactly one project).
    async fn fetch(
        &self,
        http: &reqwest::Client,
        keys: &Keys,
        now: SystemTime,
        policy: &RetryPolicy,
    ) -> std::result::Result<String, (Error, Option<Attempted>)> {
        let iam = self
            .iam_endpoint
            .clone()
            .or_else(|| keys.iam_endpoint.clone())
            .unwrap_or_else(|| default_iam_endpoint(&self.region));
        let iam = iam.trim_end_matches('/');
        let error = |message: String, status, trace_id| Error::ProjectId {
            region: self.region.clone(),
            message,
            status,
            trace_id,
        };
        let mut url = reqwest::Url::parse(&format!("{iam}/v3/projects")).map_err(|e| {
            let message = format!("the IAM endpoint {iam:?} is not a URL: {e}");
            (error(message, None, None), None)
        })?;
        url.query_pairs_mut().append_pair("name", &self.region);
        crate::signer::canonicalize_query(&mut url);
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        keys.sign(&mut request, now, None);
        tracing::debug!(region = %self.region, %iam, "looking up the project id");
        let response = http.execute(request).await.map_err(|e| {
            let attempted = match e.is_connect() {
                true => Attempted::Refused,
                false => Attempted::Failed,
            };
            let message = format!(
                "IAM at {iam} could not be reached: {}",
                crate::error::chain(&e)
            );
            (error(message, None, None), Some(attempted))
        })?;
        let status = response.status();
        let trace_id = response
            .headers()
            .get("x-iam-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = policy.retry_after(response.headers(), now);
        let body = response.bytes().await.map_err(|e| {
            let message = format!(
                "IAM's answer could not be read: {}",
                crate::error::chain(&e)
            );
            let error = error(message, Some(status), trace_id.clone());
            (error, Some(Attempted::Failed))
        })?;
        if status != StatusCode::OK {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            let message = format!("IAM answered {status}: {excerpt}");
            let error = error(message, Some(status), trace_id);
            return Err((error, Some(Attempted::Status(status, retry_after))));
        }
        let projects: Projects = serde_json::from_slice(&body).map_err(|e| {
            let message = format!("IAM's answer is not a list of projects: {e}");
            (error(message, Some(status), trace_id.clone()), None)
        })?;
        let error = |message, trace_id| (error(message, Some(status), trace_id), None);
        match projects.projects.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(error(
                format!(
                    "IAM lists no project named {:?}; confirm that the project exists, or set the \
                     project id (Credentials::with_project_id or HUAWEICLOUD_SDK_PROJECT_ID)",
                    self.region
                ),
                trace_id,
            )),
            several => Err(error(
                format!(
                    "IAM lists {} projects named {:?} ({}); set the project id \
                     (Credentials::with_project_id or HUAWEICLOUD_SDK_PROJECT_ID)",
                    several.len(),
                    self.region,
                    several
                        .iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                trace_id,
            )),
        }
    }
}

#[derive(Deserialize)]
struct Projects {
    projects: Vec<Project>,
}

#[derive(Deserialize)]
struct Project {
    id: String,
}

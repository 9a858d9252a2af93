//! The IAM project id, looked up as the official SDK does when AK/SK credentials have none:
//! `GET {iam}/v3/projects?name={region}`, signed, once per access key and region for the
//! client's life (clones share it), before the first request that needs it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::SystemTime,
};

use reqwest::StatusCode;
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::{Error, Result, auth::Keys};

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
        cell.get_or_try_init(|| Box::pin(self.fetch(http, keys, now)))
            .await
            .cloned()
    }

    async fn fetch(&self, http: &reqwest::Client, keys: &Keys, now: SystemTime) -> Result<String> {
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
            error(
                format!("the IAM endpoint {iam:?} is not a URL: {e}"),
                None,
                None,
            )
        })?;
        url.query_pairs_mut().append_pair("name", &self.region);
        crate::signer::canonicalize_query(&mut url);
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        keys.sign(&mut request, now, None);
        tracing::debug!(region = %self.region, %iam, "looking up the project id");
        let response = http.execute(request).await.map_err(|e| {
            error(
                format!(
                    "IAM at {iam} could not be reached: {}",
                    crate::error::chain(&e)
                ),
                None,
                None,
            )
        })?;
        let status = response.status();
        let trace_id = response
            .headers()
            .get("x-iam-trace-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|e| {
            error(
                format!(
                    "IAM's answer could not be read: {}",
                    crate::error::chain(&e)
                ),
                Some(status),
                trace_id.clone(),
            )
        })?;
        if status != StatusCode::OK {
            let excerpt: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(error(
                format!("IAM answered {status}: {excerpt}"),
                Some(status),
                trace_id,
            ));
        }
        let projects: Projects = serde_json::from_slice(&body).map_err(|e| {
            error(
                format!("IAM's answer is not a list of projects: {e}"),
                Some(status),
                trace_id.clone(),
            )
        })?;
        match projects.projects.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(error(
                format!(
                    "IAM lists no project named {:?}; confirm that the project exists, or set the \
                     project id (Credentials::with_project_id or HUAWEICLOUD_SDK_PROJECT_ID)",
                    self.region
                ),
                Some(status),
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
                Some(status),
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

//! The two services around CodeArts that finding credentials needs: the instance metadata
//! service of an ECS server (session token, temporary keys) and IAM's project list.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use http::{Method, Response, StatusCode, request::Parts};
use http_body_util::Full;
use serde_json::json;

use super::auth::Auth;

type Answer = Response<Full<Bytes>>;

/// The operation names the fake counts these requests under (and faults are injected by).
pub const METADATA_TOKEN: &str = "MetadataToken";
/// See [`METADATA_TOKEN`].
pub const METADATA_SECURITY_KEY: &str = "MetadataSecurityKey";
/// See [`METADATA_TOKEN`]; IAM's own name for the operation.
pub const KEYSTONE_LIST_PROJECTS: &str = "KeystoneListProjects";

/// The project id the fake's IAM gives any region it was told nothing about.
pub const DEFAULT_PROJECT_ID: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Which of these a request is, by method and path.
pub(super) fn operation_of(method: &Method, path: &str) -> Option<&'static str> {
    match (method, path) {
        (&Method::PUT, "/meta-data/latest/api/token") => Some(METADATA_TOKEN),
        (&Method::GET, "/openstack/latest/securitykey") => Some(METADATA_SECURITY_KEY),
        (&Method::GET, "/v3/projects") => Some(KEYSTONE_LIST_PROJECTS),
        _ => None,
    }
}

#[derive(Debug)]
pub(crate) struct Identity {
    /// How long the temporary keys issued from now on stay valid.
    pub lifetime: Duration,
    sessions: HashSet<String>,
    issued: u64,
    /// Projects per region name; a region not here has one, [`DEFAULT_PROJECT_ID`].
    pub projects: HashMap<String, Vec<String>>,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            lifetime: Duration::from_secs(6 * 3600),
            sessions: HashSet::new(),
            issued: 0,
            projects: HashMap::new(),
        }
    }
}

impl Identity {
    /// Session tokens issued so far are refused from now on.
    pub fn expire_sessions(&mut self) {
        self.sessions.clear();
    }
}

/// Answers a request of one of these operations. Metadata needs no credentials (the instance
/// is its own proof); IAM checks the signature.
pub(super) fn answer(
    operation: &str,
    parts: &Parts,
    body: &[u8],
    identity: &mut Identity,
    auth: &Auth,
    now: SystemTime,
    request_id: &str,
) -> Answer {
    match operation {
        METADATA_TOKEN => {
            let ttl = parts
                .headers
                .get("x-metadata-token-ttl-seconds")
                .and_then(|v| v.to_str().ok()?.parse::<u32>().ok());
            if !ttl.is_some_and(|t| (1..=21600).contains(&t)) {
                return text(
                    StatusCode::BAD_REQUEST,
                    "X-Metadata-Token-Ttl-Seconds is required",
                );
            }
            identity.issued += 1;
            let session = format!("fake-metadata-session-{}", identity.issued);
            identity.sessions.insert(session.clone());
            text(StatusCode::OK, &session)
        }
        METADATA_SECURITY_KEY => {
            let session = parts
                .headers
                .get("x-metadata-token")
                .and_then(|v| v.to_str().ok());
            if let Some(s) = session
                && !identity.sessions.contains(s)
            {
                return text(StatusCode::UNAUTHORIZED, "the metadata token has expired");
            }
            identity.issued += 1;
            let n = identity.issued;
            let expires_at = now + identity.lifetime;
            let (access, secret, token) = (
                format!("FAKETEMPAK{n:06}"),
                format!("fake-temporary-secret-{n}"),
                format!("fake-security-token-{n}"),
            );
            auth.add_temporary(&access, &secret, &token, expires_at);
            json_answer(
                StatusCode::OK,
                &json!({ "credential": {
                    "access": access,
                    "secret": secret,
                    "securitytoken": token,
                    "expires_at": expiry(expires_at),
                }}),
            )
        }
        _ => {
            let mut answer = match auth.check(parts, body, now) {
                Err(why) => super::routes::gateway_refusal(&why, request_id),
                Ok(()) => {
                    let name = parts
                        .uri
                        .query()
                        .map(crate::signer::query_pairs)
                        .unwrap_or_default()
                        .into_iter()
                        .find(|(k, _)| k == "name")
                        .map(|(_, v)| v);
                    let projects: Vec<_> = match &name {
                        None => Vec::new(),
                        Some(region) => identity
                            .projects
                            .get(region)
                            .cloned()
                            .unwrap_or_else(|| vec![DEFAULT_PROJECT_ID.to_owned()])
                            .into_iter()
                            .map(|id| json!({ "id": id, "name": region, "enabled": true }))
                            .collect(),
                    };
                    json_answer(StatusCode::OK, &json!({ "projects": projects }))
                }
            };
            if let Ok(v) = http::HeaderValue::from_str(&format!("iam-{request_id}")) {
                answer.headers_mut().insert("x-iam-trace-id", v);
            }
            answer
        }
    }
}

/// `expires_at` as the metadata service writes it: `%Y-%m-%dT%H:%M:%S.%fZ`.
fn expiry(at: SystemTime) -> String {
    let d = crate::signer::format_sdk_date(at);
    format!(
        "{}-{}-{}T{}:{}:{}.000000Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

fn text(status: StatusCode, body: &str) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = status;
    r
}

fn json_answer(status: StatusCode, body: &serde_json::Value) -> Answer {
    let mut r = text(status, &body.to_string());
    r.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    r
}

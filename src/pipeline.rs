//! What happens to every request of the generated clients, through progenitor's `ClientHooks`:
//!
//! - `pre`: refuse a call to a service the region lacks, drop progenitor's `api-version` header
//!   (the service defines none), and check the request against the description (`validate`).
//! - `exec`: for each attempt, clone the request, add the user agent and the credentials (a fresh
//!   signature each time), send it, and retry what is safe to retry; then read the body (bounded),
//!   put the service's error code and message into a canonical JSON body, and turn a success body
//!   that cannot be decoded into a body error that keeps the status and request id
//!   (`response`).

mod response;

use std::{fmt, sync::Arc, time::Instant};

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{StatusCode, header::HeaderValue};
use tracing::{Instrument, field};

pub(crate) use response::{BodyRejected, recent, service_error, unexpected};
use response::{ErrorDetails, Rejected, content_type_of, error_details, is_json, request_id};

use crate::{
    Credentials, Error,
    clock::Clock,
    region::Service,
    retry::{RetryPolicy, is_retryable_status},
};

/// The per-client state the hooks use. It is the `inner` value of both generated clients.
#[derive(Clone)]
pub struct Pipeline(Arc<Shared>);

pub(crate) struct Shared {
    pub service: Service,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    pub clock: Arc<dyn Clock>,
    pub user_agent: HeaderValue,
    /// Why this service has no endpoint, if it has none: every call fails with it.
    pub missing: Option<Error>,
    pub max_response_bytes: usize,
}

impl Pipeline {
    pub(crate) fn new(shared: Shared) -> Self {
        Pipeline(Arc::new(shared))
    }

    fn pre(&self, request: &mut reqwest::Request, info: &OperationInfo) -> Result<(), Error> {
        match &self.0.missing {
            None => {}
            Some(Error::ServiceNotInRegion { service, region }) => {
                return Err(Error::ServiceNotInRegion {
                    service: *service,
                    region: region.clone(),
                });
            }
            Some(Error::Config(msg)) => return Err(Error::Config(msg.clone())),
            Some(other) => return Err(Error::Config(other.to_string())),
        }
        request.headers_mut().remove("api-version");
        crate::validate::check_request(crate::spec::of(self.0.service), info.operation_id, request)
    }

    async fn exec(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::info_span!(
            "codearts_request",
            operation = info.operation_id,
            method = %request.method(),
            attempt = field::Empty,
            status = field::Empty,
            request_id = field::Empty,
            duration_ms = field::Empty,
        );
        let start = Instant::now();
        let result = self
            .attempts(client, request, info.operation_id)
            .instrument(span.clone())
            .await;
        span.record("duration_ms", start.elapsed().as_millis() as u64);
        result
    }

    async fn attempts(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let shared = &*self.0;
        let span = tracing::Span::current();
        let resend = shared.retry.may_resend(request.method());
        let mut attempt = 0;
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            let last = attempt >= shared.retry.attempts();
            // Generated requests carry byte bodies, which clone cheaply.
            let Some(mut req) = request.try_clone() else {
                return self.send_once(client, request, operation).await;
            };
            self.prepare(&mut req);
            tracing::debug!(attempt, path = req.url().path(), "sending");
            let wait = match client.execute(req).await {
                Err(e) => {
                    // A refused connection never reached the server: safe to retry for any method.
                    if last || !(e.is_connect() || resend) {
                        return Err(e);
                    }
                    tracing::debug!(attempt, error = %e, "transport error; will retry");
                    shared.retry.backoff(attempt)
                }
                Ok(resp) => {
                    let status = resp.status();
                    span.record("status", status.as_u16());
                    if let Some(id) = request_id(resp.headers()) {
                        span.record("request_id", id);
                    }
                    let asked = shared
                        .retry
                        .retry_after(resp.headers(), std::time::SystemTime::now());
                    match asked {
                        Ok(asked) if !last && resend && is_retryable_status(status) => {
                            tracing::debug!(
                                attempt,
                                status = status.as_u16(),
                                "retryable status; will retry"
                            );
                            asked.unwrap_or_else(|| shared.retry.backoff(attempt))
                        }
                        _ => return self.finish(resp, operation).await,
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Adds what every attempt carries: the user agent and fresh credentials.
    fn prepare(&self, request: &mut reqwest::Request) {
        request
            .headers_mut()
            .insert(reqwest::header::USER_AGENT, self.0.user_agent.clone());
        self.0.credentials.apply(request, self.0.clock.now());
    }

    /// A request whose body is a stream cannot be resent: one attempt.
    async fn send_once(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        operation: &str,
    ) -> reqwest::Result<reqwest::Response> {
        self.prepare(&mut request);
        let resp = client.execute(request).await?;
        self.finish(resp, operation).await
    }

    /// Reads the body and rebuilds the response so that every failure keeps status and request id.
    async fn finish(
        &self,
        mut resp: reqwest::Response,
        operation: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let status = resp.status();
        let max = self.0.max_response_bytes;
        let mut too_large = resp.content_length().is_some_and(|n| n > max as u64);
        // Most bodies arrive in one chunk, kept as is; more chunks are gathered in one buffer.
        let (mut first, mut more, mut len) = (None::<Bytes>, bytes::BytesMut::new(), 0);
        while !too_large {
            match resp.chunk().await? {
                Some(chunk) if len + chunk.len() > max => too_large = true,
                Some(chunk) => {
                    len += chunk.len();
                    if len == chunk.len() {
                        first = Some(chunk);
                    } else {
                        if let Some(f) = first.take() {
                            more.extend_from_slice(&f);
                        }
                        more.extend_from_slice(&chunk);
                    }
                }
                None => break,
            }
        }
        let body = first.unwrap_or_else(|| more.freeze());
        let request_id = request_id(resp.headers()).map(str::to_owned);
        let json = is_json(resp.headers());
        let content_type = content_type_of(resp.headers()).to_owned();
        // Keep the URL: rebuilding a response without one makes reqwest parse a placeholder.
        let mut out =
            reqwest::ResponseBuilderExt::url(http::Response::builder(), resp.url().clone())
                .status(status)
                .version(resp.version());
        if let Some(h) = out.headers_mut() {
            *h = std::mem::take(resp.headers_mut());
        }
        let body = if !status.is_success() {
            let (error_code, error_msg) = error_details(status, &body);
            let canonical = serde_json::json!({ "error_code": error_code, "error_msg": error_msg });
            out = out.extension(ErrorDetails {
                error_code,
                error_msg,
            });
            reqwest::Body::from(canonical.to_string())
        } else if self.has_body(operation, status) {
            let reason = if too_large {
                Some(format!("the body is larger than the {max}-byte limit"))
            } else if !json {
                Some(format!("the content type {content_type:?} is not JSON"))
            } else if body.is_empty() {
                Some("the body is empty where JSON was expected".to_owned())
            } else {
                None
            };
            match reason {
                Some(reason) => {
                    let rejected = BodyRejected::new(status, request_id, reason);
                    out = out.extension(rejected.clone());
                    reqwest::Body::wrap(Rejected(Some(rejected)))
                }
                None => {
                    // Decoded once, by the generated code; if that fails, its error finds the
                    // status and request id here.
                    response::recent::remember(&body, status, request_id);
                    reqwest::Body::from(body)
                }
            }
        } else {
            reqwest::Body::from(body)
        };
        // Building from the parts of a valid response cannot fail.
        Ok(out
            .body(body)
            .map(reqwest::Response::from)
            .unwrap_or_else(|_| {
                reqwest::Response::from(http::Response::new(reqwest::Body::from(Vec::new())))
            }))
    }

    fn has_body(&self, operation: &str, status: StatusCode) -> bool {
        match self.0.service {
            Service::Repo => repo_bodies::has_success_body(operation, status.as_u16()),
            Service::Check => check_bodies::has_success_body(operation, status.as_u16()),
        }
    }
}

mod repo_bodies {
    include!(concat!(env!("OUT_DIR"), "/repo_bodies.rs"));
}

mod check_bodies {
    include!(concat!(env!("OUT_DIR"), "/check_bodies.rs"));
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("service", &self.0.service)
            .field("credentials", &self.0.credentials)
            .field("retry", &self.0.retry)
            .field("missing", &self.0.missing)
            .finish_non_exhaustive()
    }
}

macro_rules! hooks {
    ($client:ty) => {
        impl ClientHooks<Pipeline> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> Result<(), progenitor_client::Error<E>> {
                self.inner
                    .pre(request, info)
                    .map_err(|e| progenitor_client::Error::Custom(encode_hook_error(e)))
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                self.inner.exec(&self.client, request, info).await
            }
        }
    };
}

hooks!(crate::repo::Client);
hooks!(crate::check::Client);

// A hook can only fail with `Error::Custom(String)`; these two keep the structure through it.
const SEP: char = '\u{1f}';

fn encode_hook_error(e: Error) -> String {
    match e {
        Error::InvalidInput { field, rule } => format!("invalid{SEP}{field}{SEP}{rule}"),
        Error::ServiceNotInRegion { service, region } => {
            format!("region{SEP}{service:?}{SEP}{region}")
        }
        Error::Config(msg) => msg,
        other => other.to_string(),
    }
}

pub(crate) fn decode_hook_error(msg: String) -> Error {
    let mut parts = msg.splitn(3, SEP);
    match (parts.next(), parts.next(), parts.next()) {
        (Some("invalid"), Some(field), Some(rule)) => Error::invalid(field, rule),
        (Some("region"), Some(service), Some(region)) => Error::ServiceNotInRegion {
            service: if service == "Check" {
                Service::Check
            } else {
                Service::Repo
            },
            region: region.to_owned(),
        },
        _ => Error::Config(msg),
    }
}

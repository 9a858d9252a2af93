//! What happens to every request of the generated clients, through progenitor's `ClientHooks`:
//!
//! - `pre`: refuse a call to a service the region lacks, drop progenitor's `api-version` header
//!   (the service defines none), and check the request against the description (`validate`).
//! - `exec`: for each attempt, clone the request, add the user agent and the credentials (a fresh
//!   signature each time), send it, and retry what is safe to retry; then read the body (bounded),
//!   put the service's error code and message into a canonical JSON body, and turn a success body
//!   that does not decode into a body error that keeps the status and request id.

use std::{
    fmt,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{
    StatusCode,
    header::{HeaderMap, HeaderValue},
};
use serde_json::Value;
use tracing::{Instrument, field};

use crate::{
    Credentials, Error,
    clock::Clock,
    region::Service,
    retry::{RetryPolicy, is_retryable_status},
};

/// Longest excerpt of an unrecognised error body kept as the error message.
const EXCERPT_CHARS: usize = 512;

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
                    let rejected = BodyRejected {
                        status,
                        request_id,
                        reason,
                        source: None,
                    };
                    out = out.extension(rejected.clone());
                    reqwest::Body::wrap(Rejected(Some(rejected)))
                }
                None => {
                    // Decoded once, by the generated code; if that fails, its error finds the
                    // status and request id here.
                    recent::remember(&body, status, request_id);
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

/// The status and request id of the success bodies this thread handed to the generated code.
///
/// The generated code decodes a success body itself, and a failure gives only the body's bytes
/// (`InvalidResponsePayload`). The error still holds those bytes, so their buffer cannot have
/// been reused for another response: matching it here tells which response it was. The
/// conversion runs on the thread that read the response unless the caller keeps the error
/// across an await; then the record may be gone, and the status is reported as unknown.
pub(crate) mod recent {
    use std::{cell::RefCell, collections::VecDeque};

    use bytes::Bytes;
    use reqwest::StatusCode;

    /// Enough for the responses of a wide `join!` on one task.
    const KEPT: usize = 64;

    struct Seen {
        ptr: usize,
        len: usize,
        status: StatusCode,
        request_id: Option<String>,
    }

    thread_local! {
        static SEEN: RefCell<VecDeque<Seen>> = RefCell::new(VecDeque::with_capacity(KEPT));
    }

    pub(crate) fn remember(body: &Bytes, status: StatusCode, request_id: Option<String>) {
        SEEN.with_borrow_mut(|seen| {
            if seen.len() == KEPT {
                seen.pop_front();
            }
            seen.push_back(Seen {
                ptr: body.as_ptr() as usize,
                len: body.len(),
                status,
                request_id,
            });
        });
    }

    /// The status and request id of the response whose body is `body`, if this thread saw it.
    pub(crate) fn recall(body: &Bytes) -> Option<(StatusCode, Option<String>)> {
        let (ptr, len) = (body.as_ptr() as usize, body.len());
        SEEN.with_borrow(|seen| {
            seen.iter()
                .rev()
                .find(|s| s.ptr == ptr && s.len == len && len > 0)
                .map(|s| (s.status, s.request_id.clone()))
        })
    }
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

/// The error code and message of an error body, found as the official SDK finds them: the first
/// of `error_code`/`error_msg`, `errorCode`/`errorMsg`, `code`/`message` present together, at the
/// top or in a nested object; otherwise the status and an excerpt of the body.
pub(crate) fn error_details(status: StatusCode, body: &[u8]) -> (String, String) {
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    fn find(map: &serde_json::Map<String, Value>) -> Option<(String, String)> {
        for (c, m) in [
            ("error_code", "error_msg"),
            ("errorCode", "errorMsg"),
            ("code", "message"),
        ] {
            if let (Some(c), Some(m)) = (map.get(c), map.get(m)) {
                return Some((text(c), text(m)));
            }
        }
        map.values().filter_map(Value::as_object).find_map(find)
    }
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body)
        && let Some(found) = find(&map)
    {
        return found;
    }
    (status.as_u16().to_string(), excerpt(body))
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn request_id(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok())
}

fn content_type_of(headers: &HeaderMap) -> &str {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// JSON, or no content type at all (some gateways leave it out).
fn is_json(headers: &HeaderMap) -> bool {
    let ct = content_type_of(headers).to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence.is_empty() || essence == "application/json" || essence.ends_with("+json")
}

/// The service's code and message for an error answer, attached to the rebuilt response.
#[derive(Clone, Debug)]
pub(crate) struct ErrorDetails {
    error_code: String,
    error_msg: String,
}

/// Why a success body was rejected; travels as the body's read error, and as an extension.
#[derive(Clone, Debug)]
pub(crate) struct BodyRejected {
    status: StatusCode,
    request_id: Option<String>,
    reason: String,
    source: Option<Arc<serde_json::Error>>,
}

impl BodyRejected {
    pub(crate) fn to_error(&self) -> Error {
        Error::Decode {
            status: Some(self.status),
            request_id: self.request_id.clone(),
            reason: self.reason.clone(),
            source: self
                .source
                .clone()
                .map(|e| Box::new(SharedJsonError(e)) as _),
        }
    }
}

impl fmt::Display for BodyRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for BodyRejected {}

#[derive(Debug)]
struct SharedJsonError(Arc<serde_json::Error>);

impl fmt::Display for SharedJsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedJsonError {}

/// A body whose first read fails with the rejection.
struct Rejected(Option<BodyRejected>);

impl http_body::Body for Rejected {
    type Data = Bytes;
    type Error = BodyRejected;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BodyRejected>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

/// The error of a response the generated code found outside the operation's declared statuses.
pub(crate) fn unexpected(
    status: StatusCode,
    headers: &HeaderMap,
    extensions: &http::Extensions,
) -> Error {
    if let Some(d) = extensions.get::<ErrorDetails>() {
        return service_error(status, headers, d.error_code.clone(), d.error_msg.clone());
    }
    if let Some(r) = extensions.get::<BodyRejected>() {
        return r.to_error();
    }
    Error::Decode {
        status: Some(status),
        request_id: request_id(headers).map(str::to_owned),
        reason: format!("the operation does not declare the status {status}"),
        source: None,
    }
}

pub(crate) fn service_error(
    status: StatusCode,
    headers: &HeaderMap,
    error_code: String,
    error_msg: String,
) -> Error {
    Error::Service(crate::ServiceError {
        status,
        error_code,
        error_msg,
        request_id: request_id(headers).map(str::to_owned),
    })
}

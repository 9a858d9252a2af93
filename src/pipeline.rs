//! The one path every request of the generated clients takes, through progenitor's `exec` hook.
//!
//! 0. **Inputs** ([`Pipeline::check`]): before a generated `send` writes its URL, it refuses a
//!    service without an endpoint and checks its parameters and its body, as the typed values
//!    they are, against the description (`validate`), naming its operation by reference into
//!    the table build.rs read off the generated code (`operations`; build.rs puts the call into
//!    every `send`, so every request that reaches `exec` passed it). A failure is carried back
//!    like every other (`carry`). The check's walk measures the body's JSON too, and the `send`
//!    writes the body into a buffer of that length ([`json`]), not one that grows.
//! 1. **Preflight** (`exec`): put the query into the one encoding every request uses (RFC 3986,
//!    sorted, as the official SDK sends it). This runs before the call's future ([`Call`]) is
//!    made, so that the future holds only the span and the boxed attempts.
//! 2. **Attempts** (`attempt`): for each attempt, resolve the credentials (temporary ones are
//!    fetched or refreshed, `provider::metadata`; a missing project id is looked up once,
//!    `project`), add the user agent and the credentials (a new signature each time), send to the
//!    current endpoint (`endpoints`: the next one when no connection can be made), and read the
//!    body (bounded) as part of the same attempt, so a body cut short or stalled is a failed
//!    attempt like a failure before the headers.
//! 3. **Decide** (`retry::decide`): a pure function of the attempt number, the method, what
//!    happened and the time spent says whether to wait and try again. A request HTTP/2 says the
//!    server did not take counts as a refused connection (`unprocessed`); reqwest's own retry
//!    layer is off, so every retry is decided here.
//! 4. **Answer** (`answer`): an error status, like every failure before it (bad input, no
//!    endpoint, a transport failure), becomes the crate's [`Error`] right here, while status and
//!    request id are at hand, and travels to the caller inside the response handed back
//!    (`carry`). A success goes on to the generated code with the body the attempt read. (So
//!    the generated arms that decode an error body are never reached; build.rs removes them.)
//! 5. **Decode** (`decode`): build.rs makes every success arm of the generated code decode
//!    through [`decode`] instead of progenitor's own `from_response`, so a body that does not
//!    decode is carried the same way, with its own status and request id. The body is decoded
//!    once. `convert` takes a carried error out when the caller turns the generated error into
//!    [`Error`] (with `?`).

mod answer;
mod attempt;
mod carry;
mod convert;
mod decode;
mod endpoints;
mod json;
mod replay;
mod segment;
mod unprocessed;

pub(crate) use convert::builder_error;
pub(crate) use decode::decode;
pub(crate) use endpoints::Endpoints;
pub(crate) use json::json;
pub(crate) use segment::Segment;

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::HeaderValue;
use tracing::field;

use crate::{
    Credentials, Error, clock::Clock, operations::OperationId, region::Service, retry::RetryPolicy,
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
    pub missing: Option<Missing>,
    pub max_response_bytes: usize,
    /// The timeout of one attempt, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// The client's clock skew, shared by both services' pipelines.
    pub skew: Arc<crate::skew::Skew>,
    /// The service's endpoints, the first one the generated client's; later ones are tried when
    /// a connection to the current one cannot be made.
    pub endpoints: Endpoints,
    /// Looks up the project id for AK/SK credentials that have none, shared by both services.
    pub project: Option<Arc<crate::project::Lookup>>,
    /// Spreads the retries' backoff.
    pub jitter: crate::retry::Jitter,
}

/// Why a service has no endpoint.
#[derive(Clone, Debug)]
pub(crate) enum Missing {
    /// The region has none and none was configured.
    NotInRegion(String),
    /// Neither a region nor an endpoint was configured.
    NoEndpoint(String),
}

impl Missing {
    fn error(&self, service: Service) -> Error {
        match self {
            Missing::NotInRegion(region) => Error::ServiceNotInRegion {
                service,
                region: region.clone(),
            },
            Missing::NoEndpoint(msg) => Error::Config(msg.clone()),
        }
    }
}

impl Pipeline {
    pub(crate) fn new(shared: Shared) -> Self {
        Pipeline(Arc::new(shared))
    }

    /// The call's future. The query is put in its one encoding here, before the future is made,
    /// so that the future holds no more than the span and the boxed attempts: it is part of
    /// every generated `send`'s future, which callers move and keep.
    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> Call<'a> {
        let span = tracing::info_span!(
            "codearts_request",
            operation = info.operation_id,
            method = %request.method(),
            attempt = field::Empty,
            status = field::Empty,
            request_id = field::Empty,
            duration_ms = field::Empty,
        );
        // The endpoint and the inputs were checked before the request was built
        // (`Pipeline::check`).
        crate::signer::canonicalize_query(request.url_mut());
        // The clock is read only for a subscriber that will see the duration.
        let start = (!span.is_disabled()).then(Instant::now);
        Call {
            // Boxed: the attempts' state is most of a call's, which would otherwise be moved
            // with every future that holds it, the caller's included.
            attempts: Box::pin(self.attempts(client, request, span.clone())),
            span,
            start,
        }
    }

    /// Checks the inputs of a call of `id`, parameters and body, against the description before
    /// the generated `send` writes them into its request: `build.rs` puts this call into every
    /// `send`, with the operation and a tuple of the inputs. A failure is the call's carried
    /// error, as every failure of the pipeline is (`carry`). Returns the length of the body's
    /// JSON as the check's walk measured it (0 without a body), which the `send` hands to
    /// [`json`] with the body.
    // The error is the response the generated `send` hands back as it is (progenitor's
    // `Error::UnexpectedResponse`), made only when an input breaks a rule.
    #[allow(clippy::result_large_err)]
    #[inline]
    pub(crate) fn check<I: crate::validate::Inputs + ?Sized>(
        &self,
        id: &'static OperationId,
        inputs: &I,
    ) -> Result<usize, reqwest::Response> {
        self.described(id)
            .and_then(|op| crate::validate::check(op, inputs))
            .map_err(|error| {
                tracing::debug!(operation = id.official, error = %error, "call failed");
                carry::response(error, None)
            })
    }

    /// The URL of a request of this service: the path `path` writes (the generated `send`
    /// writes it, each parameter a [`Segment`]) after its first endpoint, which was parsed once
    /// (`endpoints`). build.rs makes every `send` call this in place of formatting the whole
    /// URL for reqwest to parse again.
    #[inline]
    pub(crate) fn url(&self, path: fmt::Arguments<'_>) -> reqwest::Url {
        self.0.endpoints.url(path)
    }

    /// The description of the operation `id`, if this client can call it: it fails with the
    /// reason when this service has no endpoint.
    #[inline]
    fn described(
        &self,
        id: &'static OperationId,
    ) -> Result<&'static crate::spec::Operation, Error> {
        match &self.0.missing {
            Some(missing) => Err(missing.error(self.0.service)),
            None => Ok(crate::spec::of(self.0.service).operation(id)),
        }
    }
}

/// What the `exec` hook returns: the call's response, an error carried in it (`carry`) when
/// the call failed. Written by hand rather than as an `async` block with combinators: it is one
/// small function on every call's path.
struct Call<'a> {
    attempts: Pin<Box<dyn Future<Output = Result<reqwest::Response, Error>> + Send + 'a>>,
    span: tracing::Span,
    start: Option<Instant>,
}

impl Future for Call<'_> {
    type Output = reqwest::Result<reqwest::Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Call {
            attempts,
            span,
            start,
        } = self.get_mut();
        let result = {
            let _entered = span.enter();
            std::task::ready!(attempts.as_mut().poll(cx))
        };
        if let Some(start) = start {
            span.record("duration_ms", start.elapsed().as_millis() as u64);
        }
        Poll::Ready(Ok(match result {
            Ok(response) => response,
            Err(error) => failed(error, span),
        }))
    }
}

/// The response that carries a failed call's error to the caller (`carry`).
fn failed(error: Error, span: &tracing::Span) -> reqwest::Response {
    tracing::debug!(parent: span, error = %error, "call failed");
    carry::response(error, None)
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
            // Not `async fn`: its future would keep the request it was given for as long as it
            // runs (futures keep their arguments), 264 bytes in every call's future.
            fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
                self.inner.exec(&self.client, request, info)
            }
        }
    };
}

hooks!(crate::repo::Client);
hooks!(crate::check::Client);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Client, Credentials};

    fn client() -> Client {
        Client::builder()
            .credentials(Credentials::token("t"))
            .region("cn-north-4")
            .build()
            .unwrap()
    }

    /// Every operation of the table checks its inputs before anything is sent: `0` for each
    /// parameter (below every id's minimum, and not a string) is refused, and so is `[]` for a
    /// body, where an object is described, once the parameters are right.
    #[test]
    fn every_operation_is_checked_before_sending() {
        let client = client();
        for (service, pipeline) in [
            (Service::Repo, &client.repo().inner),
            (Service::Check, &client.check().inner),
        ] {
            for id in crate::operations::table(service) {
                let op = crate::spec::of(service).operation(id);
                let zeros = vec![serde_json::json!(0); id.inputs.len()];
                let mut refused = vec![pipeline.check(id, &zeros[..])];
                if op.body.is_some() {
                    // Parameters that pass, and a body that does not.
                    let mut inputs: Vec<serde_json::Value> = op
                        .params
                        .iter()
                        .map(|p| match p.rules.kind {
                            Some(crate::spec::Kind::String) => {
                                serde_json::json!("a642c851d4dc4853b595e5c8a5e56df7")
                            }
                            _ => serde_json::json!(1),
                        })
                        .collect();
                    assert!(pipeline.check(id, &inputs[..]).is_err(), "no body");
                    inputs.push(serde_json::json!([]));
                    refused.push(pipeline.check(id, &inputs[..]));
                }
                for result in refused {
                    match result.map_err(|mut carrier| carry::take(&mut carrier)) {
                        Err(Some(Error::InvalidInput { field, .. })) => {
                            assert!(id.inputs.contains(&field.as_str()), "{field}")
                        }
                        other => panic!("{}: {other:?}", id.official),
                    }
                }
            }
        }
    }
}

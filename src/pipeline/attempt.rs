//! Sending a request until it succeeds or the retry policy says stop. One attempt is sign,
//! transmit, and read the body: a failure at any of them is that attempt's outcome.

use std::{future::Future, time::Instant};

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;

use super::{Pipeline, answer};
use crate::{
    Error,
    auth::Resolved,
    retry::{self, Attempted, Decision},
};

/// The status line and headers of an answer, and its body as far as it was read.
pub(super) struct Answer {
    pub response: reqwest::Response,
    pub body: Bytes,
    /// The body was longer than the limit: `body` is its first bytes.
    pub too_large: bool,
}

/// What one attempt came to.
enum Outcome {
    Answered(Answer),
    /// No answer: refused, failed before the headers, or the body could not be read whole.
    /// `head` is the status and request id when the headers had arrived.
    Failed {
        error: reqwest::Error,
        head: Option<(StatusCode, Option<String>)>,
    },
}

impl Outcome {
    fn attempted(&self, pipeline: &Pipeline) -> Attempted {
        match self {
            Outcome::Failed { error, head: None } if error.is_connect() => Attempted::Refused,
            Outcome::Failed { .. } => Attempted::Failed,
            // Nothing to wait for after a success.
            Outcome::Answered(a) if a.response.status().is_success() => {
                Attempted::Status(a.response.status(), retry::RetryAfter::Absent)
            }
            Outcome::Answered(a) => {
                let shared = &*pipeline.0;
                Attempted::Status(
                    a.response.status(),
                    shared
                        .retry
                        .retry_after(a.response.headers(), shared.clock.now()),
                )
            }
        }
    }
}

impl Pipeline {
    // The state of this future is kept small (it is boxed for every call, `Pipeline::exec`). It
    // is not an `async fn`, whose future would keep the request it was given besides the original
    // kept for a retry; each step's locals live in a block of their own, since a future keeps
    // whatever was borrowed in scope across an `.await`; and the rare waits (fetching
    // credentials, the retry's sleep) are boxed.
    pub(super) fn attempts<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        span: tracing::Span,
    ) -> impl Future<Output = Result<reqwest::Response, Error>> + Send + 'a {
        let method = request.method().clone();
        let mut original = Some(request);
        async move {
            let shared = &*self.0;
            let start = Instant::now();
            // One resend, for any method, after the gateway refused the signature as expired: it
            // refused before the service saw the request.
            let mut skew_resend = shared.skew.enabled() && shared.credentials.signs();
            // Moving to the next endpoint is not an attempt either: no connection was made.
            let mut fallbacks = shared.endpoints.len() - 1;
            let mut attempt = 0;
            loop {
                attempt += 1;
                span.record("attempt", attempt);
                let (sending, endpoint, canonical, last) = {
                    // Keep the original only while another send could follow; a request whose body
                    // cannot be cloned (a stream; generated requests never have one) is sent once.
                    let another = attempt < shared.retry.attempts() || skew_resend || fallbacks > 0;
                    let (mut req, last) = match original.take() {
                        Some(r) if another => match copy(&r) {
                            Some(copy) => {
                                original = Some(r);
                                (copy, false)
                            }
                            None => (r, true),
                        },
                        Some(r) => (r, true),
                        None => unreachable!("the request is kept until the last attempt"),
                    };
                    // The client's timeout covers an attempt; near the end of the budget, less is
                    // left.
                    let remaining = shared.retry.budget().saturating_sub(start.elapsed());
                    if remaining < shared.timeout {
                        *req.timeout_mut() = Some(remaining);
                    }
                    let endpoint = shared.endpoints.current();
                    shared.endpoints.point(&mut req, endpoint);
                    let canonical = match self.prepare_now(&mut req) {
                        Some(canonical) => canonical,
                        None => Box::pin(self.prepare(client, &mut req)).await?,
                    };
                    tracing::debug!(attempt, path = req.url().path(), "sending");
                    (self.attempt(client, req), endpoint, canonical, last)
                };
                let wait = {
                    let outcome = sending.await;
                    if let Outcome::Failed { error, head: None } = &outcome
                        && error.is_connect()
                        && fallbacks > 0
                        && original.is_some()
                    {
                        fallbacks -= 1;
                        self.fall_back(endpoint, error);
                        attempt -= 1;
                        continue;
                    }
                    if let Outcome::Answered(a) = &outcome {
                        let (status, headers) = (a.response.status(), a.response.headers());
                        if !span.is_disabled() {
                            span.record("status", status.as_u16());
                            if let Some(id) = answer::request_id(headers) {
                                span.record("request_id", id);
                            }
                        }
                        shared.skew.observe(headers, &*shared.clock);
                        if skew_resend
                            && original.is_some()
                            && shared.skew.learn_from_expiry(
                                status,
                                headers,
                                &a.body,
                                &*shared.clock,
                            )
                        {
                            // Not an attempt of the retry policy: sent again at once, signed anew.
                            skew_resend = false;
                            attempt -= 1;
                            continue;
                        }
                    }
                    let decision = if last {
                        Decision::Stop
                    } else {
                        retry::decide(
                            &shared.retry,
                            attempt,
                            &method,
                            outcome.attempted(self),
                            start.elapsed(),
                            shared.jitter.next(),
                        )
                    };
                    match decision {
                        Decision::Retry(wait) => wait,
                        Decision::Stop => {
                            return match outcome {
                                Outcome::Answered(a) => answer::finish(self, a, canonical),
                                Outcome::Failed { error, head } => {
                                    Err(Error::from_transport(error, head))
                                }
                            };
                        }
                    }
                };
                tracing::debug!(attempt, ?wait, "will retry");
                Box::pin(tokio::time::sleep(wait)).await;
            }
        }
    }

    /// No connection could be made to `endpoint`: the next attempt goes to the next one.
    #[cold]
    fn fall_back(&self, endpoint: usize, error: &reqwest::Error) {
        let endpoints = &self.0.endpoints;
        let next = endpoints.move_on(endpoint);
        tracing::warn!(
            error = crate::error::chain(error),
            from = endpoints.shown(endpoint),
            to = endpoints.shown(next),
            "no connection to the endpoint; trying the next one"
        );
    }

    /// [`Pipeline::prepare`] when nothing must be fetched first (the credentials are at hand,
    /// and so is the project id if one is looked up): the canonical request it signed, if any.
    /// `None` when something must be fetched, and nothing was done.
    fn prepare_now(&self, request: &mut reqwest::Request) -> Option<Option<String>> {
        let now = self.0.skew.now(&*self.0.clock);
        let credentials = self.0.credentials.resolve_now(now)?;
        let project_id = match self.project_lookup(&credentials) {
            Some((lookup, keys)) => Some(lookup.known(keys)?),
            None => None,
        };
        Some(self.sign(request, &credentials, now, project_id.as_deref()))
    }

    /// Adds what every attempt carries: the user agent and fresh credentials, signed at the
    /// client's time corrected for skew, once what they need is fetched. Returns the canonical
    /// request it signed, if any. Fails when no credentials or no project id can be had.
    async fn prepare(
        &self,
        client: &reqwest::Client,
        request: &mut reqwest::Request,
    ) -> Result<Option<String>, Error> {
        let now = self.0.skew.now(&*self.0.clock);
        let credentials = self.0.credentials.resolve(now).await?;
        let project_id = match self.project_lookup(&credentials) {
            Some((lookup, keys)) => Some(lookup.project_id(client, keys, now).await?),
            None => None,
        };
        Ok(self.sign(request, &credentials, now, project_id.as_deref()))
    }

    /// The project id lookup `credentials` need: AK/SK keys without a project id, on a client
    /// that looks it up.
    fn project_lookup<'c>(
        &'c self,
        credentials: &'c Resolved<'_>,
    ) -> Option<(&'c crate::project::Lookup, &'c crate::auth::Keys)> {
        match (credentials, &self.0.project) {
            (Resolved::Keys(keys), Some(lookup)) if keys.project_id.is_none() => {
                Some((lookup, keys))
            }
            _ => None,
        }
    }

    /// Adds the user agent and the credentials; the canonical request, if signed.
    fn sign(
        &self,
        request: &mut reqwest::Request,
        credentials: &Resolved<'_>,
        now: std::time::SystemTime,
        project_id: Option<&str>,
    ) -> Option<String> {
        request
            .headers_mut()
            .insert(reqwest::header::USER_AGENT, self.0.user_agent.clone());
        credentials.apply(request, now, project_id)
    }

    /// Sends and reads the body, at most `max_response_bytes` of it. Not `async fn`: its future
    /// would keep the request it was given (futures keep their arguments) while it waits.
    fn attempt(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> impl Future<Output = Outcome> + use<> {
        let sent = client.execute(request);
        let max = self.0.max_response_bytes;
        async move {
            let mut response = match sent.await {
                Ok(r) => r,
                Err(error) => return Outcome::Failed { error, head: None },
            };
            let mut too_large = response.content_length().is_some_and(|n| n > max as u64);
            // Most bodies arrive in one chunk, kept as is; more chunks are gathered in one
            // buffer.
            let (mut first, mut more, mut len) = (None::<Bytes>, BytesMut::new(), 0);
            while !too_large {
                match response.chunk().await {
                    Ok(Some(chunk)) => {
                        let keep = chunk.len().min(max - len);
                        too_large = keep < chunk.len();
                        let chunk = chunk.slice(..keep);
                        len += keep;
                        if len == keep {
                            first = Some(chunk);
                        } else {
                            if let Some(f) = first.take() {
                                more.extend_from_slice(&f);
                            }
                            more.extend_from_slice(&chunk);
                        }
                    }
                    Ok(None) => break,
                    Err(error) => {
                        let head = (
                            response.status(),
                            answer::request_id(response.headers()).map(str::to_owned),
                        );
                        return Outcome::Failed {
                            error,
                            head: Some(head),
                        };
                    }
                }
            }
            Outcome::Answered(Answer {
                response,
                body: first.unwrap_or_else(|| more.freeze()),
                too_large,
            })
        }
    }
}

/// A copy of `request` for a later attempt, or `None` when its body is a stream.
///
/// Not `reqwest::Request::try_clone`: that one makes a map of extensions for the timeout, then
/// replaces it with a copy of the original's, three allocations for nothing. A generated request
/// carries nothing in its extensions but the timeout, which is copied here. The body's bytes are
/// copied (reqwest does not let its body be shared outside the crate); a generated body is a
/// small JSON document.
fn copy(request: &reqwest::Request) -> Option<reqwest::Request> {
    let body = match request.body() {
        Some(body) => Some(Bytes::copy_from_slice(body.as_bytes()?).into()),
        None => None,
    };
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    // Room for what every attempt adds (user agent, host, date, authorization or token): a
    // cloned map has none, and would grow three times.
    let headers = copy.headers_mut();
    headers.reserve(request.headers().len() + 4);
    for (name, value) in request.headers() {
        headers.append(name, value.clone());
    }
    *copy.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    *copy.body_mut() = body;
    Some(copy)
}

#[cfg(test)]
mod tests {
    use super::copy;

    #[test]
    fn a_copy_is_the_same_request() {
        let mut request = reqwest::Request::new(
            reqwest::Method::PUT,
            "https://h.example/v4/x?a=1".parse().unwrap(),
        );
        request
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        request.headers_mut().append(
            "x-a",
            reqwest::header::HeaderValue::from_bytes(b"\xff").unwrap(),
        );
        *request.version_mut() = reqwest::Version::HTTP_2;
        *request.timeout_mut() = Some(std::time::Duration::from_millis(1500));
        *request.body_mut() = Some(b"{\"k\":1}".to_vec().into());
        let c = copy(&request).unwrap();
        assert_eq!(c.method(), request.method());
        assert_eq!(c.url(), request.url());
        assert_eq!(c.headers(), request.headers());
        assert_eq!(c.version(), reqwest::Version::HTTP_2);
        assert_eq!(c.timeout(), Some(&std::time::Duration::from_millis(1500)));
        assert_eq!(c.body().unwrap().as_bytes(), Some(&b"{\"k\":1}"[..]));

        let plain =
            reqwest::Request::new(reqwest::Method::GET, "https://h.example/".parse().unwrap());
        let c = copy(&plain).unwrap();
        assert!(c.timeout().is_none() && c.body().is_none());
    }

    #[test]
    fn a_streaming_body_is_not_copied() {
        let mut request =
            reqwest::Request::new(reqwest::Method::PUT, "https://h.example/".parse().unwrap());
        let stream =
            http_body_util::StreamBody::new(futures_util::stream::iter([Ok::<_, std::io::Error>(
                http_body::Frame::data(bytes::Bytes::from("x")),
            )]));
        *request.body_mut() = Some(reqwest::Body::wrap(stream));
        assert!(copy(&request).is_none());
    }
}

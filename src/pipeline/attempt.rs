//! Sending a request until it succeeds or the retry policy says stop. One attempt is sign,
//! transmit, and read the body: a failure at any of them is that attempt's outcome.

use std::{future::Future, time::Instant};

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;

use super::{Pipeline, answer, replay::Replay, unprocessed};
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
            Outcome::Failed { error, head: None }
                if error.is_connect() || unprocessed::unprocessed(error) =>
            {
                Attempted::Refused
            }
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
    // is not an `async fn`, whose future would keep the request it was given for as long as it
    // runs; each step's locals live in a block of their own, since a future keeps
    // whatever was borrowed in scope across an `.await`; and the rare waits (fetching
    // credentials, the retry's sleep) are boxed.
    pub(super) fn attempts<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        span: tracing::Span,
    ) -> impl Future<Output = Result<reqwest::Response, Error>> + Send + 'a {
        let method = request.method().clone();
        // The first attempt sends `request` itself; later ones are rebuilt from `replay`.
        let mut first = Some(request);
        let mut replay = None::<Replay>;
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
                    // What a resend needs is kept only while another send could follow; a
                    // request whose body is a stream (generated requests never have one) is
                    // sent once.
                    let another = attempt < shared.retry.attempts() || skew_resend || fallbacks > 0;
                    let mut req = match first.take() {
                        Some(mut r) => {
                            if another {
                                replay = Replay::keep(&mut r);
                            }
                            r
                        }
                        None => match replay.take() {
                            Some(kept) if another => {
                                let r = kept.request();
                                replay = Some(kept);
                                r
                            }
                            Some(kept) => kept.into_request(),
                            None => unreachable!("a request is kept until the last attempt"),
                        },
                    };
                    let last = replay.is_none();
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
                        && !last
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
                            && !last
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
                            || shared.jitter.next(),
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
    #[inline]
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
            Some((lookup, keys)) => {
                let retries = crate::project::Retries {
                    policy: &self.0.retry,
                    jitter: &self.0.jitter,
                };
                Some(lookup.project_id(client, keys, now, retries).await?)
            }
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
        match (credentials.keys(), &self.0.project) {
            (Some(keys), Some(lookup)) if keys.project_id.is_none() => Some((lookup, keys)),
            _ => None,
        }
    }

    /// Adds the user agent and the credentials; the canonical request, if signed.
    #[inline]
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

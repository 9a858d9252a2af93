//! When and how long to wait before trying a request again.

use std::{
    hash::{BuildHasher, RandomState},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime},
};

use reqwest::{Method, StatusCode, header::HeaderMap};

/// The default time budget of one call, all attempts and waits included.
pub const DEFAULT_MAX_ELAPSED: Duration = Duration::from_secs(120);

/// Retry settings. The default makes up to 3 attempts on connection errors, timeouts, bodies cut
/// short, 429, 500, 502, 503 and 504, waiting 200 ms, then 400 ms, ... (at most 5 s) with
/// jitter, or what `Retry-After` asks for (at most 60 s), all within a budget of
/// [`DEFAULT_MAX_ELAPSED`] per call. Only GET, PUT and DELETE are retried: a POST is sent once
/// unless [`RetryPolicy::retry_post`] is set; the one exception is a POST the server never
/// processed: its connection was refused, or HTTP/2 refused its stream (`REFUSED_STREAM`, or a
/// `GOAWAY` that did not take it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_elapsed: Duration,
    retry_post: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            max_elapsed: DEFAULT_MAX_ELAPSED,
            retry_post: false,
        }
    }
}

/// What an attempt came to, as far as retrying cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempted {
    /// Nothing reached the server: no connection, or HTTP/2 says it did not process the request
    /// (`pipeline::unprocessed`).
    Refused,
    /// Failed after the request may have reached the server: before the headers, or while
    /// reading the body.
    Failed,
    /// An answer with this status, and what its `Retry-After` asks.
    Status(StatusCode, RetryAfter),
}

/// A `Retry-After` header, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryAfter {
    /// None, or one that cannot be read.
    Absent,
    /// A wait within `max_retry_after`.
    Wait(Duration),
    /// More than `max_retry_after`: the answer is returned.
    TooLong,
}

/// Try again after a wait, or stop with the last outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Retry(Duration),
    Stop,
}

/// The retry decision after `attempt` attempts (1 for the first) that took `elapsed` in all.
/// `jitter` draws a random number that spreads the backoff (see [`RetryPolicy::backoff`]); it is
/// called only when there is a backoff to spread, so that a success draws nothing.
pub(crate) fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    method: &Method,
    outcome: Attempted,
    elapsed: Duration,
    jitter: impl FnOnce() -> u64,
) -> Decision {
    if attempt >= policy.max_attempts {
        return Decision::Stop;
    }
    let resend = policy.may_resend(method);
    let backoff = || policy.backoff(attempt, jitter());
    let wait = match outcome {
        // A request the server never processed is safe to retry for any method.
        Attempted::Refused => backoff(),
        Attempted::Failed if resend => backoff(),
        Attempted::Status(status, after) if resend && is_retryable_status(status) => match after {
            RetryAfter::Absent => backoff(),
            RetryAfter::Wait(wait) => wait,
            RetryAfter::TooLong => return Decision::Stop,
        },
        _ => return Decision::Stop,
    };
    // Checked before each wait: a retry that could not start within the budget is not made.
    if elapsed.saturating_add(wait) >= policy.max_elapsed {
        return Decision::Stop;
    }
    Decision::Retry(wait)
}

/// Random numbers for [`decide`]'s jitter, one source per client: splitmix64 over a counter
/// that starts at a random value, drawn only for a backoff (one shared counter: a success
/// does not touch it).
#[derive(Debug)]
pub(crate) struct Jitter(AtomicU64);

impl Jitter {
    pub(crate) fn new() -> Self {
        Jitter(AtomicU64::new(
            RandomState::new().hash_one(std::time::Instant::now()),
        ))
    }

    pub(crate) fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Total attempts, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; it doubles with each retry, up to `max_backoff`.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest wait between two attempts when the server does not say.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// The longest `Retry-After` honoured; a server asking for more gets its error returned.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// The time budget of one call, all attempts and waits included (default
    /// [`DEFAULT_MAX_ELAPSED`]). No retry starts past it, and each attempt's timeout is cut to
    /// what is left of it, so a call never takes much longer.
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Also retry POST (webhook creation). Off by default: a POST whose answer was lost may have
    /// created the webhook, and a retry would create a second one.
    pub fn retry_post(mut self, yes: bool) -> Self {
        self.retry_post = yes;
        self
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn budget(&self) -> Duration {
        self.max_elapsed
    }

    pub(crate) fn may_resend(&self, method: &Method) -> bool {
        *method != Method::POST || self.retry_post
    }

    /// The wait before attempt `attempt + 1`, after `attempt` attempts: capped exponential with
    /// "equal jitter" (half fixed, half random) so that many clients do not retry in step.
    pub(crate) fn backoff(&self, attempt: u32, jitter: u64) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16))
            .min(self.max_backoff);
        let half = exp / 2;
        half + Duration::from_nanos(jitter % (half.as_nanos() as u64 + 1))
    }

    /// The wait a response asks for; `now` (the client's clock) measures an HTTP date.
    pub(crate) fn retry_after(&self, headers: &HeaderMap, now: SystemTime) -> RetryAfter {
        let Some(value) = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
        else {
            return RetryAfter::Absent;
        };
        let wait = match value.trim().parse::<u64>() {
            Ok(secs) => Duration::from_secs(secs),
            Err(_) => match httpdate::parse_http_date(value) {
                Ok(at) => at.duration_since(now).unwrap_or_default(),
                Err(_) => return RetryAfter::Absent,
            },
        };
        if wait > self.max_retry_after {
            RetryAfter::TooLong
        } else {
            RetryAfter::Wait(wait)
        }
    }
}

/// The statuses a retry may fix.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..=10 {
            let exp =
                (Duration::from_millis(200) * (1 << (attempt - 1))).min(Duration::from_secs(5));
            let wait = p.backoff(attempt, Jitter::new().next());
            assert!(
                wait >= exp / 2 && wait <= exp,
                "attempt {attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_date_and_cap() {
        let p = RetryPolicy::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut h = HeaderMap::new();
        assert_eq!(p.retry_after(&h, now), RetryAfter::Absent);
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(
            p.retry_after(&h, now),
            RetryAfter::Wait(Duration::from_secs(2))
        );
        h.insert(
            "retry-after",
            httpdate::fmt_http_date(now + Duration::from_secs(7))
                .parse()
                .unwrap(),
        );
        assert_eq!(
            p.retry_after(&h, now),
            RetryAfter::Wait(Duration::from_secs(7))
        );
        h.insert("retry-after", "61".parse().unwrap());
        assert_eq!(p.retry_after(&h, now), RetryAfter::TooLong);
    }

    #[test]
    fn post_is_not_resent_unless_asked() {
        assert!(!RetryPolicy::default().may_resend(&Method::POST));
        assert!(RetryPolicy::default().may_resend(&Method::PUT));
        assert!(
            RetryPolicy::default()
                .retry_post(true)
                .may_resend(&Method::POST)
        );
        assert_eq!(RetryPolicy::none().attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }

    const GET: Method = Method::GET;

    fn ok_status(code: u16) -> Attempted {
        Attempted::Status(StatusCode::from_u16(code).unwrap(), RetryAfter::Absent)
    }

    #[test]
    fn decide_follows_the_policy() {
        let p = RetryPolicy::default();
        let zero = Duration::ZERO;
        let retry = |a, m: &Method, o| decide(&p, a, m, o, zero, || 0);
        let first = Decision::Retry(Duration::from_millis(100));
        assert_eq!(retry(1, &GET, Attempted::Failed), first);
        assert_eq!(retry(1, &GET, ok_status(503)), first);
        assert_eq!(retry(1, &GET, ok_status(404)), Decision::Stop);
        assert_eq!(retry(1, &GET, ok_status(200)), Decision::Stop);
        // A POST: only a refused connection, which never reached the server.
        assert_eq!(retry(1, &Method::POST, Attempted::Refused), first);
        assert_eq!(retry(1, &Method::POST, Attempted::Failed), Decision::Stop);
        assert_eq!(retry(1, &Method::POST, ok_status(503)), Decision::Stop);
        // Retry-After: honoured, or the answer returned when it asks too much.
        let after = |w| Attempted::Status(StatusCode::TOO_MANY_REQUESTS, w);
        assert_eq!(
            retry(1, &GET, after(RetryAfter::Wait(Duration::from_secs(7)))),
            Decision::Retry(Duration::from_secs(7))
        );
        assert_eq!(retry(1, &GET, after(RetryAfter::TooLong)), Decision::Stop);
        // The last attempt, and the budget.
        assert_eq!(retry(3, &GET, Attempted::Failed), Decision::Stop);
        let late = Duration::from_secs(119) + Duration::from_millis(950);
        assert_eq!(
            decide(&p, 1, &GET, Attempted::Failed, late, || 0),
            Decision::Stop
        );
    }

    /// The jitter is drawn once for a backoff, and never for an answer that is kept, a wait the
    /// server asked for, or the last attempt.
    #[test]
    fn the_jitter_is_drawn_only_for_a_backoff() {
        let p = RetryPolicy::default();
        let draws = std::cell::Cell::new(0);
        let decide_counting = |attempt, outcome| {
            decide(&p, attempt, &GET, outcome, Duration::ZERO, || {
                draws.set(draws.get() + 1);
                0
            })
        };
        let waited = |w| Attempted::Status(StatusCode::SERVICE_UNAVAILABLE, RetryAfter::Wait(w));
        for (attempt, outcome) in [
            (1, ok_status(200)),
            (1, ok_status(404)),
            (1, waited(Duration::from_secs(1))),
            (3, Attempted::Failed),
        ] {
            decide_counting(attempt, outcome);
            assert_eq!(draws.get(), 0, "{outcome:?} at attempt {attempt}");
        }
        assert!(matches!(
            decide_counting(1, ok_status(503)),
            Decision::Retry(_)
        ));
        assert_eq!(draws.get(), 1);
    }

    proptest::proptest! {
        /// Whatever happened: never more than `max_attempts`, never a wait past the budget,
        /// never a resent POST that may have reached the server, never a retried success.
        #[test]
        fn decide_never_breaks_its_promises(
            attempts in 1u32..6,
            attempt in 1u32..8,
            post in proptest::bool::ANY,
            retry_post in proptest::bool::ANY,
            outcome in 0u8..4,
            status in 100u16..600,
            after_ms in 0u64..120_000,
            elapsed_ms in 0u64..200_000,
            budget_ms in 1u64..200_000,
            jitter in proptest::num::u64::ANY,
        ) {
            let p = RetryPolicy::default()
                .max_attempts(attempts)
                .retry_post(retry_post)
                .max_elapsed(Duration::from_millis(budget_ms));
            let status = StatusCode::from_u16(status).unwrap();
            let outcome = match outcome {
                0 => Attempted::Refused,
                1 => Attempted::Failed,
                2 => Attempted::Status(status, RetryAfter::Absent),
                _ => Attempted::Status(status, RetryAfter::Wait(Duration::from_millis(after_ms))),
            };
            let method = if post { Method::POST } else { Method::GET };
            let elapsed = Duration::from_millis(elapsed_ms);
            if let Decision::Retry(wait) = decide(&p, attempt, &method, outcome, elapsed, || jitter) {
                proptest::prop_assert!(attempt < attempts);
                proptest::prop_assert!(elapsed + wait < Duration::from_millis(budget_ms));
                proptest::prop_assert!(wait <= Duration::from_secs(120));
                if post && !retry_post {
                    proptest::prop_assert_eq!(outcome, Attempted::Refused);
                }
                if let Attempted::Status(s, _) = outcome {
                    proptest::prop_assert!(is_retryable_status(s));
                }
            }
        }
    }
}

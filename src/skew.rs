//! Clock skew: the API gateway refuses a signature whose `X-Sdk-Date` is more than 15 minutes
//! from its own time. When it does, its answer tells its time; the client learns the offset,
//! signs with the corrected time from then on, and keeps the offset up to date from later answers.
//! One value per client, shared by both services.

use std::{
    sync::atomic::{AtomicBool, AtomicI64, Ordering},
    time::{Duration, SystemTime},
};

use reqwest::{StatusCode, header::HeaderMap};

use crate::clock::Clock;

/// A correction smaller than this is left alone: `Date` has a resolution of one second and the
/// answer took some time to arrive.
const NOISE: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub(crate) struct Skew {
    enabled: bool,
    /// The gateway's time minus the client's, in milliseconds.
    offset_ms: AtomicI64,
    learned: AtomicBool,
    warned: AtomicBool,
}

impl Skew {
    pub fn new(enabled: bool) -> Self {
        Skew {
            enabled,
            offset_ms: AtomicI64::new(0),
            learned: AtomicBool::new(false),
            warned: AtomicBool::new(false),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The time to sign with: the client's clock, corrected by what the gateway taught.
    pub fn now(&self, clock: &dyn Clock) -> SystemTime {
        shift(clock.now(), self.offset_ms.load(Ordering::Relaxed))
    }

    /// Learns from an answer that refused the signature as expired; `true` when it was one
    /// (then the request may be signed again and resent).
    // The test is inlined into every call's path; what follows it is not.
    #[inline]
    pub fn learn_from_expiry(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        clock: &dyn Clock,
    ) -> bool {
        self.enabled && status == StatusCode::UNAUTHORIZED && self.learn(headers, body, clock)
    }

    #[cold]
    fn learn(&self, headers: &HeaderMap, body: &[u8], clock: &dyn Clock) -> bool {
        let Some(server) = expired_server_time(headers, body) else {
            return false;
        };
        self.set(server, clock.now());
        self.learned.store(true, Ordering::Relaxed);
        let offset = self.offset_ms.load(Ordering::Relaxed);
        if !self.warned.swap(true, Ordering::Relaxed) {
            let (secs, side) = (
                offset.unsigned_abs() / 1000,
                if offset > 0 { "behind" } else { "ahead of" },
            );
            tracing::warn!(
                skew_seconds = offset / 1000,
                "the local clock is {secs} s {side} the API gateway's, which refused the \
                 signature as expired; signing with the gateway's time from now on. Fix the \
                 host's clock (for example with NTP)"
            );
        }
        true
    }

    /// Once a correction was learned, keeps it up to date from the `Date` of later answers
    /// (not from cached ones, whose `Date` is old).
    #[inline]
    pub fn observe(&self, headers: &HeaderMap, clock: &dyn Clock) {
        if self.enabled && self.learned.load(Ordering::Relaxed) {
            self.keep_up(headers, clock);
        }
    }

    fn keep_up(&self, headers: &HeaderMap, clock: &dyn Clock) {
        if headers.contains_key("age") {
            return;
        }
        let Some(server) = date_header(headers) else {
            return;
        };
        let now = clock.now();
        let implied = offset_ms(server, now);
        let current = self.offset_ms.load(Ordering::Relaxed);
        if implied.abs_diff(current) > NOISE.as_millis() as u64 {
            self.set(server, now);
        }
    }

    fn set(&self, server: SystemTime, client: SystemTime) {
        self.offset_ms
            .store(offset_ms(server, client), Ordering::Relaxed);
    }
}

fn offset_ms(server: SystemTime, client: SystemTime) -> i64 {
    match server.duration_since(client) {
        Ok(ahead) => ahead.as_millis() as i64,
        Err(behind) => -(behind.duration().as_millis() as i64),
    }
}

fn shift(t: SystemTime, offset_ms: i64) -> SystemTime {
    let by = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 { t + by } else { t - by }
}

/// The gateway's time, when the answer is its "signature expired" refusal: from the message
/// (`server time:YYYYMMDDTHHMMSSZ`), else from the `Date` header.
fn expired_server_time(headers: &HeaderMap, body: &[u8]) -> Option<SystemTime> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let msg = value["error_msg"].as_str()?;
    if value["error_code"] != "APIGW.0301" || !msg.contains("signature expired") {
        return None;
    }
    msg.split_once("server time:")
        .and_then(|(_, rest)| rest.get(..16))
        .and_then(crate::signer::parse_sdk_date)
        .or_else(|| date_header(headers))
}

fn date_header(headers: &HeaderMap) -> Option<SystemTime> {
    let value = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    httpdate::parse_http_date(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn expired(server: &str) -> Vec<u8> {
        serde_json::json!({
            "error_code": "APIGW.0301",
            "error_msg": format!("Incorrect IAM authentication information: calc aksk signature fail:signature expired, signature time:20211217T064303Z,server time:{server}"),
            "request_id": "2db4dab3ea3849bcb47b6478738635bd",
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn learns_from_the_message_then_the_date_header() {
        let client = crate::signer::parse_sdk_date("20211217T064303Z").unwrap();
        let clock = FixedClock(client);
        let skew = Skew::new(true);
        let h = HeaderMap::new();
        assert!(skew.learn_from_expiry(
            StatusCode::UNAUTHORIZED,
            &h,
            &expired("20211217T065804Z"),
            &clock
        ));
        assert_eq!(skew.now(&clock), client + Duration::from_secs(901));
        // No server time in the message: the Date header.
        let mut h = HeaderMap::new();
        h.insert(
            "date",
            httpdate::fmt_http_date(client - Duration::from_secs(1200))
                .parse()
                .unwrap(),
        );
        let body = br#"{"error_code":"APIGW.0301","error_msg":"signature expired"}"#;
        assert!(skew.learn_from_expiry(StatusCode::UNAUTHORIZED, &h, body, &clock));
        assert_eq!(skew.now(&clock), client - Duration::from_secs(1200));
        // Not an expiry, or turned off: nothing learned.
        let other = br#"{"error_code":"APIGW.0301","error_msg":"verify aksk signature fail"}"#;
        assert!(!skew.learn_from_expiry(StatusCode::UNAUTHORIZED, &h, other, &clock));
        let off = Skew::new(false);
        assert!(!off.learn_from_expiry(
            StatusCode::UNAUTHORIZED,
            &h,
            &expired("20211217T065804Z"),
            &clock
        ));
        assert_eq!(off.now(&clock), client);
    }

    #[test]
    fn later_dates_move_it_only_past_the_noise_and_never_from_a_cache() {
        let client = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let clock = FixedClock(client);
        let skew = Skew::new(true);
        let date = |d: SystemTime| {
            let mut h = HeaderMap::new();
            h.insert("date", httpdate::fmt_http_date(d).parse().unwrap());
            h
        };
        // Before anything was learned, answers change nothing.
        skew.observe(&date(client + Duration::from_secs(3600)), &clock);
        assert_eq!(skew.now(&clock), client);
        assert!(skew.learn_from_expiry(
            StatusCode::UNAUTHORIZED,
            &date(client + Duration::from_secs(1200)),
            br#"{"error_code":"APIGW.0301","error_msg":"signature expired"}"#,
            &clock
        ));
        skew.observe(&date(client + Duration::from_secs(1230)), &clock);
        assert_eq!(skew.now(&clock), client + Duration::from_secs(1200));
        let mut cached = date(client + Duration::from_secs(5000));
        cached.insert("age", "30".parse().unwrap());
        skew.observe(&cached, &clock);
        assert_eq!(skew.now(&clock), client + Duration::from_secs(1200));
        skew.observe(&date(client + Duration::from_secs(2400)), &clock);
        assert_eq!(skew.now(&clock), client + Duration::from_secs(2400));
    }
}

//! SDK-HMAC-SHA256 request signing, as Huawei Cloud's API gateway checks it.
//!
//! Pure functions over the parts of a request: the caller passes the time, so signatures are
//! reproducible (see `tests` below for the official SDK's vectors). [`sign_request`] applies the
//! algorithm to a `reqwest::Request` in place.

use std::{
    borrow::Cow,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, HOST, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

/// The algorithm name that starts the `Authorization` header and the string to sign.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Header that carries the signing time.
pub const DATE_HEADER: &str = "x-sdk-date";
const X_SDK_DATE: HeaderName = HeaderName::from_static(DATE_HEADER);

/// RFC 3986 unreserved characters stay as they are; everything else is `%XX` (upper-case hex).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The parts of a request that the signature covers.
#[derive(Debug, Clone)]
pub struct SigningInput<'a> {
    /// HTTP method (any case).
    pub method: &'a str,
    /// The path as sent, percent-encoded.
    pub path: &'a str,
    /// The query as sent (without `?`), percent-encoded; empty for none.
    pub query: &'a str,
    /// Headers to sign, any case; names containing `_` are left out, as the official signer does.
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// A computed signature and the values that make it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The canonical request that was hashed.
    pub canonical_request: String,
    /// `;`-joined lower-case names of the signed headers.
    pub signed_headers: String,
    /// The value for the `Authorization` header.
    pub authorization: String,
}

/// Formats a time as `X-Sdk-Date` wants it: `YYYYMMDDTHHMMSSZ` in UTC.
pub fn format_sdk_date(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(feature = "fake")]
/// Formats a time as the service writes timestamps: `yyyy-MM-ddTHH:mm:ss.SSS+00:00` (UTC).
pub(crate) fn format_timestamp(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Parses an `X-Sdk-Date` value; `None` unless it is exactly `YYYYMMDDTHHMMSSZ` and a real time.
pub fn parse_sdk_date(value: &str) -> Option<SystemTime> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let s = value.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y as i64, mo as u32, d as u32);
    if days < 0 || civil_from_days(days) != (y as i64, mo as u32, d as u32) {
        return None;
    }
    Some(UNIX_EPOCH + Duration::from_secs(days as u64 * 86_400 + h * 3600 + mi * 60 + s))
}

/// Computes the signature of `input` made at `date` (an `X-Sdk-Date` value).
pub fn sign(
    access_key: &str,
    secret_key: &[u8],
    date: &str,
    input: &SigningInput<'_>,
) -> Signature {
    let (canonical_request, signed_headers) = canonical_request(input);
    let authorization = authorization(
        access_key,
        secret_key,
        date,
        &canonical_request,
        &signed_headers,
    );
    Signature {
        canonical_request,
        signed_headers,
        authorization,
    }
}

fn authorization(
    access_key: &str,
    secret_key: &[u8],
    date: &str,
    canonical: &str,
    signed_headers: &str,
) -> String {
    let mac = Hmac::<Sha256>::new_from_slice(secret_key).expect("HMAC takes any key length");
    authorization_with(access_key, mac, date, canonical, signed_headers)
}

/// `mac` is the HMAC state keyed with the secret key, nothing hashed yet.
fn authorization_with(
    access_key: &str,
    mut mac: Hmac<Sha256>,
    date: &str,
    canonical: &str,
    signed_headers: &str,
) -> String {
    // The string to sign, fed to the HMAC in parts rather than built first.
    let mut hex = [0u8; 64];
    mac.update(ALGORITHM.as_bytes());
    mac.update(b"\n");
    mac.update(date.as_bytes());
    mac.update(b"\n");
    mac.update(hex_of(&Sha256::digest(canonical.as_bytes()), &mut hex));
    const PARTS: [&str; 3] = [" Access=", ", SignedHeaders=", ", Signature="];
    // Exactly as long as it will be: the header value then takes the buffer as it is.
    let len = ALGORITHM.len()
        + PARTS.iter().map(|p| p.len()).sum::<usize>()
        + access_key.len()
        + signed_headers.len()
        + 64;
    let mut out = String::with_capacity(len);
    out.push_str(ALGORITHM);
    out.push_str(PARTS[0]);
    out.push_str(access_key);
    out.push_str(PARTS[1]);
    out.push_str(signed_headers);
    out.push_str(PARTS[2]);
    push_hex(&mut out, &mac.finalize().into_bytes());
    out
}

/// Builds the canonical request and the signed-header list.
pub fn canonical_request(input: &SigningInput<'_>) -> (String, String) {
    let body_hash = (!input.body.is_empty()).then(|| Sha256::digest(input.body).into());
    let query = canonical_query(input.query);
    let owned: Vec<(String, &str)> = input
        .headers
        .iter()
        .filter(|(n, _)| !n.contains('_'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
        .collect();
    let mut headers: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let (canonical, signed) =
        canonical_parts(input.method, input.path, &query, &mut headers, body_hash);
    let signed_headers = canonical[signed].to_owned();
    (canonical, signed_headers)
}

/// `query` is already canonical; `headers` are the headers to sign, with lower-case names and
/// trimmed values, in any order; `body_hash` is `None` for an empty body. Returns the canonical
/// request and where the signed-header list is within it.
fn canonical_parts(
    method: &str,
    path: &str,
    query: &str,
    headers: &mut [(&str, &str)],
    body_hash: Option<[u8; 32]>,
) -> (String, std::ops::Range<usize>) {
    headers.sort_unstable();
    let mut canonical = String::with_capacity(
        method.len() + 2 * path.len() + query.len() + 80 + headers.len() * 48,
    );
    for b in method.bytes() {
        canonical.push(b.to_ascii_uppercase() as char);
    }
    canonical.push('\n');
    push_canonical_uri(&mut canonical, path);
    canonical.push('\n');
    canonical.push_str(query);
    canonical.push('\n');
    // A name that appears more than once is signed once, with its first value in order.
    let mut last = None;
    for &(name, value) in headers.iter() {
        if last != Some(name) {
            canonical.push_str(name);
            canonical.push(':');
            canonical.push_str(value);
            canonical.push('\n');
            last = Some(name);
        }
    }
    canonical.push('\n');
    let start = canonical.len();
    let mut last = None;
    for &(name, _) in headers.iter() {
        if last != Some(name) {
            if last.is_some() {
                canonical.push(';');
            }
            canonical.push_str(name);
            last = Some(name);
        }
    }
    let signed = start..canonical.len();
    canonical.push('\n');
    match body_hash {
        Some(hash) => push_hex(&mut canonical, &hash),
        None => canonical.push_str(EMPTY_SHA256),
    }
    (canonical, signed)
}

/// Decodes the path, re-encodes each segment per RFC 3986 and ends it with `/`.
pub fn canonical_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    push_canonical_uri(&mut out, path);
    out
}

fn push_canonical_uri(out: &mut String, path: &str) {
    // Most paths hold only unreserved characters and `/`: already canonical.
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"-_.~/".contains(b);
    if path.bytes().all(|b| plain(&b)) {
        out.push_str(path);
        if !out.ends_with('/') {
            out.push('/');
        }
        return;
    }
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    for (i, seg) in decoded.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.extend(utf8_percent_encode(seg, ENCODE));
    }
    if !out.ends_with('/') {
        out.push('/');
    }
}

/// Decodes the query pairs, sorts them by key then value, and re-encodes them per RFC 3986.
///
/// This string is also what the client sends as the query, so that what is signed is what is sent.
pub fn canonical_query(query: &str) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut pairs = query_pairs(query);
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, ENCODE),
                utf8_percent_encode(v, ENCODE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs `request` in place: sets `Host` and `X-Sdk-Date`, rewrites the query into canonical form,
/// and sets `Authorization`. Every header already on the request is signed.
///
/// Fails only when the body is a stream, whose bytes cannot be hashed up front. A client that
/// signs many requests with one key keeps a [`Signer`] instead.
pub fn sign_request(
    request: &mut reqwest::Request,
    access_key: &str,
    secret_key: &[u8],
    now: SystemTime,
) -> Result<(), &'static str> {
    canonicalize_query(request.url_mut());
    Signer::new(access_key, secret_key)
        .sign(request, now)
        .map(drop)
}

/// Signs requests with one key pair: the HMAC key state is computed once, and the `X-Sdk-Date`
/// value is formatted once per second and shared.
pub struct Signer {
    access_key: String,
    mac: Hmac<Sha256>,
    /// The header values last made, reused while they stay the same.
    cache: Mutex<Cache>,
}

/// `X-Sdk-Date` of one second and `Host` of one endpoint: cloning a `HeaderValue` shares its
/// bytes, so most requests allocate neither.
struct Cache {
    second: u64,
    date: HeaderValue,
    host: String,
    port: Option<u16>,
    host_value: HeaderValue,
}

impl Signer {
    /// A signer for this access key (AK) and secret key (SK).
    pub fn new(access_key: impl Into<String>, secret_key: &[u8]) -> Self {
        Signer {
            access_key: access_key.into(),
            mac: Hmac::<Sha256>::new_from_slice(secret_key).expect("HMAC takes any key length"),
            cache: Mutex::new(Cache {
                second: u64::MAX,
                date: HeaderValue::from_static(""),
                host: String::new(),
                port: None,
                host_value: HeaderValue::from_static(""),
            }),
        }
    }

    /// Signs `request` in place (see [`sign_request`]) and returns the canonical request that
    /// was signed. The query must already be in canonical form ([`canonicalize_query`]): the
    /// client puts it so once per call, not once per attempt.
    pub fn sign(
        &self,
        request: &mut reqwest::Request,
        now: SystemTime,
    ) -> Result<String, &'static str> {
        let body_hash = match request.body() {
            None => None,
            Some(b) => match b.as_bytes().ok_or("a streaming body cannot be signed")? {
                [] => None,
                bytes => Some(Sha256::digest(bytes).into()),
            },
        };
        let (host, date) = self.cached_values(request.url(), now)?;
        let headers = request.headers_mut();
        headers.insert(HOST, host);
        headers.insert(X_SDK_DATE, date.clone());
        let (canonical_request, signed) = self.canonical(request, body_hash);
        let authorization = authorization_with(
            &self.access_key,
            self.mac.clone(),
            date.to_str().unwrap_or_default(),
            &canonical_request,
            &canonical_request[signed],
        );
        let mut value = shared_value(authorization).ok_or("invalid access key")?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(canonical_request)
    }

    /// The canonical request of `request` (its `Authorization`, if any, is not signed) and
    /// where its signed-header list is.
    fn canonical(
        &self,
        request: &reqwest::Request,
        body_hash: Option<[u8; 32]>,
    ) -> (String, std::ops::Range<usize>) {
        // Header names are lower-case already. Values are almost always text: then the headers
        // are listed on the stack; a value that is not text is signed lossily, as the gateway
        // reads it the same way.
        const ON_STACK: usize = 24;
        let (url, map) = (request.url(), request.headers());
        let signed = |n: &HeaderName| n != AUTHORIZATION && !n.as_str().contains('_');
        let parts = |headers: &mut [(&str, &str)]| {
            let method = request.method().as_str();
            let query = url.query().unwrap_or("");
            canonical_parts(method, url.path(), query, headers, body_hash)
        };
        let texts = map.iter().filter(|(n, _)| signed(n)).map(|(n, v)| {
            let text = v.to_str().ok().map(str::trim);
            (n.as_str(), text)
        });
        let mut list = [("", ""); ON_STACK];
        let mut count = 0;
        for (name, text) in texts {
            match text {
                Some(text) if count < ON_STACK => list[count] = (name, text),
                _ => {
                    count = usize::MAX;
                    break;
                }
            }
            count += 1;
        }
        if count != usize::MAX {
            return parts(&mut list[..count]);
        }
        let lossy: Vec<(&str, Cow<'_, str>)> = map
            .iter()
            .filter(|(n, _)| signed(n))
            .map(|(n, v)| (n.as_str(), String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let mut list: Vec<(&str, &str)> = lossy.iter().map(|(n, v)| (*n, v.trim())).collect();
        parts(&mut list)
    }

    /// `Host` for `url` and `X-Sdk-Date` for `now`, made anew only when they change.
    fn cached_values(
        &self,
        url: &reqwest::Url,
        now: SystemTime,
    ) -> Result<(HeaderValue, HeaderValue), &'static str> {
        let second = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.second != second {
            cache.date =
                shared_value(format_sdk_date(now)).expect("a date is a valid header value");
            cache.second = second;
        }
        let host = url.host_str().unwrap_or_default();
        if cache.host != host || cache.port != url.port() || cache.host_value.is_empty() {
            cache.host_value = shared_value(host_header(url)).ok_or("invalid host")?;
            cache.host = host.to_owned();
            cache.port = url.port();
        }
        Ok((cache.host_value.clone(), cache.date.clone()))
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// Rewrites the URL's query into its canonical form (sorted, RFC 3986), as the official SDK sends it.
pub fn canonicalize_query(url: &mut reqwest::Url) {
    // Most URLs have no query, or one already canonical: they are left as they are.
    let Some(query) = url.query() else { return };
    let canonical = canonical_query(query);
    if canonical.is_empty() || canonical != query {
        url.set_query((!canonical.is_empty()).then_some(canonical.as_str()));
    }
}

/// `host[:port]` as the `Host` header carries it (the port only when not the scheme's default).
pub fn host_header(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => String::new(),
    }
}

/// The decoded key-value pairs of a query, in order (`+` is a space, as in form encoding).
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut buf = [0u8; 64];
    for chunk in bytes.chunks(32) {
        let hex = hex_of(chunk, &mut buf);
        out.push_str(std::str::from_utf8(hex).unwrap_or_default());
    }
}

/// Lower-case hex of up to 32 bytes, written into `buf`.
fn hex_of<'b>(bytes: &[u8], buf: &'b mut [u8; 64]) -> &'b [u8] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().take(32).enumerate() {
        buf[2 * i] = DIGITS[(b >> 4) as usize];
        buf[2 * i + 1] = DIGITS[(b & 15) as usize];
    }
    &buf[..2 * bytes.len().min(32)]
}

/// A header value that takes the string's buffer instead of copying it.
fn shared_value(s: String) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(bytes::Bytes::from(s)).ok()
}

// Howard Hinnant's civil-date algorithms, proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;

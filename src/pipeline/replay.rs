//! What a later attempt of a call is rebuilt from. The first attempt sends the request the
//! generated code built; before it goes, the little a resend needs is kept: the URL, the body's
//! bytes (shared, not copied) and the headers only when they are not the ones every generated
//! request has. Nothing is copied for a call that is answered at the first attempt but the URL.

use std::time::Duration;

use bytes::Bytes;
use reqwest::{
    Method, Url, Version,
    header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue},
};

/// The media type of every generated request's `Accept`, and of its body's `Content-Type`.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Room for what each attempt adds to the headers (user agent, host, date, authorization or
/// token, project id), so that the map does not grow on the way.
const ADDED_HEADERS: usize = 5;

pub(super) struct Replay {
    method: Method,
    url: Url,
    /// `None` for the headers every generated request has: `Accept: application/json`, and
    /// `Content-Type: application/json` with a body.
    headers: Option<HeaderMap>,
    version: Version,
    timeout: Option<Duration>,
    body: Option<Bytes>,
}

impl Replay {
    /// Keeps what `request` can be sent again from, or `None` when its body is a stream (which
    /// can be sent once only). A body of bytes goes back into `request` as a shared handle.
    #[inline]
    pub fn keep(request: &mut reqwest::Request) -> Option<Replay> {
        let body = match request.body() {
            None => None,
            // A stream is left in place, and nothing is kept.
            Some(_) => {
                let bytes = take_bytes(request)?;
                *request.body_mut() = Some(bytes.clone().into());
                Some(bytes)
            }
        };
        let headers =
            (!is_generated(request.headers(), body.is_some())).then(|| request.headers().clone());
        Some(Replay {
            method: request.method().clone(),
            url: request.url().clone(),
            headers,
            version: request.version(),
            timeout: request.timeout().copied(),
            body,
        })
    }

    /// A request like the one kept, for another attempt.
    pub fn request(&self) -> reqwest::Request {
        self.build(self.body.clone())
    }

    /// The request kept, for the last attempt.
    pub fn into_request(mut self) -> reqwest::Request {
        let body = self.body.take();
        self.build(body)
    }

    fn build(&self, body: Option<Bytes>) -> reqwest::Request {
        let mut request = reqwest::Request::new(self.method.clone(), self.url.clone());
        let headers = request.headers_mut();
        match &self.headers {
            Some(kept) => {
                headers.reserve(kept.len() + ADDED_HEADERS);
                for (name, value) in kept {
                    headers.append(name, value.clone());
                }
            }
            None => {
                headers.reserve(2 + ADDED_HEADERS);
                headers.insert(ACCEPT, JSON);
                if body.is_some() {
                    headers.insert(CONTENT_TYPE, JSON);
                }
            }
        }
        *request.version_mut() = self.version;
        if let Some(timeout) = self.timeout {
            // Not set otherwise: reqwest keeps a timeout in a map of its own.
            *request.timeout_mut() = Some(timeout);
        }
        *request.body_mut() = body.map(Into::into);
        request
    }
}

/// Whether `headers` are those of every generated request (see [`Replay::headers`]).
fn is_generated(headers: &HeaderMap, with_body: bool) -> bool {
    headers.len() == 1 + usize::from(with_body)
        && headers.iter().all(|(name, value)| {
            (name == ACCEPT || (with_body && name == CONTENT_TYPE)) && value == JSON
        })
}

/// Takes the body out of `request` when it is bytes, which a reqwest body does not otherwise
/// give back: its one frame is all of them, handed over without a copy.
fn take_bytes(request: &mut reqwest::Request) -> Option<Bytes> {
    use http_body::Body as _;
    request.body()?.as_bytes()?;
    let mut body = request.body_mut().take()?;
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::Pin::new(&mut body).poll_frame(&mut cx) {
        std::task::Poll::Ready(Some(Ok(frame))) => frame.into_data().ok(),
        // An empty body has no frame.
        _ => Some(Bytes::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, url: &str) -> reqwest::Request {
        reqwest::Request::new(method, url.parse().unwrap())
    }

    fn same(a: &reqwest::Request, b: &reqwest::Request) {
        assert_eq!(a.method(), b.method());
        assert_eq!(a.url(), b.url());
        assert_eq!(a.headers(), b.headers());
        assert_eq!(a.version(), b.version());
        assert_eq!(a.timeout(), b.timeout());
        assert_eq!(
            a.body().map(|b| b.as_bytes().unwrap()),
            b.body().map(|b| b.as_bytes().unwrap())
        );
    }

    /// A generated request (the usual headers, a JSON body), one with other headers, a version
    /// and a timeout, and one with a body of another type are rebuilt as they were, and each is
    /// left as it was.
    #[test]
    fn a_request_is_rebuilt_as_it_was() {
        let generated = || {
            let mut r = request(Method::PUT, "https://h.example/v4/x?a=1");
            r.headers_mut().insert(ACCEPT, JSON);
            r.headers_mut().insert(CONTENT_TYPE, JSON);
            *r.body_mut() = Some(b"{\"k\":1}".to_vec().into());
            r
        };
        let other = || {
            let mut r = request(Method::GET, "https://h.example/");
            r.headers_mut().insert(ACCEPT, JSON);
            r.headers_mut()
                .append("x-a", HeaderValue::from_bytes(b"\xff").unwrap());
            *r.version_mut() = Version::HTTP_2;
            *r.timeout_mut() = Some(Duration::from_millis(1500));
            r
        };
        let plain_text = || {
            let mut r = request(Method::POST, "https://h.example/");
            r.headers_mut().insert(ACCEPT, JSON);
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            *r.body_mut() = Some(b"x".to_vec().into());
            r
        };
        let cases: [(&dyn Fn() -> reqwest::Request, bool); 3] =
            [(&generated, true), (&other, false), (&plain_text, false)];
        for (make, usual) in cases {
            let mut original = make();
            let replay = Replay::keep(&mut original).unwrap();
            assert_eq!(replay.headers.is_none(), usual);
            same(&original, &make());
            same(&replay.request(), &make());
            same(&replay.request(), &make());
            same(&replay.into_request(), &make());
        }
    }

    /// The bytes of a body come out whole, empty ones too.
    #[test]
    fn a_body_of_bytes_is_taken_out_whole() {
        let mut r = request(Method::PUT, "https://h.example/");
        let json = br#"{"url":"https://ci.example.com/hook"}"#.to_vec();
        *r.body_mut() = Some(json.clone().into());
        assert_eq!(take_bytes(&mut r).as_deref(), Some(&json[..]));
        assert!(r.body().is_none());
        *r.body_mut() = Some(Vec::new().into());
        assert_eq!(take_bytes(&mut r).as_deref(), Some(&b""[..]));
        assert!(take_bytes(&mut r).is_none(), "no body");
    }

    /// A body that is a stream can be sent once only: nothing is kept, and the request keeps it.
    #[test]
    fn a_streaming_body_is_not_kept() {
        let mut r = request(Method::PUT, "https://h.example/");
        let stream =
            http_body_util::StreamBody::new(futures_util::stream::iter([Ok::<_, std::io::Error>(
                http_body::Frame::data(Bytes::from("x")),
            )]));
        *r.body_mut() = Some(reqwest::Body::wrap(stream));
        assert!(Replay::keep(&mut r).is_none());
        assert!(r.body().is_some_and(|b| b.as_bytes().is_none()));
    }
}

//! A call's body written as JSON, into a buffer of the size the input checks measured.
//! `build.rs` makes every generated `send` with a body call [`json`] in place of reqwest's
//! `RequestBuilder::json`, which writes into a buffer that starts at 128 bytes and grows (and
//! is copied) as often as it fills: three times for a 1 KB body.

use reqwest::{
    RequestBuilder,
    header::{CONTENT_TYPE, HeaderValue},
};
use serde::Serialize;

/// `builder` with `body` written as JSON, as reqwest's `json` makes it (the same bytes and
/// `Content-Type: application/json`). `len` is the length of the JSON the checks measured
/// (`validate::check`): what is written fits unless a string needs escaping.
pub(crate) fn json<T: Serialize + ?Sized>(
    builder: RequestBuilder,
    body: &T,
    len: usize,
) -> RequestBuilder {
    let mut buf = Vec::with_capacity(len);
    match serde_json::to_writer(&mut buf, body) {
        Ok(()) => builder
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(buf),
        // A body JSON cannot carry was refused by the checks; should one pass, reqwest's own
        // `json` keeps the error for `build`, as it did before.
        Err(_) => builder.json(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> reqwest::Client {
        // reqwest is built without a crypto provider of its own (see `client.rs`).
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    /// The request is the one reqwest's `json` makes, byte for byte and header for header.
    #[test]
    fn the_request_is_the_one_reqwests_json_makes() {
        let client = client();
        let body = serde_json::json!({ "name": "a \"quoted\" name", "events": [1, 2], "on": true });
        for len in [0, 10, 1000] {
            let ours = json(client.put("http://h/x"), &body, len).build().unwrap();
            let theirs = client.put("http://h/x").json(&body).build().unwrap();
            assert_eq!(ours.headers(), theirs.headers());
            assert_eq!(
                ours.body().unwrap().as_bytes(),
                theirs.body().unwrap().as_bytes()
            );
        }
    }

    /// A body serde_json cannot write fails where reqwest's `json` fails: at `build`.
    #[test]
    fn a_body_json_cannot_carry_fails_at_build() {
        let keyed: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let client = client();
        let e = json(client.put("http://h/x"), &keyed, 16)
            .build()
            .unwrap_err();
        assert!(e.is_builder(), "{e:?}");
    }
}

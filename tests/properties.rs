//! Properties, over a bounded number of generated cases:
//! - whatever the path, query, header values and body, the fake's verifier accepts what the
//!   signer produced, and rejects it once any signed byte changes;
//! - whatever bytes an operation's answer carries, with whatever status, the client returns a
//!   value or an error that keeps the status, and never panics.

mod common;

use std::time::{Duration, SystemTime};

use codearts_webhooks::{
    Credentials, RetryPolicy,
    fake::{FakeCodeArts, Fault},
    signer,
};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[derive(Clone, Debug)]
enum Tamper {
    Method,
    Path,
    Query,
    Header,
    Body,
    Date,
}

fn tamper() -> impl Strategy<Value = Tamper> {
    prop_oneof![
        Just(Tamper::Method),
        Just(Tamper::Path),
        Just(Tamper::Query),
        Just(Tamper::Header),
        Just(Tamper::Body),
        Just(Tamper::Date)
    ]
}

/// Keys from a small set, so that repeated keys are common; values anything.
fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop_oneof![
        Just("k".to_owned()),
        Just("a b".to_owned()),
        Just("é".to_owned()),
        "\\PC{0,6}"
    ];
    prop::collection::vec((key, "\\PC{0,12}"), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_verifier_accepts_what_the_signer_signed_and_nothing_else(
        segments in prop::collection::vec("\\PC{1,10}", 1..4),
        pairs in query(),
        header in "[!-~]([ -~]{0,30}[!-~])?",
        body in prop::collection::vec(any::<u8>(), 0..300),
        change in tamper(),
    ) {
        let rt = runtime();
        rt.block_on(async {
            let fake = FakeCodeArts::start().await.unwrap();
            let (ak, sk) = fake.key();
            let path: String = segments.iter().map(|s| format!("/{}", utf8_percent_encode(s, NON_ALPHANUMERIC))).collect();
            let q: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, NON_ALPHANUMERIC), utf8_percent_encode(v, NON_ALPHANUMERIC)))
                .collect();
            let url = format!("{}/v4/props{path}{}{}", fake.endpoint(), if q.is_empty() { "" } else { "?" }, q.join("&"));
            let build = || {
                let mut req = reqwest::Request::new(reqwest::Method::PUT, url.parse().unwrap());
                req.headers_mut().insert("content-type", "application/json".parse().unwrap());
                req.headers_mut().insert("x-custom-data", header.parse().unwrap());
                *req.body_mut() = Some(body.clone().into());
                req
            };
            let _ = rustls::crypto::ring::default_provider().install_default();
            let http = reqwest::Client::new();

            let mut good = build();
            let now = SystemTime::now();
            signer::sign_request(&mut good, ak, sk.as_bytes(), now).unwrap();
            let mut bad = good.try_clone().unwrap();
            let status = http.execute(good).await.unwrap().status().as_u16();
            prop_assert_ne!(status, 401, "a correct signature was rejected");

            match change {
                Tamper::Method => *bad.method_mut() = reqwest::Method::POST,
                Tamper::Path => { let p = format!("{}x", bad.url().path()); bad.url_mut().set_path(&p); }
                Tamper::Query => { let q = format!("{}{}zz=1", bad.url().query().unwrap_or(""), if pairs.is_empty() { "" } else { "&" }); bad.url_mut().set_query(Some(&q)); }
                Tamper::Header => { bad.headers_mut().insert("x-custom-data", format!("{header}!").parse().unwrap()); }
                Tamper::Body => { let mut b = body.clone(); match b.first_mut() { Some(x) => *x ^= 1, None => b.push(b'x') } *bad.body_mut() = Some(b.into()); }
                Tamper::Date => { let later = signer::format_sdk_date(now + Duration::from_secs(1)); bad.headers_mut().insert("x-sdk-date", later.parse().unwrap()); }
            }
            let status = http.execute(bad).await.unwrap().status().as_u16();
            prop_assert_eq!(status, 401, "a request changed in its {:?} was accepted", change);
            Ok(())
        })?;
    }
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        "\\PC{0,8}".prop_map(serde_json::Value::from),
    ];
    let names = prop_oneof![
        Just("id"),
        Just("url"),
        Just("error_code"),
        Just("subscript_events"),
        Just("role_ids"),
        Just("x")
    ];
    let json = leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::vec((names.clone(), inner), 0..4).prop_map(|kv| {
                serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    });
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        json.prop_map(|v| v.to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_to_any_operation_decodes_or_errs_with_its_status(
        op in prop::sample::select(&common::ALL_OPERATIONS[..]),
        status in prop::sample::select(&[200u16, 201, 204, 400, 401, 404, 418, 500, 503][..]),
        body in body(),
        json_type in any::<bool>(),
    ) {
        let rt = runtime();
        let result = rt.block_on(async {
            let fake = FakeCodeArts::start().await.unwrap();
            let c = fake.client_builder().credentials(Credentials::token(fake.token())).retry(RetryPolicy::none()).build().unwrap();
            let ct = if json_type { "application/json" } else { "text/plain" };
            fake.inject(op, [Fault::status(status).header("content-type", ct).body(body.clone())]);
            common::call_operation(&c, op).await
        });
        match result {
            Ok(got) => prop_assert!(got == status && (200..300).contains(&status)),
            Err(e) => prop_assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{}", e),
        }
    }
}

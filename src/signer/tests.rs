//! The two vectors come from the official Python SDK's signer.

use super::*;

const HOST: &str = "codearts-repo.cn-north-4.myhuaweicloud.com";
const DATE: &str = "20261123T061500Z";

fn fixed_now() -> SystemTime {
    parse_sdk_date(DATE).unwrap()
}

#[test]
fn vector_a_put_with_body_and_query() {
    let body = br#"{"url":"https://example.com/hook","push_events":true,"name":"ci"}"#;
    let headers = [
        ("Content-Type", "application/json"),
        ("Host", HOST),
        ("X-Sdk-Date", DATE),
    ];
    let sig = sign(
        "AKEXAMPLE",
        b"SKEXAMPLE",
        DATE,
        &SigningInput {
            method: "PUT",
            path: "/v4/repositories/123/hooks/1",
            query: "limit=20",
            headers: &headers,
            body,
        },
    );
    assert_eq!(
        sig.canonical_request,
        "PUT\n/v4/repositories/123/hooks/1/\nlimit=20\ncontent-type:application/json\n\
         host:codearts-repo.cn-north-4.myhuaweicloud.com\nx-sdk-date:20261123T061500Z\n\n\
         content-type;host;x-sdk-date\n44aec706097b281f564e4f2fca4edd95f0a1991ad00ae252a28d4ca1bb7212a5"
    );
    assert_eq!(
        sig.authorization,
        "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, \
         Signature=e66a7101631788f73b99ff16dd3661381c83466e2ce949bcf3a828ccbe5cf673"
    );
}

#[test]
fn vector_b_get_without_body_sorted_encoded_query() {
    let headers = [
        ("Content-Type", "application/json"),
        ("Host", HOST),
        ("X-Sdk-Date", DATE),
    ];
    let sig = sign(
        "AKEXAMPLE",
        b"SKEXAMPLE",
        DATE,
        &SigningInput {
            method: "GET",
            path: "/v4/repositories/123/hooks/1/logs",
            query: "created_after=2026-11-01T00%3A00%3A00%2B08%3A00&limit=10&offset=0&uuid=a%20b%2Fc~%2A",
            headers: &headers,
            body: b"",
        },
    );
    assert!(sig.canonical_request.starts_with(
        "GET\n/v4/repositories/123/hooks/1/logs/\n\
         created_after=2026-11-01T00%3A00%3A00%2B08%3A00&limit=10&offset=0&uuid=a%20b%2Fc~%2A\n"
    ));
    assert!(sig.canonical_request.ends_with(EMPTY_SHA256));
    assert_eq!(
        sig.authorization,
        "SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=content-type;host;x-sdk-date, \
         Signature=6525280faa0903ee4e1b6bd233dfee165f24d1589bf3e917fe81962aca9f3fee"
    );
}

#[test]
fn vector_a_through_a_reqwest_request() {
    let url = format!("https://{HOST}/v4/repositories/123/hooks/1?limit=20");
    let mut req = reqwest::Request::new(reqwest::Method::PUT, url.parse().unwrap());
    req.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    *req.body_mut() =
        Some(r#"{"url":"https://example.com/hook","push_events":true,"name":"ci"}"#.into());
    sign_request(&mut req, "AKEXAMPLE", b"SKEXAMPLE", fixed_now()).unwrap();
    assert_eq!(req.headers()["x-sdk-date"], DATE);
    assert_eq!(req.headers()["host"], HOST);
    assert!(req.headers()["authorization"].is_sensitive());
    assert!(
        req.headers()["authorization"].to_str().unwrap().ends_with(
            "Signature=e66a7101631788f73b99ff16dd3661381c83466e2ce949bcf3a828ccbe5cf673"
        )
    );
}

#[test]
fn unordered_form_encoded_query_is_sent_canonical() {
    let url = format!(
        "https://{HOST}/v4/repositories/123/hooks/1/logs?uuid=a+b%2Fc~*&offset=0&limit=10&created_after=2026-11-01T00:00:00%2B08:00"
    );
    let mut req = reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
    req.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    sign_request(&mut req, "AKEXAMPLE", b"SKEXAMPLE", fixed_now()).unwrap();
    assert_eq!(
        req.url().query(),
        Some(
            "created_after=2026-11-01T00%3A00%3A00%2B08%3A00&limit=10&offset=0&uuid=a%20b%2Fc~%2A"
        )
    );
    assert!(
        req.headers()["authorization"].to_str().unwrap().ends_with(
            "Signature=6525280faa0903ee4e1b6bd233dfee165f24d1589bf3e917fe81962aca9f3fee"
        )
    );
}

#[test]
fn path_segments_are_reencoded_and_end_in_slash() {
    assert_eq!(
        canonical_uri("/v4/tasks/a%20b%C3%A9/webhook"),
        "/v4/tasks/a%20b%C3%A9/webhook/"
    );
    assert_eq!(
        canonical_uri("/v4/tasks/x:y@z!/"),
        "/v4/tasks/x%3Ay%40z%21/"
    );
    assert_eq!(canonical_uri("/"), "/");
    // An encoded slash splits the segment, as the official signer does.
    assert_eq!(canonical_uri("/v4/tasks/a%2Fb"), "/v4/tasks/a/b/");
}

#[test]
fn repeated_keys_sort_by_value_and_non_ascii_is_utf8_encoded() {
    assert_eq!(
        canonical_query("k=b&k=a&j=%E4%B8%AD"),
        "j=%E4%B8%AD&k=a&k=b"
    );
    assert_eq!(canonical_query("flag&x="), "flag=&x=");
    assert_eq!(canonical_query(""), "");
}

#[test]
fn headers_with_underscore_are_not_signed_and_values_are_trimmed() {
    let headers = [("X-Sdk-Date", DATE), ("x_custom", "1"), ("Host", " h ")];
    let (canonical, signed) = canonical_request(&SigningInput {
        method: "get",
        path: "/",
        query: "",
        headers: &headers,
        body: b"",
    });
    assert_eq!(signed, "host;x-sdk-date");
    assert!(canonical.starts_with("GET\n/\n\nhost:h\nx-sdk-date:"));
}

#[test]
fn sdk_dates_format_and_parse() {
    assert_eq!(format_sdk_date(fixed_now()), DATE);
    assert_eq!(format_sdk_date(UNIX_EPOCH), "19700101T000000Z");
    let leap = parse_sdk_date("20240229T235959Z").unwrap();
    assert_eq!(format_sdk_date(leap), "20240229T235959Z");
    for bad in [
        "20230229T000000Z",
        "20261123T061500",
        "2026-11-23T06:15:00Z",
        "20261323T000000Z",
        "2026112xT061500Z",
        "",
    ] {
        assert_eq!(parse_sdk_date(bad), None, "{bad}");
    }
}

#[test]
fn port_is_part_of_the_host_header() {
    assert_eq!(
        host_header(&"http://127.0.0.1:8080/x".parse().unwrap()),
        "127.0.0.1:8080"
    );
    assert_eq!(
        host_header(&"https://example.com:443/x".parse().unwrap()),
        "example.com"
    );
}

/// The `Signer` lists a request's headers its own way (on the stack, lossily only when a value
/// is not text); it must sign what the one-shot `sign` signs from the same headers.
#[test]
fn signer_signs_the_same_as_sign_whatever_the_headers() {
    let secret = b"SKEXAMPLE";
    let cases: Vec<Vec<(&str, Vec<u8>)>> = vec![
        vec![],
        vec![("content-type", b"application/json".to_vec())],
        // Repeated names (signed once, with the smallest value), untrimmed values, an
        // underscore, a value that is not text, and an `Authorization` from an earlier signing.
        vec![
            ("x-b", b"2".to_vec()),
            ("x-a", b" 1 ".to_vec()),
            ("x-b", b"1".to_vec()),
            ("x_skip", b"no".to_vec()),
            ("x-bin", vec![b'a', 0xff, b'b']),
            ("authorization", b"SDK-HMAC-SHA256 old".to_vec()),
        ],
        // More headers than fit on the stack.
        (0..40)
            .map(|i| {
                (
                    ["x-h0", "x-h1", "x-h2", "x-h3"][i % 4],
                    vec![b'a' + i as u8 % 26],
                )
            })
            .collect(),
    ];
    for (i, headers) in cases.into_iter().enumerate() {
        let url = format!("https://{HOST}/v4/repositories/1/hooks?a=1&b=2");
        let mut req = reqwest::Request::new(reqwest::Method::POST, url.parse().unwrap());
        for (name, value) in &headers {
            req.headers_mut().append(
                HeaderName::from_static(name),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        *req.body_mut() = Some(vec![b'x'; i * 100].into());
        let canonical = Signer::new("AKEXAMPLE", secret)
            .sign(&mut req, fixed_now())
            .unwrap();

        let texts: Vec<(String, String)> = req
            .headers()
            .iter()
            .filter(|(n, _)| *n != "authorization")
            .map(|(n, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), v)
            })
            .collect();
        let pairs: Vec<(&str, &str)> = texts.iter().map(|(n, v)| (&**n, &**v)).collect();
        let expected = sign(
            "AKEXAMPLE",
            secret,
            DATE,
            &SigningInput {
                method: "POST",
                path: "/v4/repositories/1/hooks",
                query: "a=1&b=2",
                headers: &pairs,
                body: &vec![b'x'; i * 100],
            },
        );
        assert_eq!(canonical, expected.canonical_request, "case {i}");
        assert_eq!(
            req.headers()["authorization"],
            expected.authorization,
            "case {i}"
        );
    }
}

#[test]
fn repeated_header_names_are_signed_once_with_the_smallest_value() {
    let headers = [("X-A", "2"), ("x-a", "1"), ("Host", "h")];
    let (canonical, signed) = canonical_request(&SigningInput {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        body: b"",
    });
    assert_eq!(signed, "host;x-a");
    assert!(
        canonical.starts_with("GET\n/\n\nhost:h\nx-a:1\n\nhost;x-a\n"),
        "{canonical}"
    );
}

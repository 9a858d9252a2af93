//! Building a client: regions, endpoints, the official SDK's environment variables, and the
//! checks that make a bad setting an error at build time.

mod common;

use std::collections::HashMap;

use codearts_webhooks::{
    Client, ClientBuilder, Credentials, Error, fake::FakeCodeArts, region::Service,
};

fn config_error(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Config(msg)) => msg,
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

fn token() -> Credentials {
    Credentials::token("t")
}

#[test]
fn an_unknown_region_lists_the_known_ones() {
    let msg = config_error(
        Client::builder()
            .credentials(token())
            .region("mars-1")
            .build(),
    );
    assert!(msg.starts_with("unknown region \"mars-1\"; known regions: af-north-1, af-south-1, ap-southeast-3, cn-east-2"), "{msg}");
}

#[test]
fn a_region_outside_the_tables_works_with_both_endpoints_given() {
    let c = Client::builder()
        .credentials(token())
        .region("xx-private-1")
        .repo_endpoint("https://repo.private.example")
        .check_endpoint("https://check.private.example")
        .build();
    assert!(c.is_ok(), "{c:?}");
}

/// A private cloud with CodeArts Repo only: each service is resolved on its own, as the official
/// SDK does, so the client builds, Repo works, and Check says it has no endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_outside_the_tables_with_one_endpoint_serves_that_service() {
    let fake = FakeCodeArts::start().await.unwrap();
    let client = Client::builder()
        .credentials(Credentials::token(fake.token()))
        .region("xx-private-1")
        .repo_endpoint(fake.endpoint())
        .build()
        .unwrap();
    let hooks = client
        .repo()
        .list_repository_webhooks()
        .repository_id(1)
        .send()
        .await
        .unwrap();
    assert!(hooks.is_empty());
    let e: Error = client
        .check()
        .update_code_check_webhook()
        .task_id("t1")
        .body(codearts_webhooks::check::types::UpdateCodeCheckWebhookRequestBody::default())
        .send()
        .await
        .unwrap_err()
        .into();
    match &e {
        Error::ServiceNotInRegion { service, region } => {
            assert_eq!(
                (*service, region.as_str()),
                (Service::Check, "xx-private-1")
            )
        }
        other => panic!("expected ServiceNotInRegion, got {other:?}"),
    }
    assert_eq!(
        e.to_string(),
        "CodeArts Check has no endpoint in region xx-private-1; set one with the builder's \
         check_endpoint()"
    );
    assert_eq!(fake.requests("UpdateCodeCheckWebhook"), 0);
}

#[test]
fn credentials_and_endpoints_are_checked_at_build_time() {
    let msg = config_error(Client::builder().region("cn-north-4").build());
    assert!(msg.contains("no credentials"), "{msg}");
    let msg = config_error(
        Client::builder()
            .credentials(Credentials::aksk("", "sk"))
            .region("cn-north-4")
            .build(),
    );
    assert_eq!(msg, "the access key (AK) is empty");
    let msg = config_error(
        Client::builder()
            .credentials(Credentials::aksk("ak", ""))
            .region("cn-north-4")
            .build(),
    );
    assert_eq!(msg, "the secret key (SK) is empty");
    let msg = config_error(
        Client::builder()
            .credentials(Credentials::token("abc\r\nX-Evil: 1"))
            .region("cn-north-4")
            .build(),
    );
    assert!(
        msg.starts_with("the IAM token contains a character that cannot go in an HTTP header"),
        "{msg}"
    );
    for bad in [
        "not a url",
        "ftp://codehub.example.com",
        "file:///etc/passwd",
        "https://host/?q=1",
    ] {
        let msg = config_error(
            Client::builder()
                .credentials(token())
                .repo_endpoint(bad)
                .build(),
        );
        assert!(msg.contains("endpoint") && msg.contains(bad), "{msg}");
    }
    let msg = config_error(Client::builder().credentials(token()).build());
    assert!(msg.contains("no endpoint for CodeArts Repo"), "{msg}");
    let msg = config_error(
        Client::builder()
            .credentials(token())
            .region("cn-north-4")
            .proxy("::nope")
            .build(),
    );
    assert!(msg.contains("proxy"), "{msg}");
}

#[test]
fn a_region_resolves_both_services() {
    let c = Client::builder()
        .credentials(token())
        .region("cn-north-4")
        .build()
        .unwrap();
    let d = format!("{c:?}");
    assert!(
        d.contains("repo_endpoint: \"https://codehub-ext.cn-north-4.myhuaweicloud.com\""),
        "{d}"
    );
    assert!(
        d.contains("check_endpoint: \"https://codearts-check.cn-north-4.myhuaweicloud.com\""),
        "{d}"
    );
}

#[tokio::test]
async fn in_a_region_without_check_the_repo_still_works_and_check_says_why() {
    let fake = FakeCodeArts::start().await.unwrap();
    // la-south-2 has CodeArts Repo but no CodeArts Check; the Repo endpoint is overridden.
    let c = Client::builder()
        .credentials(Credentials::token(fake.token()))
        .region("la-south-2")
        .repo_endpoint(fake.endpoint())
        .build()
        .unwrap();
    c.repo()
        .list_group_webhooks()
        .group_id(1)
        .send()
        .await
        .unwrap();
    let e = Error::from(
        c.check()
            .update_code_check_webhook()
            .task_id("t1")
            .body_map(|b| b.is_set_mr_webhook(true))
            .send()
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(&e, Error::ServiceNotInRegion { service: Service::Check, region } if region == "la-south-2"),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "CodeArts Check has no endpoint in region la-south-2; set one with the builder's check_endpoint()"
    );
    assert_eq!(fake.requests("UpdateCodeCheckWebhook"), 0);

    // An explicit endpoint wins over the region's table.
    let c = Client::builder()
        .credentials(Credentials::token(fake.token()))
        .region("la-south-2")
        .repo_endpoint(format!("{}/", fake.endpoint()))
        .check_endpoint(fake.endpoint())
        .build()
        .unwrap();
    c.check()
        .update_code_check_webhook()
        .task_id("t1")
        .body_map(|b| b.is_set_mr_webhook(true))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.check_task("t1"), Some((Some(true), None)));
}

fn from(vars: &[(&str, &str)]) -> Result<ClientBuilder, Error> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ClientBuilder::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn environment_variables_of_the_official_sdk() {
    let b = from(&[
        ("HUAWEICLOUD_SDK_AK", "AK1"),
        ("HUAWEICLOUD_SDK_SK", "SK1"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "p"),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "st"),
        ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
        (
            "HUAWEICLOUD_SDK_REGION_CODEARTSREPO_CN_NORTH_4",
            "https://repo.example.com, https://backup.example.com",
        ),
        (
            "HUAWEICLOUD_SDK_REGION_CODEARTSCHECK_CN_NORTH_4",
            "https://check.example.com",
        ),
    ])
    .unwrap();
    let d = format!("{:?}", b.clone().build().unwrap());
    assert!(
        d.contains("repo_endpoint: \"https://repo.example.com\""),
        "{d}"
    );
    assert!(
        d.contains("check_endpoint: \"https://check.example.com\""),
        "{d}"
    );
    assert!(
        d.contains("access_key: \"AK1\"") && d.contains("project_id: Some(\"p\")"),
        "{d}"
    );
    assert!(!d.contains("SK1") && !d.contains("\"st\""), "{d}");

    let token = from(&[
        ("HUAWEICLOUD_SDK_AUTH_TOKEN", "tok"),
        ("HUAWEICLOUD_SDK_REGION", "ap-southeast-3"),
    ])
    .unwrap();
    assert!(format!("{token:?}").contains("Credentials::Token(** redacted **)"));
}

#[test]
fn missing_or_contradictory_variables_say_what_to_set() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("HUAWEICLOUD_SDK_AK", "a")],
            "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not; set it",
        ),
        (
            &[("HUAWEICLOUD_SDK_SK", "s")],
            "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not; set it",
        ),
        (
            &[
                ("HUAWEICLOUD_SDK_AK", "a"),
                ("HUAWEICLOUD_SDK_SK", "s"),
                ("HUAWEICLOUD_SDK_AUTH_TOKEN", "t"),
            ],
            "both HUAWEICLOUD_SDK_AUTH_TOKEN and HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK are set; unset one of them",
        ),
        (
            &[
                ("HUAWEICLOUD_SDK_AUTH_TOKEN", "t"),
                ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "x"),
            ],
            "HUAWEICLOUD_SDK_SECURITY_TOKEN goes with HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, not with HUAWEICLOUD_SDK_AUTH_TOKEN; unset it",
        ),
        (
            &[("HUAWEICLOUD_SDK_AUTH_TOKEN", "t")],
            "HUAWEICLOUD_SDK_REGION is not set; set it to a region such as cn-north-4",
        ),
    ];
    for (vars, want) in cases {
        assert_eq!(config_error(from(vars)), *want, "{vars:?}");
    }
    let bad_region = from(&[
        ("HUAWEICLOUD_SDK_AUTH_TOKEN", "t"),
        ("HUAWEICLOUD_SDK_REGION", "xx-1"),
    ])
    .unwrap();
    assert!(config_error(bad_region.build()).starts_with("unknown region \"xx-1\""));
}

#[test]
fn the_public_types_can_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Client>();
    send_sync::<ClientBuilder>();
    send_sync::<Credentials>();
    send_sync::<Error>();
    send_sync::<codearts_webhooks::ServiceError>();
    send_sync::<codearts_webhooks::RetryPolicy>();
    send_sync::<codearts_webhooks::notification::ChatWebhook>();
    // An error boxes into the usual dynamic error types.
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Error::Config("x".into()));
    assert_eq!(boxed.to_string(), "invalid configuration: x");
}

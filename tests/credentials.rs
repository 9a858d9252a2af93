//! Where credentials come from, as the official SDK finds them: the environment, the profile
//! file, the instance metadata of an ECS server, in that order; and the project id from IAM.
//! Every test sets its own variables and home directory (`ClientBuilder::from_lookup`) and
//! talks to the fake over loopback on a multi-thread runtime.

use std::{collections::HashMap, path::Path, time::Duration};

use codearts_webhooks::{
    Client, ClientBuilder, Credentials, Error,
    fake::{self, FakeCodeArts, Fault},
};

/// Variables for `from_lookup`, with `HOME` at `home`.
fn vars(home: &Path, pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.insert("HOME".into(), home.display().to_string());
    map
}

fn builder(map: &HashMap<String, String>) -> Result<ClientBuilder, Error> {
    ClientBuilder::from_lookup(|name| map.get(name).cloned())
}

/// A home directory with `~/.huaweicloud/credentials` holding `profile`, if given.
fn home(profile: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = profile {
        std::fs::create_dir(dir.path().join(".huaweicloud")).unwrap();
        std::fs::write(dir.path().join(".huaweicloud/credentials"), text).unwrap();
    }
    dir
}

/// A fake that accepts `PROFILEAK` as well as the default key pair.
async fn fake() -> FakeCodeArts {
    FakeCodeArts::builder()
        .keys([
            (fake::DEFAULT_AK, fake::DEFAULT_SK),
            ("PROFILEAK", "profile-secret"),
        ])
        .start()
        .await
        .unwrap()
}

/// A client of the fake from `map`, with the fake as endpoint, IAM and metadata service.
fn client(fake: &FakeCodeArts, map: &HashMap<String, String>) -> Client {
    builder(map)
        .unwrap()
        .repo_endpoint(fake.endpoint())
        .check_endpoint(fake.endpoint())
        .iam_endpoint(fake.endpoint())
        .metadata_endpoint(fake.endpoint())
        .build()
        .unwrap()
}

/// `n` calls at once, each on its own task; every one must succeed.
async fn all_succeed(client: &Client, n: usize) {
    let calls: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { list(&client).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
}

async fn list(client: &Client) -> Result<(), Error> {
    client
        .repo()
        .list_repository_webhooks()
        .repository_id(1)
        .send()
        .await
        .map(drop)
        .map_err(Error::from)
}

/// The access key and the value of a header of the last CodeArts request the fake received.
fn last_signed(fake: &FakeCodeArts, header: &str) -> (String, Option<String>) {
    let r = fake
        .received()
        .into_iter()
        .rev()
        .find(|r| r.operation == "ListRepositoryWebhooks")
        .unwrap();
    let get = |name: &str| {
        r.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let authorization = get("authorization").unwrap();
    let access = authorization
        .split("Access=")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_owned();
    if let Some(value) = get(header) {
        assert!(
            authorization.contains(header),
            "{header} is sent but not signed: {authorization}"
        );
        return (access, Some(value));
    }
    (access, None)
}

const PROFILE: &str = "# ~/.huaweicloud/credentials\r\n[global]\r\nak = NOTTHISONE\r\n\r\n\
                       [basic]\r\nak = PROFILEAK ; the access key\r\nsk=profile-secret\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_provider_alone() {
    let fake = fake().await;
    // Environment.
    let home_dir = home(None);
    let env = vars(
        home_dir.path(),
        &[
            ("HUAWEICLOUD_SDK_AK", fake::DEFAULT_AK),
            ("HUAWEICLOUD_SDK_SK", fake::DEFAULT_SK),
            ("HUAWEICLOUD_SDK_PROJECT_ID", "p-env"),
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
        ],
    );
    list(&client(&fake, &env)).await.unwrap();
    assert_eq!(
        last_signed(&fake, "x-project-id"),
        (fake::DEFAULT_AK.into(), Some("p-env".into()))
    );
    // Profile file under HOME, and the same file named by the variable.
    let profile_home = home(Some(PROFILE));
    let by_home = vars(
        profile_home.path(),
        &[("HUAWEICLOUD_SDK_REGION", "cn-north-4")],
    );
    list(&client(&fake, &by_home)).await.unwrap();
    assert_eq!(last_signed(&fake, "x-security-token").0, "PROFILEAK");
    let elsewhere = home(None);
    let named = profile_home.path().join(".huaweicloud/credentials");
    let by_var = vars(
        elsewhere.path(),
        &[
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
            ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", named.to_str().unwrap()),
        ],
    );
    list(&client(&fake, &by_var)).await.unwrap();
    assert_eq!(last_signed(&fake, "x-security-token").0, "PROFILEAK");
    let from_file = Credentials::from_profile_file(&named).unwrap();
    assert!(format!("{from_file:?}").contains("PROFILEAK"));
    // Instance metadata.
    let empty = home(None);
    let none = vars(empty.path(), &[("HUAWEICLOUD_SDK_REGION", "cn-north-4")]);
    list(&client(&fake, &none)).await.unwrap();
    let (access, token) = last_signed(&fake, "x-security-token");
    assert!(access.starts_with("FAKETEMPAK"), "{access}");
    assert_eq!(token.as_deref(), Some("fake-security-token-2"));
    assert_eq!(fake.requests(fake::METADATA_TOKEN), 1);
    assert_eq!(fake.requests(fake::METADATA_SECURITY_KEY), 1);
    let metadata = Credentials::from_instance_metadata_at(&fake.endpoint()).unwrap();
    let c = fake.client_builder().credentials(metadata).build().unwrap();
    list(&c).await.unwrap();
    assert_eq!(fake.requests(fake::METADATA_SECURITY_KEY), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_is_env_then_profile_then_metadata() {
    let fake = fake().await;
    let profile_home = home(Some(PROFILE));
    let region = ("HUAWEICLOUD_SDK_REGION", "cn-north-4");
    let all = vars(
        profile_home.path(),
        &[
            ("HUAWEICLOUD_SDK_AK", fake::DEFAULT_AK),
            ("HUAWEICLOUD_SDK_SK", fake::DEFAULT_SK),
            region,
        ],
    );
    list(&client(&fake, &all)).await.unwrap();
    assert_eq!(last_signed(&fake, "x-none").0, fake::DEFAULT_AK);
    let profile_and_metadata = vars(profile_home.path(), &[region]);
    list(&client(&fake, &profile_and_metadata)).await.unwrap();
    assert_eq!(last_signed(&fake, "x-none").0, "PROFILEAK");
    assert_eq!(fake.requests(fake::METADATA_SECURITY_KEY), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_credentials_anywhere_the_error_lists_each_provider() {
    // A port nothing listens on: the metadata service is unreachable at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metadata = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let fake = fake().await;
    let with_section_missing = home(Some("[global]\nak = a\nsk = b\n"));
    let map = vars(
        with_section_missing.path(),
        &[
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
            ("HUAWEICLOUD_SDK_METADATA_ENDPOINT", &metadata),
        ],
    );
    let client = builder(&map)
        .unwrap()
        .repo_endpoint(fake.endpoint())
        .check_endpoint(fake.endpoint())
        .build()
        .unwrap();
    let e = list(&client).await.unwrap_err();
    let Error::NoCredentials(tried) = &e else {
        panic!("{e:?}")
    };
    let providers: Vec<_> = tried.iter().map(|t| t.provider).collect();
    assert_eq!(
        providers,
        ["environment", "profile file", "instance metadata"]
    );
    let shown = e.to_string();
    assert!(
        shown.starts_with(
            "no credentials found: environment: neither HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK nor \
             HUAWEICLOUD_SDK_AUTH_TOKEN is set; profile file: "
        ) && shown
            .contains("credentials has no [basic] section; instance metadata: http://127.0.0.1:")
            && shown.contains("is unreachable"),
        "{shown}"
    );
    assert_eq!(
        fake.requests("ListRepositoryWebhooks"),
        0,
        "nothing was sent"
    );
    // Nor is there a file at all.
    let bare = home(None);
    let e = Credentials::from_profile_file(bare.path().join("nope")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("no credentials found: profile file: ")
            && e.to_string().ends_with("nope does not exist"),
        "{e}"
    );
}

#[test]
fn half_a_key_pair_or_a_malformed_profile_stops_the_chain() {
    let h = home(Some("[basic]\nak = a\n[broken\nsk = b\n"));
    let e = builder(&vars(h.path(), &[])).unwrap_err().to_string();
    assert!(
        e.contains("credentials is not valid INI: line 3: a section header must end with `]`"),
        "{e}"
    );
    let h = home(Some(PROFILE));
    let e = builder(&vars(h.path(), &[("HUAWEICLOUD_SDK_AK", "a")]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid configuration: HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not; set it"
    );
}

/// A client whose credentials come from the fake's instance metadata.
fn metadata_client(fake: &FakeCodeArts) -> Client {
    fake.client_builder()
        .credentials(Credentials::from_instance_metadata_at(&fake.endpoint()).unwrap())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_session_token_flow() {
    let fake = fake().await;
    let client = metadata_client(&fake);
    list(&client).await.unwrap();
    let key_requests: Vec<_> = fake
        .received()
        .into_iter()
        .filter(|r| r.operation == fake::METADATA_SECURITY_KEY)
        .collect();
    assert_eq!(
        key_requests[0]
            .headers
            .iter()
            .find(|(n, _)| n == "x-metadata-token")
            .map(|(_, v)| v.as_str()),
        Some("fake-metadata-session-1")
    );
    let token_request = fake
        .received()
        .into_iter()
        .find(|r| r.operation == fake::METADATA_TOKEN)
        .unwrap();
    assert_eq!(token_request.method, "PUT");
    assert!(
        token_request
            .headers
            .contains(&("x-metadata-token-ttl-seconds".into(), "21600".into()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_token_is_replaced_and_the_fetch_tried_once_more() {
    let fake = fake().await;
    // Expire the first keys at once so that the second call fetches again.
    fake.set_credential_lifetime(Duration::from_secs(1));
    let client = metadata_client(&fake);
    list(&client).await.unwrap();
    fake.set_credential_lifetime(Duration::from_secs(6 * 3600));
    fake.expire_metadata_sessions();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    list(&client).await.unwrap();
    assert_eq!(fake.requests(fake::METADATA_TOKEN), 2);
    // The first fetch, the one refused with 401, and the one with the new session token.
    assert_eq!(fake.requests(fake::METADATA_SECURITY_KEY), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_service_means_going_on_without_a_session_token() {
    let fake = fake().await;
    fake.inject(fake::METADATA_TOKEN, [Fault::status(404)]);
    list(&metadata_client(&fake)).await.unwrap();
    let key_request = fake
        .received()
        .into_iter()
        .find(|r| r.operation == fake::METADATA_SECURITY_KEY)
        .unwrap();
    assert!(
        !key_request
            .headers
            .iter()
            .any(|(n, _)| n == "x-metadata-token"),
        "{key_request:?}"
    );
    // A token service that fails otherwise is an error, with the status.
    let fake = fake::FakeCodeArts::start().await.unwrap();
    fake.inject(fake::METADATA_TOKEN, [Fault::status(500)]);
    let e = list(&metadata_client(&fake)).await.unwrap_err().to_string();
    assert!(
        e.contains("instance metadata: ") && e.contains("api/token answered 500"),
        "{e}"
    );
}

/// 100 concurrent calls after the keys expired: one fetch, every call signed with the new keys
/// (the fake refuses the old ones).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_across_an_expiry_share_one_refresh() {
    let fake = fake().await;
    fake.set_credential_lifetime(Duration::from_secs(1));
    let client = metadata_client(&fake);
    list(&client).await.unwrap();
    fake.set_credential_lifetime(Duration::from_secs(6 * 3600));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fake.expire_issued_credentials();
    all_succeed(&client, 100).await;
    assert_eq!(fake.requests(fake::METADATA_SECURITY_KEY), 2);
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 101);
}

/// Keys within 40 minutes of expiry are refreshed once in the background while the calls go on
/// with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_close_to_expiry_are_refreshed_once_in_the_background() {
    let fake = fake().await;
    fake.set_credential_lifetime(Duration::from_secs(40 * 60 + 1));
    let client = metadata_client(&fake);
    list(&client).await.unwrap();
    let first = last_signed(&fake, "x-none").0;
    fake.set_credential_lifetime(Duration::from_secs(6 * 3600));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    all_succeed(&client, 100).await;
    // The background fetch lands shortly after.
    for _ in 0..100 {
        if fake.requests(fake::METADATA_SECURITY_KEY) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    list(&client).await.unwrap();
    assert_eq!(fake.requests(fake::METADATA_SECURITY_KEY), 2);
    assert_ne!(
        last_signed(&fake, "x-none").0,
        first,
        "the new keys are in use"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metadata_outage_with_valid_keys_fails_no_call() {
    let fake = fake().await;
    fake.set_credential_lifetime(Duration::from_secs(40 * 60 + 1));
    let client = metadata_client(&fake);
    list(&client).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fake.inject(
        fake::METADATA_SECURITY_KEY,
        std::iter::repeat_n(Fault::status(503), 10),
    );
    for _ in 0..20 {
        list(&client).await.unwrap();
    }
    // One failed refresh; the next is a minute away.
    assert_eq!(fake.requests(fake::METADATA_SECURITY_KEY), 2);
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 21);
}

fn aksk_client(fake: &FakeCodeArts, region: &str) -> ClientBuilder {
    fake.client_builder()
        .region(region)
        .credentials(Credentials::aksk(fake::DEFAULT_AK, fake::DEFAULT_SK))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_project_id_is_looked_up_once_for_concurrent_first_calls() {
    let fake = fake().await;
    let client = aksk_client(&fake, "cn-north-4").build().unwrap();
    all_succeed(&client, 50).await;
    assert_eq!(fake.requests(fake::KEYSTONE_LIST_PROJECTS), 1);
    let iam = fake
        .received()
        .into_iter()
        .find(|r| r.operation == fake::KEYSTONE_LIST_PROJECTS)
        .unwrap();
    assert_eq!(iam.query.as_deref(), Some("name=cn-north-4"));
    assert_eq!(
        last_signed(&fake, "x-project-id").1.as_deref(),
        Some(fake::DEFAULT_PROJECT_ID)
    );
    // CodeArts Check calls use it too, without a second lookup.
    client
        .check()
        .update_code_check_webhook()
        .task_id("t1")
        .body_map(|b| b.is_set_mr_webhook(true))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.requests(fake::KEYSTONE_LIST_PROJECTS), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_project_or_several_are_clear_errors() {
    let fake = fake().await;
    fake.set_projects("cn-east-3", Vec::<String>::new());
    fake.set_projects("cn-south-1", ["p1", "p2"]);
    let e = list(&aksk_client(&fake, "cn-east-3").build().unwrap())
        .await
        .unwrap_err();
    let Error::ProjectId { trace_id, .. } = &e else {
        panic!("{e:?}")
    };
    assert!(
        trace_id
            .as_deref()
            .is_some_and(|t| t.starts_with("iam-fake-"))
    );
    let shown = e.to_string();
    assert!(
        shown.starts_with(
            "could not find the project id of cn-east-3: IAM lists no project named \"cn-east-3\""
        ) && shown.contains("(IAM trace id iam-fake-"),
        "{shown}"
    );
    let e = list(&aksk_client(&fake, "cn-south-1").build().unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("IAM lists 2 projects named \"cn-south-1\" (p1, p2)"),
        "{e}"
    );
    assert_eq!(
        fake.requests("ListRepositoryWebhooks"),
        0,
        "nothing was sent"
    );
    // IAM refusing the signature: its status and trace id.
    let wrong = fake
        .client_builder()
        .region("cn-north-4")
        .credentials(Credentials::aksk(fake::DEFAULT_AK, "wrong"))
        .build()
        .unwrap();
    let e = list(&wrong).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{e}");
}

/// A lookup that fails on the way (a 5xx, a connection dropped) is tried again as the client's
/// retry policy says; an answer that trying again cannot change (a 403) is not, and neither is
/// anything with a policy of one attempt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_that_fails_on_the_way_is_tried_again() {
    use codearts_webhooks::RetryPolicy;
    let fake = fake().await;
    let quick = RetryPolicy::default().initial_backoff(Duration::from_millis(5));
    let lookups = || fake.requests(fake::KEYSTONE_LIST_PROJECTS);

    fake.inject(
        fake::KEYSTONE_LIST_PROJECTS,
        [Fault::status(503), Fault::drop_connection()],
    );
    let client = aksk_client(&fake, "cn-north-4")
        .retry(quick.clone())
        .build()
        .unwrap();
    list(&client).await.unwrap();
    assert_eq!(lookups(), 3);
    assert_eq!(
        last_signed(&fake, "x-project-id").1.as_deref(),
        Some(fake::DEFAULT_PROJECT_ID)
    );

    fake.inject(fake::KEYSTONE_LIST_PROJECTS, [Fault::status(403)]);
    let client = aksk_client(&fake, "cn-north-4")
        .retry(quick)
        .build()
        .unwrap();
    let e = list(&client).await.unwrap_err();
    assert!(matches!(e, Error::ProjectId { .. }), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(403), "{e}");
    assert_eq!(lookups(), 4);

    fake.inject(fake::KEYSTONE_LIST_PROJECTS, [Fault::status(503)]);
    let once = aksk_client(&fake, "cn-north-4")
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = list(&once).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{e}");
    assert_eq!(lookups(), 5);
    // A failed lookup is not kept: the next call looks up again, and succeeds.
    list(&once).await.unwrap();
    assert_eq!(lookups(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lookup_can_be_turned_off_or_skipped() {
    let fake = fake().await;
    let off = aksk_client(&fake, "cn-north-4")
        .project_id_lookup(false)
        .build()
        .unwrap();
    list(&off).await.unwrap();
    assert_eq!(last_signed(&fake, "x-project-id").1, None);
    let explicit = fake
        .client_builder()
        .region("cn-north-4")
        .credentials(Credentials::aksk(fake::DEFAULT_AK, fake::DEFAULT_SK).with_project_id("mine"))
        .build()
        .unwrap();
    list(&explicit).await.unwrap();
    assert_eq!(
        last_signed(&fake, "x-project-id").1.as_deref(),
        Some("mine")
    );
    // A token needs no project id; neither does a client without a region.
    let token = fake
        .client_builder()
        .region("cn-north-4")
        .credentials(Credentials::token(fake.token()))
        .build()
        .unwrap();
    list(&token).await.unwrap();
    assert_eq!(fake.requests(fake::KEYSTONE_LIST_PROJECTS), 0);
}

/// The metadata service's keys are AK/SK without a project id: looked up too, per access key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_keys_get_the_project_id_too() {
    let fake = fake().await;
    let client = fake
        .client_builder()
        .region("cn-north-4")
        .credentials(Credentials::from_instance_metadata_at(&fake.endpoint()).unwrap())
        .build()
        .unwrap();
    list(&client).await.unwrap();
    list(&client).await.unwrap();
    assert_eq!(fake.requests(fake::KEYSTONE_LIST_PROJECTS), 1);
    let (access, project) = last_signed(&fake, "x-project-id");
    assert!(access.starts_with("FAKETEMPAK"));
    assert_eq!(project.as_deref(), Some(fake::DEFAULT_PROJECT_ID));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regions_file_and_moving_to_the_next_endpoint() {
    let fake = fake().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let h = home(None);
    let dir = h.path().join(".huaweicloud");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("regions.yaml"),
        format!(
            "CODEARTSREPO:\n  - id: cn-north-4\n    endpoints:\n      - {refused}\n      - {}\n\
             codeartscheck:\n  - id: cn-north-4\n    endpoint: http://no-such-host.invalid\n    \
             endpoints: [{}]\n",
            fake.endpoint(),
            fake.endpoint()
        ),
    )
    .unwrap();
    let map = vars(
        h.path(),
        &[
            ("HUAWEICLOUD_SDK_AUTH_TOKEN", fake.token()),
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
        ],
    );
    let client = builder(&map).unwrap().build().unwrap();
    list(&client).await.unwrap();
    list(&client).await.unwrap();
    client
        .check()
        .update_code_check_webhook()
        .task_id("t1")
        .body_map(|b| b.is_set_push_webhook(true))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 2);
    assert_eq!(fake.check_task("t1"), Some((None, Some(true))));
    // The environment's comma-separated list wins over the file.
    let map = vars(
        h.path(),
        &[
            ("HUAWEICLOUD_SDK_AUTH_TOKEN", fake.token()),
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
            (
                "HUAWEICLOUD_SDK_REGION_CODEARTSREPO_CN_NORTH_4",
                &format!("http://no-such-host.invalid, {}", fake.endpoint()),
            ),
        ],
    );
    let client = builder(&map).unwrap().build().unwrap();
    list(&client).await.unwrap();
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 3);
    // A POST moves on too: no connection was made, so nothing was sent.
    let hook = client
        .repo()
        .add_repository_webhook()
        .repository_id(1)
        .body(codearts_webhooks::repo::types::WebhookParamsDto {
            url: Some("https://ci.example.com".into()),
            name: Some("ci".into()),
            ..Default::default()
        })
        .send()
        .await;
    assert!(hook.is_ok(), "{hook:?}");
}

#[test]
fn a_malformed_or_missing_regions_file_is_named() {
    let h = home(None);
    let file = h.path().join("regions.yaml");
    std::fs::write(&file, "CODEARTSREPO:\n  - id: cn-north-4\n    endpont: x\n").unwrap();
    let map = vars(
        h.path(),
        &[
            ("HUAWEICLOUD_SDK_AUTH_TOKEN", "t"),
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
            ("HUAWEICLOUD_SDK_REGIONS_FILE", file.to_str().unwrap()),
        ],
    );
    let e = builder(&map).unwrap_err().to_string();
    assert!(
        e.contains("regions.yaml is not valid: line 3") && e.contains("endpont"),
        "{e}"
    );
    std::fs::remove_file(&file).unwrap();
    let e = builder(&map).unwrap_err().to_string();
    assert!(
        e.contains("(named by HUAWEICLOUD_SDK_REGIONS_FILE) could not be read"),
        "{e}"
    );
}

/// The IAM endpoint of the lookup: `HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the profile's
/// `iam_endpoint` (the builder's `.iam_endpoint(..)` wins over both; see the tests above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_iam_endpoint_comes_from_the_environment_or_the_profile() {
    let fake = fake().await;
    let only_endpoints = |map: &HashMap<String, String>| {
        builder(map)
            .unwrap()
            .repo_endpoint(fake.endpoint())
            .check_endpoint(fake.endpoint())
            .build()
            .unwrap()
    };
    let with_iam = home(Some(&format!(
        "[basic]\nak = PROFILEAK\nsk = profile-secret\niam_endpoint = {}\n",
        fake.endpoint()
    )));
    let map = vars(with_iam.path(), &[("HUAWEICLOUD_SDK_REGION", "cn-north-4")]);
    list(&only_endpoints(&map)).await.unwrap();
    assert_eq!(fake.requests(fake::KEYSTONE_LIST_PROJECTS), 1);
    let bare = home(None);
    let map = vars(
        bare.path(),
        &[
            ("HUAWEICLOUD_SDK_AK", fake::DEFAULT_AK),
            ("HUAWEICLOUD_SDK_SK", fake::DEFAULT_SK),
            ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
            ("HUAWEICLOUD_SDK_IAM_ENDPOINT", &fake.endpoint()),
        ],
    );
    list(&only_endpoints(&map)).await.unwrap();
    assert_eq!(fake.requests(fake::KEYSTONE_LIST_PROJECTS), 2);
    assert_eq!(
        last_signed(&fake, "x-project-id").1.as_deref(),
        Some(fake::DEFAULT_PROJECT_ID)
    );
}

//! The real client against the real fake over loopback TCP: all 25 operations in both
//! credential modes, paging, 404 after remove, 401 and 400 as the service answers them, and
//! the fake's consistency under concurrent use.

mod common;

use std::collections::{BTreeSet, HashSet};

use codearts_webhooks::{
    Error,
    fake::FakeCodeArts,
    notification::ChatWebhook,
    page::{self, TotalCount},
    repo::types::{
        NotificationType, UpdateRepoNotificationSubscriptionDto, WebhookParamsDto,
        WebhookParamsRequestDto,
    },
    signer,
};
use common::{ALL_OPERATIONS, MODES, Mode, PROJECT, client};
use futures_util::TryStreamExt;
use serde_json::{Value, json};

fn params(name: &str) -> WebhookParamsDto {
    WebhookParamsDto {
        url: Some(format!("https://ci.example.com/{name}")),
        name: Some(name.into()),
        push_events: Some(true),
        push_events_branch_regex_filter: Some(".*".into()),
        token: Some("hook-secret".into()),
        ..Default::default()
    }
}

fn group_params(name: &str) -> WebhookParamsRequestDto {
    WebhookParamsRequestDto::builder()
        .url(format!("https://ci.example.com/{name}"))
        .name(name)
        .merge_requests_events(true)
        .try_into()
        .unwrap()
}

fn status(e: impl Into<Error>) -> u16 {
    let e = e.into();
    e.status()
        .unwrap_or_else(|| panic!("no status: {e:?}"))
        .as_u16()
}

#[tokio::test]
async fn every_operation_round_trips_in_both_modes() {
    let fake = FakeCodeArts::start().await.unwrap();
    for mode in MODES {
        let c = client(&fake, mode);
        let r = c.repo();

        // Groups.
        let ids: Vec<i32> = futures_util::future::try_join_all((0..3).map(|i| {
            r.add_group_webhook()
                .group_id(11)
                .body(group_params(&format!("g{i}")))
                .send()
        }))
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id.unwrap())
        .collect();
        let first = r
            .list_group_webhooks()
            .group_id(11)
            .limit(2)
            .send()
            .await
            .unwrap();
        assert_eq!((first.len(), first.total()), (2, Some(3)), "{mode:?}");
        let rest = r
            .list_group_webhooks()
            .group_id(11)
            .offset(2)
            .limit(2)
            .send()
            .await
            .unwrap();
        assert_eq!(rest.len(), 1);
        let shown = r
            .show_group_webhook()
            .group_id(11)
            .hook_id(ids[0])
            .send()
            .await
            .unwrap();
        assert_eq!(shown.name.as_deref(), Some("g0"));
        let updated = r
            .update_group_webhook()
            .group_id(11)
            .hook_id(ids[0])
            .body(
                WebhookParamsRequestDto::builder()
                    .url("https://new.example.com")
                    .name("g0b")
                    .tag_push_events(true),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            (updated.url.as_deref(), updated.tag_push_events),
            (Some("https://new.example.com"), Some(true))
        );
        let log_id = fake.deliver(ids[0], "merge_request", "200").unwrap();
        fake.deliver(ids[0], "push", "internal error").unwrap();
        let logs = r
            .list_group_webhook_logs()
            .group_id(11)
            .hook_id(ids[0])
            .send()
            .await
            .unwrap();
        assert_eq!((logs.len(), logs.total()), (2, Some(2)));
        assert!(
            logs[0]
                .repository
                .as_ref()
                .and_then(|r| r.namespace.clone())
                .is_some()
        );
        let log = r
            .show_group_webhook_log()
            .group_id(11)
            .hook_id(ids[0])
            .log_id(log_id)
            .send()
            .await
            .unwrap();
        assert_eq!(log.trigger.as_deref(), Some("merge_request"));
        r.remove_group_webhook()
            .group_id(11)
            .hook_id(ids[0])
            .send()
            .await
            .unwrap();
        assert_eq!(
            status(
                r.show_group_webhook()
                    .group_id(11)
                    .hook_id(ids[0])
                    .send()
                    .await
                    .unwrap_err()
            ),
            404
        );
        for id in &ids[1..] {
            r.remove_group_webhook()
                .group_id(11)
                .hook_id(*id)
                .send()
                .await
                .unwrap();
        }

        // Projects.
        let hook = r
            .add_project_webhook()
            .project_id(PROJECT)
            .body(params("p"))
            .send()
            .await
            .unwrap();
        assert_eq!(hook.status().as_u16(), 201);
        assert_eq!(
            hook.token.as_deref(),
            Some("************"),
            "the token comes back masked"
        );
        let id = hook.id.unwrap();
        assert_eq!(
            r.list_project_webhooks()
                .project_id(PROJECT)
                .send()
                .await
                .unwrap()
                .total(),
            Some(1)
        );
        r.show_project_webhook()
            .project_id(PROJECT)
            .hook_id(id)
            .send()
            .await
            .unwrap();
        r.update_project_webhook()
            .project_id(PROJECT)
            .hook_id(id)
            .body(params("p2"))
            .send()
            .await
            .unwrap();
        let log_id = fake.deliver(id, "push", "200").unwrap();
        let logs = r
            .list_project_webhook_logs()
            .project_id(PROJECT)
            .hook_id(id)
            .limit(1)
            .send()
            .await
            .unwrap();
        assert_eq!(logs[0].id, Some(log_id));
        let uuid = logs[0].uuid.clone().unwrap();
        let by_uuid = r
            .list_project_webhook_logs()
            .project_id(PROJECT)
            .hook_id(id)
            .uuid(uuid)
            .send()
            .await
            .unwrap();
        assert_eq!(by_uuid.len(), 1);
        r.show_project_webhook_log()
            .project_id(PROJECT)
            .hook_id(id)
            .log_id(log_id)
            .send()
            .await
            .unwrap();
        r.remove_project_webhook()
            .project_id(PROJECT)
            .hook_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            status(
                r.remove_project_webhook()
                    .project_id(PROJECT)
                    .hook_id(id)
                    .send()
                    .await
                    .unwrap_err()
            ),
            404
        );

        // Repositories.
        let id = r
            .add_repository_webhook()
            .repository_id(7)
            .body(params("r"))
            .send()
            .await
            .unwrap()
            .id
            .unwrap();
        let listed = r
            .list_repository_webhooks()
            .repository_id(7)
            .include_system(true)
            .send()
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        r.show_repository_webhook()
            .repository_id(7)
            .hook_id(id)
            .send()
            .await
            .unwrap();
        r.update_repository_webhook()
            .repository_id(7)
            .hook_id(id)
            .body(params("r2"))
            .send()
            .await
            .unwrap();
        let log_id = fake.deliver(id, "tag_push", "200").unwrap();
        let logs = r
            .list_repository_webhook_logs()
            .repository_id(7)
            .hook_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(logs.len(), 1);
        let detail = r
            .show_repository_webhook_log()
            .repository_id(7)
            .hook_id(id)
            .log_id(log_id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            detail.request_headers.as_ref().unwrap()["X-Repo-Token"],
            "******"
        );
        r.remove_repository_webhook()
            .repository_id(7)
            .hook_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            status(
                r.show_repository_webhook_log()
                    .repository_id(7)
                    .hook_id(id)
                    .log_id(log_id)
                    .send()
                    .await
                    .unwrap_err()
            ),
            404
        );

        // Notifications: plain values in, Base64 on the wire, decoded values back.
        let repo = if matches!(mode, Mode::Token) { 7 } else { 8 };
        let before = r
            .show_notification_subscription()
            .repository_id(repo)
            .type_(NotificationType::Qyweixin)
            .send()
            .await
            .unwrap();
        assert_eq!(before.enabled, Some(false));
        let chat = ChatWebhook::new("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1")
            .token("chat-secret")
            .mention_phones(["17812341234", "18512341234"]);
        let after = r
            .update_notification_subscription()
            .repository_id(repo)
            .type_(NotificationType::Qyweixin)
            .body(UpdateRepoNotificationSubscriptionDto {
                enabled: Some(true),
                webhook_config: Some(chat.encode().unwrap()),
                ..Default::default()
            })
            .send()
            .await
            .unwrap();
        let shown = after.webhook_config.clone().unwrap();
        assert_eq!(
            shown.url.as_deref(),
            Some("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1")
        );
        assert_eq!(
            shown.mention_phone.as_deref(),
            Some("17812341234;18512341234")
        );
        assert_eq!(shown.has_token, Some(true));
        let wire = fake
            .received()
            .into_iter()
            .rev()
            .find(|r| r.operation == "UpdateNotificationSubscription")
            .unwrap();
        let body: Value = serde_json::from_slice(&wire.body).unwrap();
        assert_eq!(
            body,
            json!({"enabled": true, "webhook_config": {
                "url": "aHR0cHM6Ly9xeWFwaS53ZWl4aW4ucXEuY29tL2NnaS1iaW4vd2ViaG9vay9zZW5kP2tleT1rMQ==",
                "token": "chat-secret",
                "mention_phone": "MTc4MTIzNDEyMzQ7MTg1MTIzNDEyMzQ="}})
        );
        assert_eq!(wire.query.as_deref(), Some("type=qyweixin"));
        let status_all = r
            .show_notification_subscriptions_status()
            .repository_id(repo)
            .send()
            .await
            .unwrap();
        assert_eq!(status_all.qyweixin.as_ref().unwrap().enabled, Some(true));
        assert_eq!(status_all.email.as_ref().unwrap().enabled, Some(false));

        // CodeArts Check.
        let task = format!("task-{mode:?}");
        let res = c
            .check()
            .update_code_check_webhook()
            .task_id(&task)
            .body_map(|b| b.is_set_mr_webhook(true).is_set_push_webhook(false))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.result.as_deref(),
            Some("CodeArts Repo integration setting updated.")
        );
        assert_eq!(fake.check_task(&task), Some((Some(true), Some(false))));
    }
    let seen: HashSet<String> = fake.received().into_iter().map(|r| r.operation).collect();
    for op in ALL_OPERATIONS {
        assert!(seen.contains(op), "{op} was not exercised");
    }
    for op in ALL_OPERATIONS {
        assert!(fake.requests(op) >= 2, "{op} ran in both modes");
    }
}

#[tokio::test]
async fn the_paging_helper_reads_every_item_across_pages() {
    let fake = FakeCodeArts::builder()
        .repository_webhook_cap(1000)
        .start()
        .await
        .unwrap();
    let c = client(&fake, Mode::Token);
    for i in 0..250 {
        c.repo()
            .add_repository_webhook()
            .repository_id(3)
            .body(params(&format!("h{i}")))
            .send()
            .await
            .unwrap();
    }
    let before = fake.requests("ListRepositoryWebhooks");
    let all: Vec<_> = page::items(100, |p| {
        c.repo()
            .list_repository_webhooks()
            .repository_id(3)
            .offset(p.offset)
            .limit(p.limit)
            .send()
    })
    .try_collect()
    .await
    .unwrap();
    assert_eq!(all.len(), 250);
    let names: BTreeSet<_> = all.iter().map(|h| h.name.clone().unwrap()).collect();
    assert_eq!(names.len(), 250);
    assert_eq!(
        fake.requests("ListRepositoryWebhooks") - before,
        3,
        "stops at X-Total without an empty page"
    );

    let empty: Vec<_> = page::items(10, |p| {
        c.repo()
            .list_repository_webhooks()
            .repository_id(4)
            .offset(p.offset)
            .limit(p.limit)
            .send()
    })
    .try_collect()
    .await
    .unwrap();
    assert!(empty.is_empty());

    // An error ends the stream after yielding it once.
    fake.inject(
        "ListGroupWebhooks",
        [codearts_webhooks::fake::Fault::status(403)],
    );
    let mut stream = Box::pin(page::items(10, |p| {
        c.repo()
            .list_group_webhooks()
            .group_id(1)
            .offset(p.offset)
            .limit(p.limit)
            .send()
    }));
    assert_eq!(status(stream.try_next().await.unwrap_err()), 403);
    assert!(stream.try_next().await.unwrap().is_none());
}

fn raw_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn error_body(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    assert!(resp.headers().contains_key("x-request-id"));
    (status, resp.json().await.unwrap())
}

fn signed(
    fake: &FakeCodeArts,
    method: reqwest::Method,
    path: &str,
    body: &str,
    at: std::time::SystemTime,
) -> reqwest::Request {
    let mut req = reqwest::Request::new(
        method,
        format!("{}{path}", fake.endpoint()).parse().unwrap(),
    );
    req.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    *req.body_mut() = Some(body.to_owned().into());
    let (ak, sk) = fake.key();
    signer::sign_request(&mut req, ak, sk.as_bytes(), at).unwrap();
    req
}

#[tokio::test]
async fn the_fake_rejects_wrong_credentials_with_401() {
    let fake = FakeCodeArts::start().await.unwrap();
    let wrong = fake
        .client_builder()
        .credentials(codearts_webhooks::Credentials::token("nope"))
        .build()
        .unwrap();
    let e = Error::from(
        wrong
            .repo()
            .list_group_webhooks()
            .group_id(1)
            .send()
            .await
            .unwrap_err(),
    );
    let s = e.service_error().unwrap();
    assert_eq!(
        (s.status.as_u16(), s.error_code.as_str()),
        (401, "APIGW.0301")
    );
    let bad_key = fake
        .client_builder()
        .credentials(codearts_webhooks::Credentials::aksk(
            fake.key().0,
            "wrong-sk",
        ))
        .build()
        .unwrap();
    assert_eq!(
        status(
            bad_key
                .repo()
                .list_group_webhooks()
                .group_id(1)
                .send()
                .await
                .unwrap_err()
        ),
        401
    );

    let http = raw_client();
    let now = std::time::SystemTime::now();
    let path = "/v4/repositories/1/hooks";
    let body = r#"{"url":"https://x","name":"n"}"#;
    // The untouched signed request is accepted...
    let ok = http
        .execute(signed(&fake, reqwest::Method::POST, path, body, now))
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 201);
    // ...a changed body, path or method is not...
    let mut tampered = signed(&fake, reqwest::Method::POST, path, body, now);
    *tampered.body_mut() = Some(r#"{"url":"https://evil","name":"n"}"#.into());
    let (code, json) = error_body(http.execute(tampered).await.unwrap()).await;
    assert_eq!(code, 401);
    // The gateway's words, with the canonical request it computed (newlines as `|`).
    let msg = json["error_msg"].as_str().unwrap();
    assert!(
        msg.starts_with(
            "Incorrect IAM authentication information: verify aksk signature fail, \
             canonicalRequest:POST|/v4/repositories/1/hooks/||content-type:application/json|"
        ),
        "{msg}"
    );
    assert!(json["request_id"].as_str().unwrap().starts_with("fake-"));
    let mut moved = signed(&fake, reqwest::Method::POST, path, body, now);
    *moved.url_mut() = format!("{}/v4/repositories/2/hooks", fake.endpoint())
        .parse()
        .unwrap();
    assert_eq!(error_body(http.execute(moved).await.unwrap()).await.0, 401);
    // ...nor an identity header added after signing...
    let mut added = signed(&fake, reqwest::Method::POST, path, body, now);
    added
        .headers_mut()
        .insert("x-project-id", "someone-else".parse().unwrap());
    let (code, json) = error_body(http.execute(added).await.unwrap()).await;
    assert_eq!(
        (code, json["error_msg"].as_str()),
        (401, Some("The header x-project-id must be signed."))
    );
    // ...nor a date more than 15 minutes off.
    let stale = signed(
        &fake,
        reqwest::Method::POST,
        path,
        body,
        now - std::time::Duration::from_secs(16 * 60),
    );
    let (code, json) = error_body(http.execute(stale).await.unwrap()).await;
    assert_eq!(code, 401);
    let signed_at = signer::format_sdk_date(now - std::time::Duration::from_secs(16 * 60));
    let msg = json["error_msg"].as_str().unwrap();
    assert!(
        msg.starts_with(&format!(
            "Incorrect IAM authentication information: calc aksk signature fail:signature \
             expired, signature time:{signed_at},server time:"
        )),
        "{msg}"
    );
    // No credentials at all.
    let (code, _) = error_body(
        http.get(format!("{}{path}", fake.endpoint()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(code, 401);
}

#[tokio::test]
async fn the_fake_answers_invalid_bodies_with_400() {
    let fake = FakeCodeArts::start().await.unwrap();
    let http = raw_client();
    let send = |path: &str, body: &'static str| {
        http.post(format!("{}{path}", fake.endpoint()))
            .header("x-auth-token", fake.token())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (path, body, msg) in [
        ("/v4/repositories/1/hooks", r#"{"url": 5}"#, "body.url"),
        (
            "/v4/repositories/1/hooks",
            r#"{"url": "#,
            "body is not JSON",
        ),
        (
            "/v4/groups/1/hooks",
            r#"{"url": "https://x", "name": "n"}"#,
            "must enable at least one of",
        ),
        (
            "/v4/groups/0/hooks",
            r#"{"url": "https://x", "name": "n", "tag_push_events": true}"#,
            "group_id",
        ),
        (
            "/v4/projects/short/hooks",
            r#"{"url": "https://x"}"#,
            "project_id",
        ),
    ] {
        let (code, json) = error_body(send(path, body).await.unwrap()).await;
        assert_eq!(code, 400, "{path} {body}");
        assert_eq!(json["error_code"], "CH.00400001");
        assert!(json["error_msg"].as_str().unwrap().contains(msg), "{json}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_and_removes_lose_nothing() {
    let fake = std::sync::Arc::new(
        FakeCodeArts::builder()
            .repository_webhook_cap(1000)
            .start()
            .await
            .unwrap(),
    );
    let tasks = (0..32).map(|t| {
        let fake = fake.clone();
        tokio::spawn(async move {
            let c = client(&fake, if t % 2 == 0 { Mode::Token } else { Mode::AkSk });
            let mut kept = Vec::new();
            for i in 0..6 {
                let id = c
                    .repo()
                    .add_repository_webhook()
                    .repository_id(42)
                    .body(params(&format!("t{t}-{i}")))
                    .send()
                    .await
                    .unwrap()
                    .id
                    .unwrap();
                if i % 3 == 0 {
                    c.repo()
                        .remove_repository_webhook()
                        .repository_id(42)
                        .hook_id(id)
                        .send()
                        .await
                        .unwrap();
                } else {
                    kept.push(id);
                }
            }
            kept
        })
    });
    let mut expected = Vec::new();
    for t in tasks {
        expected.extend(t.await.unwrap());
    }
    let c = client(&fake, Mode::Token);
    let listed: Vec<i32> = page::items(100, |p| {
        c.repo()
            .list_repository_webhooks()
            .repository_id(42)
            .offset(p.offset)
            .limit(p.limit)
            .send()
    })
    .map_ok(|h| h.id.unwrap())
    .try_collect()
    .await
    .unwrap();
    let unique: BTreeSet<i32> = listed.iter().copied().collect();
    assert_eq!(listed.len(), unique.len(), "an id is listed twice");
    assert_eq!(unique, expected.iter().copied().collect::<BTreeSet<_>>());
    assert_eq!(listed.len(), 32 * 4);
}

//! The documented examples: each request body decodes into its generated type and encodes back
//! to the same JSON; each response decodes with no field lost; and the description's examples
//! are exactly those of the official pages.

mod common;

use codearts_webhooks::{check, repo};
use common::{Example, PAGES, examples, page_examples, spec, without_nulls};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

fn round_trip<T: DeserializeOwned + Serialize>(value: &Value) -> Value {
    let typed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| {
        panic!(
            "{value} does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    serde_json::to_value(&typed).unwrap()
}

/// Decodes the example into the generated type named by its schema and encodes it again.
fn through_generated_type(service: &str, example: &Example) -> Value {
    let v = &example.value;
    match (service, example.schema.as_str()) {
        ("repo", "WebhookParamsDto") => round_trip::<repo::types::WebhookParamsDto>(v),
        ("repo", "WebhookParamsRequestDto") => {
            round_trip::<repo::types::WebhookParamsRequestDto>(v)
        }
        ("repo", "WebhookDto") => round_trip::<repo::types::WebhookDto>(v),
        ("repo", "ErrorResponse") => round_trip::<repo::types::ErrorResponse>(v),
        ("repo", "UpdateRepoNotificationSubscriptionDto") => {
            round_trip::<repo::types::UpdateRepoNotificationSubscriptionDto>(v)
        }
        ("repo", "ShowNotificationSubscriptionResponse") => {
            round_trip::<repo::types::ShowNotificationSubscriptionResponse>(v)
        }
        ("check", "UpdateCodeCheckWebhookRequestBody") => {
            round_trip::<check::types::UpdateCodeCheckWebhookRequestBody>(v)
        }
        ("check", "UpdateCodeCheckWebhookResponse") => {
            round_trip::<check::types::UpdateCodeCheckWebhookResponse>(v)
        }
        ("check", "ErrorResponse") => round_trip::<check::types::ErrorResponse>(v),
        (s, other) => {
            panic!("no generated type mapped for {s} schema {other}: add it to this test")
        }
    }
}

#[test]
fn every_example_round_trips_through_its_generated_type() {
    let mut count = 0;
    for service in ["repo", "check"] {
        for example in examples(&spec(service)) {
            let back = through_generated_type(service, &example);
            match example.status {
                // Requests must come back byte for byte as documented: the examples carry no null.
                None => assert_eq!(back, example.value, "request of {}", example.operation),
                Some(ref status) => assert_eq!(
                    back,
                    without_nulls(&example.value),
                    "{status} response of {}",
                    example.operation
                ),
            }
            count += 1;
        }
    }
    // 5 request bodies; 5 + 3 + 2 + 4 + 3 responses with examples (some shared by reference).
    assert!(count >= 20, "only {count} examples found");
}

#[test]
fn the_description_carries_every_example_of_the_official_pages() {
    for (file, service, operation) in PAGES {
        let page = page_examples(file);
        let spec = spec(service);
        let ours: Vec<Example> = examples(&spec)
            .into_iter()
            .filter(|e| e.operation == *operation)
            .collect();
        match &page.request {
            Some(body) => {
                let mine = ours
                    .iter()
                    .find(|e| e.status.is_none())
                    .unwrap_or_else(|| panic!("{operation}: no request example"));
                assert_eq!(
                    &mine.value, body,
                    "{operation}: request example differs from {file}"
                );
            }
            None => assert!(
                ours.iter().all(|e| e.status.is_some()),
                "{operation}: the page has no request body"
            ),
        }
        assert!(
            !page.responses.is_empty(),
            "{file}: no response examples found"
        );
        for (status, body) in &page.responses {
            let mine = ours
                .iter()
                .find(|e| e.status.as_deref() == Some(status))
                .unwrap_or_else(|| panic!("{operation}: no {status} example"));
            assert_eq!(
                &mine.value, body,
                "{operation}: {status} example differs from {file}"
            );
        }
    }
}

#[test]
fn the_documented_notification_response_keeps_nulls_and_empty_lists_apart() {
    let example = examples(&spec("repo"))
        .into_iter()
        .find(|e| {
            e.operation == "UpdateNotificationSubscription" && e.status.as_deref() == Some("200")
        })
        .unwrap();
    let decoded: repo::types::ShowNotificationSubscriptionResponse =
        serde_json::from_value(example.value).unwrap();
    let events = decoded.subscript_events.unwrap();
    assert_eq!(events.len(), 9);
    assert_eq!(events[0].role_ids, None);
    assert_eq!(events[0].role_names, Some(vec![]));
    assert_eq!(events[7].role_ids, Some(vec![String::new()]));
    assert_eq!(
        events[8].action,
        Some(codearts_webhooks::enums::SubscriptionAction::CapacityWarning)
    );
    assert_eq!(decoded.waring_repo_usage_rate, Some(60));
}

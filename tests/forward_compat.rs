//! Responses decode when the service adds fields or enum values, or sends null; requests never
//! send null for a field left unset.

use codearts_webhooks::{
    check,
    enums::{ConfigSource, SubscriptionAction, SubscriptionResourceType, SubscriptionRoleName},
    repo::types,
};
use serde_json::json;

#[test]
fn webhook_with_unknown_fields_and_nulls_everywhere() {
    let body = json!({
        "id": 7, "url": "https://x", "push_events": true, "added_later": {"nested": [1, 2]},
        "push_events_branch_regex_filter": null, "note_plain_text_filter": null,
        "tag_push_events": null, "merge_requests_events": null, "note_events": null,
        "token": "******", "token_type": null, "name": null, "description": null,
        "event_cfgs": null, "project_cfgs": null, "branch_cfgs": null,
        "created_at": null, "updated_at": null, "service": null
    });
    let hook: types::WebhookDto = serde_json::from_value(body).unwrap();
    assert_eq!(hook.id, Some(7));
    assert_eq!(hook.token.as_deref(), Some("******"));
    assert_eq!(hook.note_plain_text_filter, None);
    assert_eq!(hook.event_cfgs, None);
}

#[test]
fn lists_of_reserved_configs_decode_with_nulls_inside() {
    let hook: types::WebhookDto = serde_json::from_value(json!({
        "event_cfgs": [{"event_type": null, "cfgs": null, "x": 1}],
        "branch_cfgs": [{"branch_type": 2, "branch": "main", "project_type": null, "project": null}],
        "project_cfgs": []
    }))
    .unwrap();
    assert_eq!(hook.branch_cfgs.unwrap()[0].branch_type, Some(2));
    assert_eq!(hook.project_cfgs, Some(vec![]));
}

#[test]
fn notification_subscription_with_unknown_enum_values() {
    let body = json!({
        "repository_id": 1, "enabled": null, "config_source": "organization",
        "webhook_config": {"url": null, "mention_users": null, "mention_phone": null, "has_token": null, "secret_hint": "x"},
        "waring_repo_usage_rate": 75,
        "subscript_events": [
            {"resource_type": "pipeline", "action": "fail", "enabled": true, "role_ids": null,
             "role_names": ["creator", "owner"]},
            {"resource_type": null, "action": null, "enabled": null, "role_ids": null, "role_names": null}
        ],
        "new_top_level": true
    });
    let sub: types::ShowNotificationSubscriptionResponse = serde_json::from_value(body).unwrap();
    assert_eq!(
        sub.config_source,
        Some(ConfigSource::Unknown("organization".into()))
    );
    assert_eq!(sub.waring_repo_usage_rate, Some(75));
    let events = sub.subscript_events.unwrap();
    assert_eq!(
        events[0].resource_type,
        Some(SubscriptionResourceType::Unknown("pipeline".into()))
    );
    assert_eq!(
        events[0].action,
        Some(SubscriptionAction::Unknown("fail".into()))
    );
    assert_eq!(
        events[0].role_names,
        Some(vec![
            SubscriptionRoleName::Creator,
            SubscriptionRoleName::Unknown("owner".into())
        ])
    );
    assert_eq!(events[1].action, None);
}

#[test]
fn status_of_channels_including_one_added_later() {
    let status: types::ShowNotificationSubscriptionsStatusResponse =
        serde_json::from_value(json!({
            "internal_message": {"config_source": "repo", "enabled": true},
            "email": {"config_source": "product", "enabled": false},
            "qyweixin": null, "feishu": {}, "dingding": {"enabled": null},
            "slack": {"config_source": "repo", "enabled": true}
        }))
        .unwrap();
    assert_eq!(status.internal_message.unwrap().enabled, Some(true));
    assert_eq!(
        status.email.unwrap().config_source,
        Some(ConfigSource::Product)
    );
    assert!(status.qyweixin.is_none());
}

#[test]
fn delivery_log_detail_keeps_free_form_parts() {
    let log: types::WebhookLogDetailDto = serde_json::from_value(json!({
        "id": 3, "web_hook_id": 7, "trigger": "push", "response_status": "internal error",
        "execution_duration": 0.25, "request_headers": {"X-Repo-Token": "******"},
        "request_data": {"object_kind": "push"}, "response_headers": null,
        "response_body": "<html>not json</html>"
    }))
    .unwrap();
    assert_eq!(log.response_status.as_deref(), Some("internal error"));
    assert_eq!(log.response_body, Some(json!("<html>not json</html>")));
    assert_eq!(log.execution_duration, Some(0.25));
}

#[test]
fn log_lists_with_and_without_repository() {
    let logs: Vec<types::WebhookLogExtendDto> = serde_json::from_value(json!([
        {"id": 1, "repository": {"id": 5, "namespace": "group/repo"}},
        {"id": 2, "repository": null, "uuid": null}
    ]))
    .unwrap();
    assert_eq!(
        logs[0].repository.as_ref().unwrap().namespace.as_deref(),
        Some("group/repo")
    );
    assert!(logs[1].repository.is_none());
    let plain: Vec<types::WebhookLogDto> =
        serde_json::from_value(json!([{"id": 1, "repository": {"id": 5}}])).unwrap();
    assert_eq!(plain[0].id, Some(1));
}

#[test]
fn check_result_may_be_null_or_carry_more() {
    let r: check::types::UpdateCodeCheckWebhookResponse =
        serde_json::from_value(json!({"result": null, "trace": "x"})).unwrap();
    assert_eq!(r.result, None);
}

#[test]
fn unset_request_fields_are_left_out_not_sent_as_null() {
    assert_eq!(
        serde_json::to_string(&types::WebhookParamsDto::default()).unwrap(),
        "{}"
    );
    assert_eq!(
        serde_json::to_string(&types::UpdateRepoNotificationSubscriptionDto::default()).unwrap(),
        "{}"
    );
    assert_eq!(
        serde_json::to_string(&types::RepoSubscriptionEventDto::default()).unwrap(),
        "{}"
    );
    assert_eq!(
        serde_json::to_string(&check::types::UpdateCodeCheckWebhookRequestBody::default()).unwrap(),
        "{}"
    );
    let group = types::WebhookParamsRequestDto::builder()
        .url("https://x")
        .name("n");
    let group = types::WebhookParamsRequestDto::try_from(group).unwrap();
    assert_eq!(
        serde_json::to_string(&group).unwrap(),
        r#"{"name":"n","url":"https://x"}"#
    );
}

//! Comparing what exists with what is desired: pure functions, no I/O.

use super::{Change, DesiredWebhook, Identity, MAX_REPOSITORY_WEBHOOKS, Options, Problem, Scope};
use crate::repo::types::{WebhookDto, WebhookParamsDto, WebhookParamsRequestDto};

/// The changes that take `existing` to `desired` in `scope`, and a problem if the result would
/// pass the cap.
pub(super) fn diff(
    scope: &Scope,
    existing: &[WebhookDto],
    desired: &[DesiredWebhook],
    options: &Options,
) -> (Vec<Change>, Option<Problem>) {
    let mut taken = vec![false; existing.len()];
    let mut changes = Vec::with_capacity(desired.len());
    for want in desired {
        let found = existing
            .iter()
            .enumerate()
            .find(|(i, have)| !taken[*i] && matches(have, want, options.identity));
        let Some((i, have)) = found else {
            changes.push(Change::Create(want.clone()));
            continue;
        };
        taken[i] = true;
        let id = have.id.unwrap_or_default();
        let mut fields = differing(have, want);
        if options.rotate_tokens && want.token.is_some() {
            fields.push("token");
        }
        changes.push(match fields.is_empty() {
            true => Change::Unchanged {
                id,
                url: want.url.clone(),
                token_unknown: want.token.is_some(),
            },
            false => Change::Update {
                id,
                desired: want.clone(),
                fields,
            },
        });
    }
    if let Some(prune) = &options.prune {
        for (have, _) in existing.iter().zip(&taken).filter(|(_, t)| !**t) {
            let (url, name) = (
                have.url.clone().unwrap_or_default(),
                have.name.clone().unwrap_or_default(),
            );
            if prune.urls.contains(&url) || prune.names.contains(&name) {
                changes.push(Change::Delete {
                    id: have.id.unwrap_or_default(),
                    url,
                    name,
                });
            }
        }
    }
    let problem = match scope {
        Scope::Repository(_) => {
            let creates = changes
                .iter()
                .filter(|c| matches!(c, Change::Create(_)))
                .count();
            let deletes = changes
                .iter()
                .filter(|c| matches!(c, Change::Delete { .. }))
                .count();
            let would_have = existing.len() + creates - deletes.min(existing.len() + creates);
            (creates > 0 && would_have > MAX_REPOSITORY_WEBHOOKS).then_some(Problem::OverCap {
                would_have,
                cap: MAX_REPOSITORY_WEBHOOKS,
            })
        }
        _ => None,
    };
    (changes, problem)
}

pub(super) fn matches(have: &WebhookDto, want: &DesiredWebhook, identity: Identity) -> bool {
    have.url.as_deref() == Some(want.url.as_str())
        && (identity == Identity::Url || have.name.as_deref() == Some(want.name.as_str()))
}

/// The fields (as the service names them) in which `have` differs from `want`.
fn differing(have: &WebhookDto, want: &DesiredWebhook) -> Vec<&'static str> {
    let e = &want.events;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let on = |v: Option<bool>| v.unwrap_or(false);
    let mut fields = Vec::new();
    let mut check = |field, differs: bool| {
        if differs {
            fields.push(field);
        }
    };
    check("name", text(&have.name) != want.name);
    check(
        "description",
        text(&have.description) != text(&want.description),
    );
    check(
        "push_events",
        on(have.push_events) != e.push_branches.is_some(),
    );
    if let Some(branches) = &e.push_branches {
        check(
            "push_events_branch_regex_filter",
            text(&have.push_events_branch_regex_filter) != *branches,
        );
    }
    check("tag_push_events", on(have.tag_push_events) != e.tag_push);
    check(
        "merge_requests_events",
        on(have.merge_requests_events) != e.merge_request,
    );
    check(
        "note_events",
        on(have.note_events) != e.note_filters.is_some(),
    );
    if let Some(filters) = &e.note_filters {
        check(
            "note_plain_text_filter",
            have.note_plain_text_filter.clone().unwrap_or_default() != *filters,
        );
    }
    if let Some(token_type) = &want.token_type {
        check("token_type", text(&have.token_type) != *token_type);
    }
    fields
}

/// The body of a project or repository webhook's create or update.
pub(super) fn params(want: &DesiredWebhook) -> WebhookParamsDto {
    let e = &want.events;
    WebhookParamsDto {
        url: Some(want.url.clone()),
        name: Some(want.name.clone()),
        description: Some(want.description.clone().unwrap_or_default()),
        push_events: Some(e.push_branches.is_some()),
        push_events_branch_regex_filter: e.push_branches.clone(),
        tag_push_events: Some(e.tag_push),
        merge_requests_events: Some(e.merge_request),
        note_events: Some(e.note_filters.is_some()),
        note_plain_text_filter: e.note_filters.clone().unwrap_or_default(),
        token: want.token.clone(),
        token_type: want.token_type.clone(),
    }
}

/// The body of a group webhook's create or update.
pub(super) fn group_params(want: &DesiredWebhook) -> WebhookParamsRequestDto {
    let p = params(want);
    WebhookParamsRequestDto {
        url: want.url.clone(),
        name: want.name.clone(),
        description: p.description,
        push_events: p.push_events,
        push_events_branch_regex_filter: p.push_events_branch_regex_filter,
        tag_push_events: p.tag_push_events,
        merge_requests_events: p.merge_requests_events,
        note_events: p.note_events,
        note_plain_text_filter: p.note_plain_text_filter,
        token: p.token,
        token_type: p.token_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Events, Prune};

    fn hook(id: i32, url: &str, name: &str) -> WebhookDto {
        WebhookDto {
            id: Some(id),
            url: Some(url.into()),
            name: Some(name.into()),
            push_events: Some(true),
            push_events_branch_regex_filter: Some(".*".into()),
            merge_requests_events: Some(true),
            token: Some("******".into()),
            ..Default::default()
        }
    }

    fn ci() -> DesiredWebhook {
        DesiredWebhook::new("https://ci/hook", "ci").events(Events {
            push_branches: Some(".*".into()),
            merge_request: true,
            ..Default::default()
        })
    }

    #[test]
    fn unchanged_update_create_and_the_token_rule() {
        let scope = Scope::Repository(1);
        let existing = [hook(1, "https://ci/hook", "ci")];
        let (c, p) = diff(&scope, &existing, &[ci()], &Options::default());
        assert!(p.is_none());
        assert!(matches!(
            &c[..],
            [Change::Unchanged {
                id: 1,
                token_unknown: false,
                ..
            }]
        ));
        let (c, _) = diff(&scope, &existing, &[ci().token("t")], &Options::default());
        assert!(matches!(
            &c[..],
            [Change::Unchanged {
                token_unknown: true,
                ..
            }]
        ));
        let rotate = Options {
            rotate_tokens: true,
            ..Options::default()
        };
        let (c, _) = diff(&scope, &existing, &[ci().token("t")], &rotate);
        assert!(matches!(&c[..], [Change::Update { fields, .. }] if fields == &["token"]));
        let mut tags = ci();
        tags.events.tag_push = true;
        tags.events.push_branches = Some("main".into());
        let (c, _) = diff(&scope, &existing, &[tags], &Options::default());
        assert!(
            matches!(&c[..], [Change::Update { fields, .. }]
                if fields == &["push_events_branch_regex_filter", "tag_push_events"]),
            "{c:?}"
        );
        let (c, _) = diff(&scope, &[], &[ci()], &Options::default());
        assert!(matches!(&c[..], [Change::Create(_)]));
    }

    #[test]
    fn only_what_the_prune_rule_names_is_deleted() {
        let scope = Scope::Group(1);
        let existing = [
            hook(1, "https://ci/hook", "ci"),
            hook(2, "https://old-ci/hook", "old"),
            hook(3, "https://other/hook", "theirs"),
            hook(4, "https://x/hook", "legacy"),
        ];
        let (c, _) = diff(&scope, &existing, &[ci()], &Options::default());
        assert_eq!(c.len(), 1, "nothing deleted without a prune rule");
        let prune = Options {
            prune: Some(Prune {
                urls: vec!["https://old-ci/hook".into(), "https://ci/hook".into()],
                names: vec!["legacy".into()],
            }),
            ..Options::default()
        };
        let (c, _) = diff(&scope, &existing, &[ci()], &prune);
        let deleted: Vec<i32> = c
            .iter()
            .filter_map(|c| match c {
                Change::Delete { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(
            deleted,
            [2, 4],
            "the desired one is kept even though its URL is listed"
        );
    }

    #[test]
    fn identity_by_url_and_name() {
        let existing = [hook(1, "https://ci/hook", "other")];
        let by_both = Options {
            identity: Identity::UrlAndName,
            ..Options::default()
        };
        let (c, _) = diff(&Scope::Group(1), &existing, &[ci()], &by_both);
        assert!(matches!(&c[..], [Change::Create(_)]));
        let (c, _) = diff(&Scope::Group(1), &existing, &[ci()], &Options::default());
        assert!(matches!(&c[..], [Change::Update { fields, .. }] if fields == &["name"]));
    }

    #[test]
    fn the_cap_of_a_repository() {
        let existing: Vec<_> = (1..=20)
            .map(|i| hook(i, &format!("https://h{i}"), "h"))
            .collect();
        let (_, p) = diff(
            &Scope::Repository(1),
            &existing,
            &[ci()],
            &Options::default(),
        );
        assert!(
            matches!(
                p,
                Some(Problem::OverCap {
                    would_have: 21,
                    cap: 20
                })
            ),
            "{p:?}"
        );
        let prune = Options {
            prune: Some(Prune {
                urls: vec!["https://h1".into()],
                names: vec![],
            }),
            ..Options::default()
        };
        let (_, p) = diff(&Scope::Repository(1), &existing, &[ci()], &prune);
        assert!(p.is_none(), "one out, one in");
        let (_, p) = diff(&Scope::Group(1), &existing, &[ci()], &Options::default());
        assert!(p.is_none(), "the cap is a repository's");
    }
}

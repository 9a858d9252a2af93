//! Input checks, run before anything is sent: [`check`] takes the parameters and the body of a
//! call as the typed values the generated `send` is about to write into the request (`build.rs`
//! puts the call into every `send`), so no URL or JSON is read back.
//!
//! The rules come from the OpenAPI description itself (lengths, ranges, item counts, enums,
//! required fields), compiled into [`Rules`]; the few rules the description can only state in
//! words are [`CrossRule`]s. One walker ([`checker`]) applies them all, in one pass, to a body
//! and to each parameter alike.

mod checker;

use serde::Serialize;
use serde_json::Value;

use crate::{
    Error, Result,
    spec::{CrossRule, Kind, Operation, Rules},
};

/// Checks the inputs of a call of `op`, the typed values its generated `send` is about to write
/// into the request: each parameter, then the body, in the order of [`Operation::params`]
/// (`build.rs` writes the call with them in that order). The error names the first input at
/// fault (`hook_id`, `body.subscript_events[0].action`).
///
/// Returns the length of the body's JSON, as far as the walk can tell without writing it
/// ([`checker::Walked::json_len`]; 0 without a body): the size of the buffer the body is
/// written into (`pipeline::json`).
#[inline]
pub(crate) fn check<I: Inputs + ?Sized>(op: &Operation, inputs: &I) -> Result<usize> {
    let mut each = Each {
        op,
        next: 0,
        json_len: 0,
    };
    inputs.each(&mut each)?;
    match each.next == op.params.len() + usize::from(op.body.is_some()) {
        true => Ok(each.json_len),
        false => Err(each.miscount()),
    }
}

/// The inputs of one call, each a value to check in turn. The generated code passes a tuple of
/// references, one per input.
pub(crate) trait Inputs {
    /// Hands each input to `each`, in order, up to the first at fault.
    fn each(&self, each: &mut Each<'_>) -> Result<()>;
}

/// Checks the inputs handed to it against their operation's, in order.
pub(crate) struct Each<'a> {
    op: &'a Operation,
    next: usize,
    /// The length of the body's JSON, once the body is checked.
    json_len: usize,
}

impl Each<'_> {
    /// Checks the next input.
    #[inline]
    pub(crate) fn input<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let (op, i) = (self.op, self.next);
        self.next += 1;
        match (op.params.get(i), &op.body) {
            (Some(param), _) => match checker::check(&param.rules, &param.name, value)?.seen {
                Seen::Null if param.required => Err(Error::invalid(&param.name, "is required")),
                _ => Ok(()),
            },
            (None, Some(body)) if i == op.params.len() => {
                self.json_len = checker::check(body, "body", value)?.json_len;
                Ok(())
            }
            _ => Err(self.miscount()),
        }
    }

    /// The generated code and the description disagree on the number of inputs: a fault of this
    /// crate, which `build.rs` rules out.
    #[cold]
    fn miscount(&self) -> Error {
        Error::Config(format!(
            "{} was given {} or more inputs to check, and its description has {} parameters{}",
            self.op.id.official,
            self.next,
            self.op.params.len(),
            if self.op.body.is_some() {
                " and a body"
            } else {
                ""
            }
        ))
    }
}

/// A tuple of references, one per input: what a generated `send` passes.
macro_rules! inputs {
    ($($name:ident),*) => {
        impl<$($name: Serialize + ?Sized),*> Inputs for ($(&$name,)*) {
            #[allow(non_snake_case, unused_variables)]
            #[inline]
            fn each(&self, each: &mut Each<'_>) -> Result<()> {
                let ($($name,)*) = self;
                $(each.input(*$name)?;)*
                Ok(())
            }
        }
    };
}

inputs!();
inputs!(A);
inputs!(A, B);
inputs!(A, B, C);
inputs!(A, B, C, D);
inputs!(A, B, C, D, E);
inputs!(A, B, C, D, E, F);
inputs!(A, B, C, D, E, F, G);
inputs!(A, B, C, D, E, F, G, H);
inputs!(A, B, C, D, E, F, G, H, I);

/// Any number of inputs of one type, e.g. JSON values in a test.
impl<T: Serialize> Inputs for [T] {
    fn each(&self, each: &mut Each<'_>) -> Result<()> {
        self.iter().try_for_each(|value| each.input(value))
    }
}

/// Checks a JSON body of `op` against its schema and its cross-field rules.
#[cfg(feature = "fake")]
pub(crate) fn check_json_body(op: &Operation, body: &[u8]) -> Result<()> {
    match &op.body {
        Some(rules) => checker::check_json(rules, body),
        None => Ok(()),
    }
}

/// Where a value sits, e.g. `body.subscript_events[0].action`; only formatted for an error.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Field<'a> {
    Root(&'a str),
    Member(&'a Field<'a>, &'a str),
    Item(&'a Field<'a>, usize),
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Field::Root(name) => f.write_str(name),
            Field::Member(parent, name) => write!(f, "{parent}.{name}"),
            Field::Item(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// The JSON type of a value, as far as the constraint keywords care.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Bool,
    Int,
    Num,
    Str,
    Arr,
    Obj,
}

// The checks below run for every parameter and every body member of every call: each is a
// comparison or two, inlined where it is used, and the message of a broken rule is made in a
// cold function of its own. Small functions spread over the binary cost more than they
// compute: between two calls the caches have lost them.

/// `type`: `got` renders the value for the message.
#[inline]
fn check_shape(
    rules: &Rules,
    shape: Shape,
    field: &Field<'_>,
    got: impl FnOnce() -> String,
) -> Result<()> {
    let Some(kind) = rules.kind else {
        return Ok(());
    };
    let matches = match kind {
        Kind::String => shape == Shape::Str,
        Kind::Boolean => shape == Shape::Bool,
        Kind::Array => shape == Shape::Arr,
        Kind::Object => shape == Shape::Obj,
        Kind::Integer => shape == Shape::Int,
        Kind::Number => matches!(shape, Shape::Int | Shape::Num),
    };
    match matches {
        true => Ok(()),
        false => Err(wrong_shape(kind, field, got())),
    }
}

#[cold]
fn wrong_shape(kind: Kind, field: &Field<'_>, got: String) -> Error {
    let article = if matches!(kind, Kind::Integer | Kind::Array | Kind::Object) {
        "an"
    } else {
        "a"
    };
    Error::invalid(
        field.to_string(),
        format!("must be {article} {} (got {got})", kind.name()),
    )
}

/// `enum`.
#[inline]
fn check_enum(rules: &Rules, value: &Value, field: &Field<'_>) -> Result<()> {
    match &rules.allowed {
        Some(allowed) => check_allowed(allowed, value, field),
        None => Ok(()),
    }
}

fn check_allowed(allowed: &[Value], value: &Value, field: &Field<'_>) -> Result<()> {
    if allowed.contains(value) {
        return Ok(());
    }
    let list: Vec<String> = allowed
        .iter()
        .map(|v| v.to_string().replace('"', ""))
        .collect();
    Err(Error::invalid(
        field.to_string(),
        format!("must be one of {} (got {value})", list.join(", ")),
    ))
}

/// `minLength` and `maxLength`, in characters.
#[inline]
fn check_len(rules: &Rules, s: &str, field: &Field<'_>) -> Result<()> {
    let (min, max) = (rules.min_length, rules.max_length);
    // A character is one to four bytes: most strings pass on their byte length alone, and an
    // ASCII string has as many characters as bytes.
    let bytes = s.len() as u64;
    let long_enough = |min| bytes >= 4 * min || (bytes >= min && s.is_ascii());
    match max.is_none_or(|max| bytes <= max) && min.is_none_or(long_enough) {
        true => Ok(()),
        false => check_chars(min, max, s, field),
    }
}

fn check_chars(min: Option<u64>, max: Option<u64>, s: &str, field: &Field<'_>) -> Result<()> {
    let len = s.chars().count() as u64;
    let rule = match (min, max) {
        (Some(min), Some(max)) if min == max && len != min => format!("exactly {min}"),
        (_, Some(max)) if len > max => format!("at most {max}"),
        (Some(min), _) if len < min => format!("at least {min}"),
        _ => return Ok(()),
    };
    Err(Error::invalid(
        field.to_string(),
        format!("must be {rule} characters long (got {len})"),
    ))
}

/// `minimum` and `maximum`; `got` makes the value for a message.
#[inline]
fn check_range(rules: &Rules, n: f64, field: &Field<'_>, got: &dyn Fn() -> Value) -> Result<()> {
    if let Some(min) = rules.minimum
        && n < min
    {
        return Err(out_of_range("least", min, got(), field));
    }
    if let Some(max) = rules.maximum
        && n > max
    {
        return Err(out_of_range("most", max, got(), field));
    }
    Ok(())
}

#[cold]
fn out_of_range(side: &str, bound: f64, got: Value, field: &Field<'_>) -> Error {
    Error::invalid(
        field.to_string(),
        format!("must be at {side} {bound} (got {got})"),
    )
}

/// A path parameter that a URL would resolve away (see [`Rules::segment`]).
#[cold]
pub(super) fn dot_segment(field: &Field<'_>) -> Error {
    Error::invalid(
        field.to_string(),
        "must not be `.` or `..`: in a URL path they would name another path",
    )
}

/// `maxItems`.
fn check_items(rules: &Rules, count: usize, field: &Field<'_>) -> Result<()> {
    match rules.max_items {
        Some(max) if count as u64 > max => Err(Error::invalid(
            field.to_string(),
            format!("must have at most {max} items (got {count})"),
        )),
        _ => Ok(()),
    }
}

/// What the walker noted of a member, for the cross-field rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// `null`.
    Null,
    /// `true`.
    True,
    /// A non-empty string or array.
    Filled,
    /// Anything else.
    Other,
}

/// Applies a cross-field rule to an object whose members were `seen`.
fn check_cross(rule: CrossRule, field: &Field<'_>, seen: &dyn Fn(&str) -> Seen) -> Result<()> {
    match rule {
        CrossRule::GroupWebhook => {
            let on = |name: &str| seen(name) == Seen::True;
            let events = [
                "push_events",
                "tag_push_events",
                "merge_requests_events",
                "note_events",
            ];
            if !events.iter().any(|e| on(e)) {
                return Err(Error::invalid(
                    field.to_string(),
                    "must enable at least one of push_events, tag_push_events, \
                     merge_requests_events and note_events",
                ));
            }
            if on("push_events") && seen("push_events_branch_regex_filter") != Seen::Filled {
                return Err(Error::invalid(
                    Field::Member(field, "push_events_branch_regex_filter").to_string(),
                    "is required when push_events is true (a branch regex such as \".*\")",
                ));
            }
            if on("note_events") && seen("note_plain_text_filter") != Seen::Filled {
                return Err(Error::invalid(
                    Field::Member(field, "note_plain_text_filter").to_string(),
                    "is required when note_events is true",
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    //! The typed body is checked as it will be serialized; these compare that with checking the
    //! JSON actually serialized from it, which reaches the same rules through `serde_json::Value`,
    //! a different `Serialize` (absent members instead of skipped fields, enums as strings).

    use proptest::prelude::*;

    use super::*;
    use crate::{operations, region::Service, repo::types};

    /// The walk of the typed body, and the check of the JSON written from it.
    fn both<T: Serialize>(generated: &str, body: &T) -> (Result<checker::Walked>, Result<()>) {
        let id = operations::find(Service::Repo, generated).unwrap();
        let op = crate::spec::of(Service::Repo).operation(id);
        let typed = checker::check(op.body.as_ref().unwrap(), "body", body);
        let json = checker::check_json(
            op.body.as_ref().unwrap(),
            &serde_json::to_vec(body).unwrap(),
        );
        (typed, json)
    }

    fn same(generated: &str, body: &(impl Serialize + std::fmt::Debug)) {
        let (typed, json) = both(generated, body);
        assert_eq!(
            typed.as_ref().map(drop).map_err(ToString::to_string),
            json.map_err(|e| e.to_string()),
            "{body:?}"
        );
        // A body that passes was measured on the way: to the byte, as its text needs no escape.
        if let Ok(walked) = typed {
            let written = serde_json::to_vec(body).unwrap();
            assert_eq!(walked.json_len, written.len(), "{body:?}");
        }
    }

    fn text(max: usize) -> impl Strategy<Value = Option<String>> {
        proptest::option::of(prop_oneof![
            "[a-z]{0,8}",
            proptest::collection::vec(prop_oneof![Just('a'), Just('é'), Just('中')], 0..=max)
                .prop_map(|cs| cs.into_iter().collect::<String>()),
        ])
    }

    proptest! {
        #[test]
        fn a_typed_webhook_is_checked_as_its_json(
            url in text(1100),
            name in text(220),
            description in text(520),
            filter in text(520),
            token in text(2100),
            token_type in proptest::option::of(prop_oneof![
                Just("X-Repo-Token".to_owned()),
                Just("X-Gitlab-Token".to_owned()),
                "[A-Za-z-]{0,12}",
            ]),
            flags in proptest::array::uniform4(proptest::option::of(any::<bool>())),
            notes in proptest::collection::vec("[a-z]{0,60}", 0..12),
        ) {
            let project = types::WebhookParamsDto {
                url: url.clone(),
                name: name.clone(),
                description: description.clone(),
                push_events: flags[0],
                push_events_branch_regex_filter: filter.clone(),
                tag_push_events: flags[1],
                merge_requests_events: flags[2],
                note_events: flags[3],
                note_plain_text_filter: notes.clone(),
                token: token.clone(),
                token_type: token_type.clone(),
            };
            same("update_repository_webhook", &project);
            let group = types::WebhookParamsRequestDto {
                url: url.unwrap_or_default(),
                name: name.unwrap_or_default(),
                description,
                push_events: flags[0],
                push_events_branch_regex_filter: filter,
                tag_push_events: flags[1],
                merge_requests_events: flags[2],
                note_events: flags[3],
                note_plain_text_filter: notes,
                token,
                token_type,
            };
            same("add_group_webhook", &group);
        }
    }

    #[test]
    fn subscription_events_are_checked_item_by_item_either_way() {
        let body = types::UpdateRepoNotificationSubscriptionDto {
            subscript_events: vec![
                types::RepoSubscriptionEventDto::default(),
                types::RepoSubscriptionEventDto {
                    action: Some("archive".into()),
                    ..Default::default()
                },
            ],
            waring_repo_usage_rate: Some(80),
            ..Default::default()
        };
        let (typed, json) = both("update_notification_subscription", &body);
        let typed = typed.unwrap_err().to_string();
        assert_eq!(typed, json.unwrap_err().to_string());
        assert!(typed.contains("body.subscript_events[1].action"), "{typed}");
        same(
            "update_notification_subscription",
            &types::UpdateRepoNotificationSubscriptionDto::default(),
        );
    }
}

#[cfg(test)]
mod segment_tests {
    use super::*;
    use crate::{operations, region::Service};

    /// A path parameter may hold dots, but not be a dot segment; a body's text may be anything.
    #[test]
    fn only_a_path_parameter_is_refused_as_a_dot_segment() {
        let id = operations::find(Service::Check, "update_code_check_webhook").unwrap();
        let op = crate::spec::of(Service::Check).operation(id);
        let task_id = &op.params[0];
        assert_eq!(task_id.name, "task_id");
        for fine in ["...", ".a", "a..", "%2e%2e", "a/.."] {
            assert!(
                checker::check(&task_id.rules, "task_id", fine).is_ok(),
                "{fine}"
            );
        }
        for refused in [".", ".."] {
            let e = checker::check(&task_id.rules, "task_id", refused)
                .err()
                .unwrap();
            assert_eq!(
                e.to_string(),
                "invalid input: task_id must not be `.` or `..`: in a URL path they would name another path",
                "{refused}"
            );
        }
        let id = operations::find(Service::Repo, "update_repository_webhook").unwrap();
        let body = crate::spec::of(Service::Repo).operation(id).body.as_ref();
        let json = serde_json::json!({ "name": "..", "description": "." });
        assert!(checker::check(body.unwrap(), "body", &json).is_ok());
    }
}

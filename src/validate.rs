//! Input checks, run on the final request before it is sent.
//!
//! The rules come from the OpenAPI description itself (lengths, ranges, item counts, enums,
//! required fields), so the checks cannot drift from it; the few rules the description can only
//! state in words (the group-webhook rules) are written out in [`group_webhook_rules`].

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use serde_json::Value;

mod body;

use crate::{
    Error, Result,
    spec::{Kind, Operation, Rules, Spec},
};

/// Checks a request of `operation` against the description, naming the first field at fault.
pub(crate) fn check_request(
    spec: &Spec,
    operation: &str,
    request: &reqwest::Request,
) -> Result<()> {
    let Some(op) = spec.operations.get(operation) else {
        return Ok(());
    };
    let url = request.url();
    let path = url.path().trim_end_matches('/');
    for param in &op.params {
        let raw: Option<Cow<'_, str>> = match param.from_end {
            Some(n) => path
                .rsplit('/')
                .nth(n)
                .map(|s| percent_decode_str(s).decode_utf8_lossy()),
            None => url
                .query_pairs()
                .find(|(k, _)| *k == param.name)
                .map(|(_, v)| v),
        };
        match raw {
            None if param.required => return Err(Error::invalid(&param.name, "is required")),
            None => {}
            Some(raw) => check_value(
                &param.rules,
                &typed(&param.rules, raw, &param.name)?,
                &Field::Root(&param.name),
            )?,
        }
    }
    if op.body.is_some() {
        let body = request
            .body()
            .and_then(|b| b.as_bytes())
            .unwrap_or_default();
        check_body(op, body)?;
    }
    Ok(())
}

/// Checks a JSON body of `op` against its schema and the documented cross-field rules.
pub(crate) fn check_body(op: &Operation, body: &[u8]) -> Result<()> {
    let Some(rules) = &op.body else {
        return Ok(());
    };
    body::check(rules, body)?;
    if is_group_webhook(op) {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| Error::invalid("body", format!("is not JSON: {e}")))?;
        group_webhook_rules(&value)?;
    }
    Ok(())
}

/// A parameter's text as the JSON value its schema describes.
fn typed(rules: &Rules, raw: Cow<'_, str>, field: &str) -> Result<Value> {
    match rules.kind {
        Some(Kind::Integer) => raw.parse::<i64>().map(Value::from).map_err(|_| {
            Error::invalid(
                field.to_string(),
                format!("must be an integer (got {raw:?})"),
            )
        }),
        Some(Kind::Boolean) => match raw.as_ref() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Error::invalid(
                field,
                format!("must be true or false (got {raw:?})"),
            )),
        },
        _ => Ok(Value::String(raw.into_owned())),
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

/// Checks `value` against the constraint keywords of `schema` this description uses.
pub(crate) fn check_value(rules: &Rules, value: &Value, field: &Field<'_>) -> Result<()> {
    let shape = match value {
        Value::Null => return Ok(()),
        Value::Bool(_) => Shape::Bool,
        Value::Number(n) if n.is_i64() || n.is_u64() => Shape::Int,
        Value::Number(_) => Shape::Num,
        Value::String(_) => Shape::Str,
        Value::Array(_) => Shape::Arr,
        Value::Object(_) => Shape::Obj,
    };
    check_shape(rules, shape, field, || value.to_string())?;
    check_enum(rules, value, field)?;
    match value {
        Value::String(s) => check_len(rules, s, field),
        Value::Number(n) => check_range(rules, n, field),
        Value::Array(items) => {
            check_items(rules, items.len(), field)?;
            if let Some(item_rules) = &rules.items {
                for (i, item) in items.iter().enumerate() {
                    check_value(item_rules, item, &Field::Item(field, i))?;
                }
            }
            Ok(())
        }
        Value::Object(map) => {
            for name in &rules.required {
                if map.get(name).is_none_or(Value::is_null) {
                    return Err(Error::invalid(
                        Field::Member(field, name).to_string(),
                        "is required",
                    ));
                }
            }
            for (name, v) in map {
                if let Some(prop) = rules.property(name) {
                    check_value(prop, v, &Field::Member(field, name))?;
                }
            }
            Ok(())
        }
        Value::Bool(_) | Value::Null => Ok(()),
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

/// `type`: `got` renders the value for the message.
pub(crate) fn check_shape(
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
    if matches {
        return Ok(());
    }
    let article = if matches!(kind, Kind::Integer | Kind::Array | Kind::Object) {
        "an"
    } else {
        "a"
    };
    Err(Error::invalid(
        field.to_string(),
        format!("must be {article} {} (got {})", kind.name(), got()),
    ))
}

/// `enum`.
pub(crate) fn check_enum(rules: &Rules, value: &Value, field: &Field<'_>) -> Result<()> {
    match &rules.allowed {
        Some(allowed) if !allowed.contains(value) => {
            let list: Vec<String> = allowed
                .iter()
                .map(|v| v.to_string().replace('"', ""))
                .collect();
            Err(Error::invalid(
                field.to_string(),
                format!("must be one of {} (got {value})", list.join(", ")),
            ))
        }
        _ => Ok(()),
    }
}

/// `minLength` and `maxLength`, in characters.
pub(crate) fn check_len(rules: &Rules, s: &str, field: &Field<'_>) -> Result<()> {
    let (min, max) = (rules.min_length, rules.max_length);
    if min.is_none() && max.is_none() {
        return Ok(());
    }
    let len = s.chars().count() as u64;
    let rule = match (min, max) {
        (Some(min), Some(max)) if min == max && len != min => Some(format!("exactly {min}")),
        (_, Some(max)) if len > max => Some(format!("at most {max}")),
        (Some(min), _) if len < min => Some(format!("at least {min}")),
        _ => None,
    };
    match rule {
        Some(rule) => Err(Error::invalid(
            field.to_string(),
            format!("must be {rule} characters long (got {len})"),
        )),
        None => Ok(()),
    }
}

/// `minimum` and `maximum`.
pub(crate) fn check_range(rules: &Rules, n: &serde_json::Number, field: &Field<'_>) -> Result<()> {
    let v = n.as_f64();
    if let (Some(v), Some(min)) = (v, rules.minimum)
        && v < min
    {
        return Err(Error::invalid(
            field.to_string(),
            format!("must be at least {min} (got {n})"),
        ));
    }
    if let (Some(v), Some(max)) = (v, rules.maximum)
        && v > max
    {
        return Err(Error::invalid(
            field.to_string(),
            format!("must be at most {max} (got {n})"),
        ));
    }
    Ok(())
}

/// `maxItems`.
pub(crate) fn check_items(rules: &Rules, count: usize, field: &Field<'_>) -> Result<()> {
    match rules.max_items {
        Some(max) if count as u64 > max => Err(Error::invalid(
            field.to_string(),
            format!("must have at most {max} items (got {count})"),
        )),
        _ => Ok(()),
    }
}

/// The documented cross-field rules of `WebhookParamsRequestDto` (group webhooks).
fn is_group_webhook(op: &Operation) -> bool {
    matches!(
        op.official.as_str(),
        "AddGroupWebhook" | "UpdateGroupWebhook"
    )
}

fn group_webhook_rules(body: &Value) -> Result<()> {
    let on = |name: &str| body[name] == true;
    if ![
        "push_events",
        "tag_push_events",
        "merge_requests_events",
        "note_events",
    ]
    .iter()
    .any(|e| on(e))
    {
        return Err(Error::invalid(
            "body",
            "must enable at least one of push_events, tag_push_events, merge_requests_events and note_events",
        ));
    }
    let filled = |name: &str| match &body[name] {
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    if on("push_events") && !filled("push_events_branch_regex_filter") {
        return Err(Error::invalid(
            "body.push_events_branch_regex_filter",
            "is required when push_events is true (a branch regex such as \".*\")",
        ));
    }
    if on("note_events") && !filled("note_plain_text_filter") {
        return Err(Error::invalid(
            "body.note_plain_text_filter",
            "is required when note_events is true",
        ));
    }
    Ok(())
}

/// Turns a generated builder's message into an input error that names the field.
///
/// The generated builders say `"hook_id was not initialized"` or
/// `"conversion to `WebhookParamsRequestDto` for body failed: no value supplied for url"`.
pub(crate) fn from_builder_message(msg: &str) -> Error {
    // progenitor appends `_` to names that are Rust keywords (`type` becomes `type_`).
    if let Some(field) = msg.strip_suffix(" was not initialized") {
        return Error::invalid(field.trim_end_matches('_'), "is required");
    }
    if let Some(rest) = msg.strip_prefix("conversion to `")
        && let Some((_, rest)) = rest.split_once("` for ")
    {
        let (field, detail) = rest.split_once(" failed").unwrap_or((rest, ""));
        let detail = detail.trim_start_matches(": ");
        if let Some(inner) = detail.strip_prefix("no value supplied for ") {
            return Error::invalid(format!("{field}.{inner}"), "is required");
        }
        let rule = if detail.is_empty() {
            "has the wrong type".to_owned()
        } else {
            detail.to_owned()
        };
        return Error::invalid(field.to_string(), rule);
    }
    Error::invalid("request", msg)
}

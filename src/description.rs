//! Reading the OpenAPI descriptions: helpers shared by `build.rs` (which includes this file)
//! and the crate.

use serde_json::Value;

/// progenitor's method names: `AddGroupWebhook` becomes `add_group_webhook`.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Follows a local `$ref` (`#/components/...`); `None` if it points nowhere. A value that is not
/// a reference is returned as it is.
pub(crate) fn resolve<'a>(root: &'a Value, v: &'a Value) -> Option<&'a Value> {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')),
        None => Some(v),
    }
}

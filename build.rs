//! Generates the CodeArts Repo and CodeArts Check clients from `openapi/*.yaml` with progenitor.
//!
//! Output goes to `OUT_DIR` only; nothing generated is committed. For each description:
//! - `<name>.rs`: the client, generated from a copy of the description without value constraints
//!   (lengths, ranges, item counts, integer enums). With them, typify makes a newtype per
//!   constrained field that a `&str` or an integer literal cannot be passed to; without them the
//!   types are plain `String`/`i32`, and the constraints are enforced instead by `src/validate.rs`,
//!   before sending, with errors that name the field and the rule.
//! - `<name>.json`: the full description, which `src/validate.rs` and `src/spec.rs` read.
//! - `<name>_bodies.rs`: which answers of each operation carry a JSON body, for the pipeline.

use std::{env, fs, path::Path};

#[path = "src/description.rs"]
mod description;

use description::snake_case;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

/// Enumerations that the service may extend: they are replaced by hand-written open enums
/// (`src/enums.rs`) so that a value added later decodes instead of failing.
const OPEN_ENUMS: &[&str] = &[
    "ConfigSource",
    "SubscriptionResourceType",
    "SubscriptionAction",
    "SubscriptionRoleName",
];

fn main() {
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in ["repo", "check"] {
        generate(name, Path::new(&out_dir));
    }
}

fn generate(name: &str, out_dir: &Path) {
    let input = format!("openapi/codearts-{name}.yaml");
    println!("cargo:rerun-if-changed={input}");
    let text = fs::read_to_string(&input).unwrap_or_else(|e| panic!("reading {input}: {e}"));
    let json: serde_json::Value =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{input} is not valid YAML: {e}"));
    let mut relaxed = json.clone();
    strip_constraints(&mut relaxed);
    let spec: openapiv3::OpenAPI = serde_json::from_value(relaxed)
        .unwrap_or_else(|e| panic!("{input} is not an OpenAPI 3.0 document: {e}"));

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type("crate::pipeline::Pipeline".parse().expect("a type path"))
        .with_derive("PartialEq");
    let schemas = json
        .pointer("/components/schemas")
        .and_then(|s| s.as_object());
    for open in OPEN_ENUMS {
        if schemas.is_some_and(|s| s.contains_key(*open)) {
            settings.with_replacement(
                open,
                format!("crate::enums::{open}"),
                [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
            );
        }
    }

    let mut generator = Generator::new(&settings);
    let tokens = generator
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("progenitor could not generate from {input}: {e}"));
    let file: syn::File = syn::parse2(tokens).expect("progenitor emits valid Rust");
    // progenitor's usage snippets are marked `ignore`; as `text` they are not counted as
    // skipped doctests.
    let code = prettyplease::unparse(&file).replace("```ignore", "```text");
    fs::write(out_dir.join(format!("{name}.rs")), code).expect("writing the generated client");
    fs::write(
        out_dir.join(format!("{name}_bodies.rs")),
        body_checks(&json),
    )
    .expect("writing the body checks");
    fs::write(
        out_dir.join(format!("{name}.json")),
        serde_json::to_string(&json).expect("JSON"),
    )
    .expect("writing the description as JSON");
}

/// Removes the value constraints that typify turns into newtypes (see the module docs).
fn strip_constraints(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let is_integer = map.get("type").and_then(|t| t.as_str()) == Some("integer");
            for key in [
                "maxLength",
                "minLength",
                "pattern",
                "minimum",
                "maximum",
                "maxItems",
                "minItems",
            ] {
                map.remove(key);
            }
            if is_integer {
                map.remove("enum");
            }
            // Examples are data, not schemas: leave them alone.
            for (key, child) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    strip_constraints(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_constraints),
        _ => {}
    }
}

/// Emits `has_success_body(operation, status)`: whether that answer is declared with a JSON body.
fn body_checks(spec: &serde_json::Value) -> String {
    let mut patterns = Vec::new();
    for item in spec["paths"].as_object().expect("paths").values() {
        for method in ["get", "put", "post", "delete", "patch"] {
            let Some(op) = item.get(method) else { continue };
            let id = snake_case(
                op["operationId"]
                    .as_str()
                    .expect("every operation has an id"),
            );
            for (status, response) in op["responses"].as_object().expect("responses") {
                let json = resolve(spec, response).pointer("/content/application~1json/schema");
                if status.starts_with('2') && json.is_some() {
                    patterns.push(format!("({id:?}, {status})"));
                }
            }
        }
    }
    format!(
        "/// Whether the `status` answer of the operation is declared with a JSON body.\n\
         pub(crate) fn has_success_body(operation: &str, status: u16) -> bool {{\n\
         \x20   matches!((operation, status), {})\n}}\n",
        patterns.join(" | ")
    )
}

/// A `$ref` that points nowhere is a broken description: stop the build.
fn resolve<'a>(spec: &'a serde_json::Value, v: &'a serde_json::Value) -> &'a serde_json::Value {
    description::resolve(spec, v).expect("a $ref that resolves")
}

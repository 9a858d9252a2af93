//! Generates the CodeArts Repo and CodeArts Check clients from `openapi/*.yaml` with progenitor.
//!
//! Output goes to `OUT_DIR` only; nothing generated is committed. For each description:
//! - `<name>.rs`: the client, generated from a copy of the description without value constraints
//!   (lengths, ranges, item counts, integer enums). With them, typify makes a newtype per
//!   constrained field that a `&str` or an integer literal cannot be passed to; without them the
//!   types are plain `String`/`i32`, and the constraints are enforced instead by `src/validate.rs`,
//!   before sending, with errors that name the field and the rule.
//! - `<name>.json`: the full description, which `src/validate.rs` and `src/spec.rs` read.
//! - `<name>_operations.rs`: the operation table, read off what progenitor generated: for each
//!   builder's `send`, the name progenitor hands the hooks (`OperationInfo::operation_id`), the
//!   official operationId (joined on method and path), its method, its path and its inputs. The
//!   pipeline and the input checks key everything on this table, so nothing imitates
//!   progenitor's naming, and an operation missing from it stops the build.
//!
//! `build/rewrite.rs` then changes what progenitor generated, each change checked to apply
//! everywhere or the build stops:
//! - each success arm decodes its body with `crate::pipeline::decode` instead of
//!   `ResponseValue::from_response`, so that a body that does not decode becomes an error that
//!   keeps its answer's status and request id (progenitor's own error for it keeps neither);
//! - the `api-version` header progenitor adds to every request is not added: the services define
//!   none, and the pipeline would have to take it out again;
//! - path parameters are percent-encoded as the URL is written (`crate::pipeline::Segment`), and
//!   a builder's unset value makes its message only when `send` finds it unset: the same
//!   requests and messages, with fewer strings per call;
//! - every `send` checks its inputs, parameters and body, as the typed values they are, against
//!   the description before writing its URL (`Pipeline::check`), instead of the pipeline reading
//!   the URL and the JSON back; the table lists them in the order the call passes them, and the
//!   build stops if they are not the parameters (and body) the description has.

#[path = "build/rewrite.rs"]
mod rewrite;

use std::{env, fs, path::Path};

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
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{input} is not valid YAML: {e}"));
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
    let mut file: syn::File = syn::parse2(tokens).expect("progenitor emits valid Rust");
    let mut sends = Vec::new();
    collect_sends(&file.items, &mut sends);
    let table = operation_table(&input, &json, &sends);
    rewrite::rewrite_generated(&input, name, &mut file, &sends);
    // progenitor's usage snippets are marked `ignore`; as `text` they are not counted as
    // skipped doctests.
    let code = prettyplease::unparse(&file).replace("```ignore", "```text");
    fs::write(out_dir.join(format!("{name}.rs")), code).expect("writing the generated client");
    fs::write(out_dir.join(format!("{name}_operations.rs")), table)
        .expect("writing the operation table");
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

/// One `send` of a generated builder.
struct Generated {
    /// What progenitor passes to the hooks as `OperationInfo::operation_id`.
    name: String,
    method: String,
    path: String,
    /// Success statuses whose arm decodes the body (`ResponseValue::from_response`).
    decoded: Vec<u16>,
    /// What the `send` puts into the request, in the order the input checks take them: each
    /// path parameter, each query parameter, then the body, as (name on the wire, variable).
    inputs: Vec<(String, String)>,
}

impl Generated {
    /// The `send` takes a body.
    fn has_body(&self) -> bool {
        self.inputs.iter().any(|(wire, _)| wire == "body")
    }
}

/// Emits the operation table (see the module docs) from the generated `send`s.
fn operation_table(input: &str, spec: &serde_json::Value, found: &[Generated]) -> String {
    let mut entries = Vec::new();
    for (index, g) in found.iter().enumerate() {
        let op = spec
            .pointer(&format!(
                "/paths/{}/{}",
                g.path.replace('~', "~0").replace('/', "~1"),
                g.method.to_ascii_lowercase()
            ))
            .unwrap_or_else(|| {
                panic!(
                    "{input}: progenitor made {} for an undescribed {} {}",
                    g.name, g.method, g.path
                )
            });
        let official = op["operationId"]
            .as_str()
            .expect("every operation has an id");
        // Every described parameter is one of the inputs the send checks, and nothing else is.
        let item = &spec["paths"][&g.path];
        let mut described: Vec<&str> = item
            .get("parameters")
            .into_iter()
            .chain(op.get("parameters"))
            .filter_map(|p| p.as_array())
            .flatten()
            .map(|p| match p.get("$ref").and_then(|r| r.as_str()) {
                Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap_or(p),
                None => p,
            })
            .filter_map(|p| p["name"].as_str())
            .collect();
        if op.get("requestBody").is_some() {
            described.push("body");
        }
        let mut inputs: Vec<&str> = g.inputs.iter().map(|(wire, _)| wire.as_str()).collect();
        described.sort_unstable();
        inputs.sort_unstable();
        assert_eq!(
            described, inputs,
            "{input}: {official} describes these inputs, and its send takes those"
        );
        entries.push(format!(
            "    OperationId {{ index: {index}, generated: {:?}, official: {official:?}, method: {:?}, path: {:?}, inputs: &{:?} }},\n",
            g.name,
            g.method,
            g.path,
            g.inputs.iter().map(|(wire, _)| wire).collect::<Vec<_>>()
        ));
    }
    let described = spec["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| ["get", "put", "post", "delete", "patch"].map(|m| item.get(m)))
        .flatten()
        .count();
    assert_eq!(
        described,
        found.len(),
        "{input}: {described} operations described, progenitor generated {}",
        found.len()
    );
    let names: Vec<String> = found
        .iter()
        .enumerate()
        .map(|(i, g)| format!("        {:?} => Some(&OPERATIONS[{i}]),\n", g.name))
        .collect();
    format!(
        "// Generated by build.rs from progenitor's output; see build.rs.\n\
         /// Every operation of this description, in the order progenitor generated them.\n\
         pub(crate) static OPERATIONS: &[OperationId] = &[\n{}];\n\n\
         /// The operation whose generated name (`OperationInfo::operation_id`) is `generated`.\n\
         #[cfg(test)]\n\
         pub(crate) fn by_generated_name(generated: &str) -> Option<&'static OperationId> {{\n\
         \x20   match generated {{\n{}        _ => None,\n    }}\n}}\n",
        entries.concat(),
        names.concat(),
    )
}

/// Finds every `send` of a generated builder, in order.
fn collect_sends(items: &[syn::Item], out: &mut Vec<Generated>) {
    use quote::ToTokens;
    for item in items {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    collect_sends(inner, out);
                }
            }
            syn::Item::Impl(imp) => {
                for f in &imp.items {
                    let syn::ImplItem::Fn(f) = f else { continue };
                    if f.sig.ident != "send" {
                        continue;
                    }
                    let doc = f
                        .attrs
                        .iter()
                        .filter_map(|a| match &a.meta {
                            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => {
                                Some(nv.value.to_token_stream().to_string())
                            }
                            _ => None,
                        })
                        .collect::<String>();
                    // "Sends a `GET` request to `/v4/...`"
                    let mut ticks = doc.split('`').skip(1).step_by(2);
                    let (Some(method), Some(path)) = (ticks.next(), ticks.next()) else {
                        panic!("a generated send without its method and path: {doc}")
                    };
                    let body = f.block.to_token_stream().to_string();
                    let name =
                        operation_id_of(&body).expect("a generated send names its operation");
                    let decoded = body
                        .split("u16 =>")
                        .zip(body.split("u16 =>").skip(1))
                        .filter(|(_, arm)| {
                            arm.trim_start_matches([' ', '{'])
                                .starts_with("ResponseValue :: from_response")
                        })
                        .filter_map(|(before, _)| {
                            let digits: String = before
                                .chars()
                                .rev()
                                .take_while(char::is_ascii_digit)
                                .collect();
                            digits.chars().rev().collect::<String>().parse::<u16>().ok()
                        })
                        .filter(|s| (200..300).contains(s))
                        .collect();
                    let inputs = inputs_of(path, &body);
                    out.push(Generated {
                        name,
                        method: method.to_owned(),
                        path: path.to_owned(),
                        decoded,
                        inputs,
                    });
                }
            }
            _ => {}
        }
    }
}

/// The inputs of a generated `send` (its block, as tokens) for `path`, in order (see
/// [`Generated::inputs`]): the path's placeholders with the variables written into them
/// (`encode_path(&group_id.to_string())`), the query's names with theirs
/// (`QueryParam::new("type", &type_)`), and `body` when it is serialized (`.json(&body)`).
fn inputs_of(path: &str, send: &str) -> Vec<(String, String)> {
    let placeholders = path
        .split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_owned()));
    let path_vars = send.split("encode_path (& ").skip(1).filter_map(|rest| {
        rest.split_once(" . to_string ()")
            .map(|(v, _)| v.to_owned())
    });
    let mut inputs: Vec<(String, String)> = placeholders.zip(path_vars).collect();
    assert_eq!(
        inputs.len(),
        path.matches('{').count(),
        "a send for {path} does not write each path parameter with `encode_path`: has \
         progenitor changed how it builds URLs?"
    );
    for rest in send.split("QueryParam :: new (\"").skip(1) {
        let (wire, rest) = rest.split_once('"').expect("a query parameter's name");
        let var = rest
            .strip_prefix(" , & ")
            .and_then(|r| r.split_once(')'))
            .map(|(v, _)| v.trim().to_owned())
            .unwrap_or_else(|| panic!("a query parameter {wire} without its variable"));
        inputs.push((wire.to_owned(), var));
    }
    if send.contains(". json (& body)") {
        inputs.push(("body".to_owned(), "body".to_owned()));
    }
    inputs
}

/// The name a generated `send` (its block, as tokens) hands the hooks as
/// `OperationInfo::operation_id`.
fn operation_id_of(send: &str) -> Option<String> {
    send.split("operation_id :")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .map(str::to_owned)
}

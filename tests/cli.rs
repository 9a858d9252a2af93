//! The `codearts-webhooks` binary, run as users run it, against the fake over loopback.

use std::{path::Path, process::Command};

use codearts_webhooks::{
    Credentials,
    fake::FakeCodeArts,
    repo::types::{WebhookDto, WebhookParamsDto},
};
use serde_json::Value;

const CI_TOKEN: &str = "ci-token-4d1f-very-secret";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with a clean environment: an empty home, the fake's token, and `args`.
async fn run(fake: &FakeCodeArts, home: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codearts-webhooks"));
    cmd.env_clear()
        .env("HOME", home)
        .env("HUAWEICLOUD_SDK_AUTH_TOKEN", fake.token())
        .env("CI_TOKEN", CI_TOKEN)
        .args(["--repo-endpoint", &fake.endpoint()])
        .args(["--check-endpoint", &fake.endpoint()])
        .args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Adds a webhook to a repository of the fake, with the library.
async fn add(fake: &FakeCodeArts, repository: i32, params: WebhookParamsDto) -> WebhookDto {
    fake.client_builder()
        .credentials(Credentials::token(fake.token()))
        .build()
        .unwrap()
        .repo()
        .add_repository_webhook()
        .repository_id(repository)
        .body(params)
        .send()
        .await
        .unwrap()
        .into_inner()
}

/// Runs with `--output json` and parses what it printed.
async fn run_json(fake: &FakeCodeArts, home: &Path, args: &[&str]) -> Value {
    let args: Vec<&str> = args.iter().copied().chain(["--output", "json"]).collect();
    json(&run(fake, home, &args).await)
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

const FILE: &str = "\
# Every repository notifies CI; the old CI is gone everywhere.
prune:
  urls: [https://old-ci.example.com/hook]
scopes:
  - repository: 1
  - repository: 2
  - group: 1001
webhooks:
  - url: https://ci.example.com/hook
    name: ci
    events:
      push_branches: '.*'
      merge_request: true
    token_env: CI_TOKEN
check_triggers:
  - task: task-1
    merge_request: true
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_apply_converge_with_exit_codes() {
    let fake = FakeCodeArts::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("webhooks.yaml");
    std::fs::write(&file, FILE).unwrap();
    let f = file.to_str().unwrap();

    let old = add(
        &fake,
        2,
        WebhookParamsDto {
            url: Some("https://old-ci.example.com/hook".into()),
            name: Some("old-ci".into()),
            tag_push_events: Some(true),
            ..Default::default()
        },
    )
    .await;

    let plan = run(&fake, home.path(), &["plan", "-f", f]).await;
    assert_eq!(
        plan.code, 2,
        "changes pending: {}{}",
        plan.stdout, plan.stderr
    );
    assert!(
        plan.stdout
            .contains("repository 1\n  + ci https://ci.example.com/hook\n"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged.")
    );
    let pruned = run(
        &fake,
        home.path(),
        &["plan", "-f", f, "--prune", "--output", "json"],
    )
    .await;
    assert_eq!(pruned.code, 2);
    let p = json(&pruned);
    assert_eq!(p["counts"]["delete"], 1);
    assert_eq!(p["scopes"][1]["changes"][1]["action"], "delete");
    assert_eq!(p["scopes"][1]["changes"][1]["id"], old.id.unwrap());
    assert_eq!(p["check_triggers"][0]["known"], false);

    let refused = run(&fake, home.path(), &["apply", "-f", f]).await;
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("pass --yes"), "{}", refused.stderr);

    let apply = run(
        &fake,
        home.path(),
        &["apply", "-f", f, "--prune", "--yes", "--output", "json"],
    )
    .await;
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let report = json(&apply);
    assert_eq!(report["complete"], true);
    assert_eq!(report["scopes"][1]["done"]["deleted"], 1);
    assert_eq!(fake.check_task("task-1"), Some((Some(true), None)));
    // The token reached the service (fake keeps it) but no output shows it.
    for out in [&plan, &pruned, &refused, &apply] {
        assert!(!out.stdout.contains(CI_TOKEN) && !out.stderr.contains(CI_TOKEN));
    }

    let again = run(&fake, home.path(), &["plan", "-f", f, "--prune"]).await;
    assert_eq!(again.code, 0, "converged: {}", again.stdout);
    assert!(
        again.stdout.contains("token not compared"),
        "{}",
        again.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_show_logs_and_check_trigger() {
    let fake = FakeCodeArts::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let hook = add(
        &fake,
        9,
        WebhookParamsDto {
            url: Some("https://ci.example.com/hook".into()),
            name: Some("ci".into()),
            push_events: Some(true),
            push_events_branch_regex_filter: Some("main".into()),
            token: Some(CI_TOKEN.into()),
            ..Default::default()
        },
    )
    .await;
    let id = hook.id.unwrap();
    fake.deliver(id, "Push Hook", "500").unwrap();

    let list = run(&fake, home.path(), &["list", "--repository", "9"]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert!(
        lines[0].contains("ID") && lines[0].contains("URL"),
        "{}",
        list.stdout
    );
    assert!(lines[1].contains("https://ci.example.com/hook") && lines[1].contains("push(main)"));
    // Aligned: the URL column starts at the same place in the header and the row.
    assert_eq!(lines[0].find("URL"), lines[1].find("https://"));
    let listed = run_json(&fake, home.path(), &["list", "--repository", "9"]).await;
    assert_eq!(listed[0]["id"], id);
    assert!(listed[0].get("token").is_none());

    let id_text = id.to_string();
    let shown = run(
        &fake,
        home.path(),
        &[
            "show",
            "--repository",
            "9",
            "--hook",
            &id_text,
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(json(&shown)["name"], "ci");
    let logs = run_json(
        &fake,
        home.path(),
        &["logs", "--repository", "9", "--hook", &id_text],
    )
    .await;
    assert_eq!(logs[0]["response_status"], "500");
    assert!(logs[0]["duration_ms"].is_number(), "{logs}");
    let human = run(
        &fake,
        home.path(),
        &["logs", "--repository", "9", "--hook", &id_text],
    )
    .await;
    assert!(
        human.stdout.contains("Push Hook") && human.stdout.contains(" ms"),
        "{}",
        human.stdout
    );

    let missing = run(
        &fake,
        home.path(),
        &[
            "show",
            "--repository",
            "9",
            "--hook",
            "999",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(missing.code, 1);
    let e = json(&missing);
    assert_eq!(e["status"], 404);
    assert!(
        e["request_id"]
            .as_str()
            .is_some_and(|r| r.starts_with("fake-"))
    );

    let set = run(
        &fake,
        home.path(),
        &[
            "check-trigger",
            "--task",
            "t9",
            "--mr",
            "off",
            "--push",
            "on",
        ],
    )
    .await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(fake.check_task("t9"), Some((Some(false), Some(true))));
    let bad = run(
        &fake,
        home.path(),
        &["check-trigger", "--task", "t9", "--mr", "maybe"],
    )
    .await;
    assert_eq!(bad.code, 2, "clap's usage error");
    assert!(bad.stderr.contains("neither on nor off"), "{}", bad.stderr);
    for out in [&list, &shown, &human] {
        assert!(!out.stdout.contains(CI_TOKEN));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_file_names_the_file_the_line_and_the_field() {
    let fake = FakeCodeArts::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("bad.yaml");
    std::fs::write(
        &file,
        "scopes:\n  - repository: 1\nwebhooks:\n  - url: https://x\n    name: x\n    events:\n      pushh: true\n",
    )
    .unwrap();
    let r = run(&fake, home.path(), &["plan", "-f", file.to_str().unwrap()]).await;
    assert_eq!(r.code, 1);
    let want = format!(
        "{}:7:7: webhooks[0].events: unknown field `pushh`",
        file.display()
    );
    assert!(r.stderr.contains(&want), "{}", r.stderr);
    std::fs::write(&file, "scopes:\n  - repository: 1\n    group: 2\n").unwrap();
    let r = run(&fake, home.path(), &["plan", "-f", file.to_str().unwrap()]).await;
    assert!(
        r.stderr.contains(
            "bad.yaml:2:3: scopes: a scope is exactly one of `group`, `project` or `repository`"
        ),
        "{}",
        r.stderr
    );
    std::fs::write(
        &file,
        "webhooks:\n  - url: https://x\n    name: x\n    token_env: NOPE\n",
    )
    .unwrap();
    let r = run(&fake, home.path(), &["plan", "-f", file.to_str().unwrap()]).await;
    assert!(
        r.stderr
            .contains("webhooks[0].token_env: the environment variable NOPE is not set"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.received().len(), 0, "nothing was sent");
}

/// The README's example file is valid and plans against the fake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_file_plans() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme.split("## Keep webhooks in place").nth(1).unwrap();
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let fake = FakeCodeArts::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("webhooks.yaml");
    std::fs::write(&file, yaml).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codearts-webhooks"));
    cmd.env_clear()
        .env("HOME", home.path())
        .env("HUAWEICLOUD_SDK_AUTH_TOKEN", fake.token())
        .env("CI_WEBHOOK_TOKEN", "t1")
        .env("FEISHU_TOKEN", "t2")
        .args([
            "--repo-endpoint",
            &fake.endpoint(),
            "--check-endpoint",
            &fake.endpoint(),
        ])
        .args(["plan", "-f", file.to_str().unwrap(), "--output", "json"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["counts"]["create"], 2);
    assert_eq!(plan["notifications"][0]["channel"], "feishu");
}

#[test]
fn the_committed_schema_is_the_derived_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_codearts-webhooks"))
        .arg("schema")
        .output()
        .unwrap();
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/desired-state.schema.json"),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        committed,
        "run `cargo run --features cli -- schema > schema/desired-state.schema.json`"
    );
}

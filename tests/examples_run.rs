//! The README's main command works: the quickstart tours the crate against the fake and exits
//! cleanly; the standalone fake serves on the port it is given.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
};

/// Builds an example (a no-op when `cargo test` built it already) and returns its path.
fn example(name: &str) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--features", "fake", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "building the {name} example failed");
    // Tests run from target/<profile>/deps; examples are in target/<profile>/examples.
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

/// The environment without the variables that would send the tour to the real service.
fn clean(cmd: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars() {
        if k.starts_with("HUAWEICLOUD_SDK_") || k.starts_with("CODEARTS_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn the_quickstart_tours_the_fake() {
    let out = clean(&mut Command::new(example("quickstart")))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "quickstart failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "touring the embedded fake",
        "1. group 1001: created webhook",
        "the token comes back masked: \"************\"",
        "4. first page: 2 of X-Total 3",
        "   every page: 3 webhooks",
        "7. delivery logs: 2",
        "shown back as \"https://open.feishu.cn/open-apis/bot/v2/hook/quickstart\", token set: true",
        "9. check task 8df8d58f832a408f88e4aebea0ff6fc5: MR trigger on",
        "10. removed the 5 webhooks",
        "service error 404: CH.00402000",
        "invalid input: limit must be at most 100 (got 500)",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[tokio::test]
async fn the_standalone_fake_serves_on_the_given_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = clean(&mut Command::new(example("fake_server")))
        .args(["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    // Kept open until the fake is stopped: it prints more lines, which a closed pipe would turn
    // into a panic.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    assert_eq!(
        first.trim(),
        format!("fake CodeArts Repo and Check at {endpoint}")
    );
    let client = codearts_webhooks::Client::builder()
        .credentials(codearts_webhooks::Credentials::token(
            codearts_webhooks::fake::DEFAULT_TOKEN,
        ))
        .repo_endpoint(&endpoint)
        .build()
        .unwrap();
    let listed = client.repo().list_group_webhooks().group_id(1).send().await;
    child.kill().unwrap();
    let _ = child.wait();
    drop(out);
    assert!(listed.unwrap().is_empty());

    let bad = clean(&mut Command::new(example("fake_server")))
        .args(["--port", "x"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--port takes a number"));
}

//! `codearts-webhooks`: list, inspect and keep in place the webhooks of CodeArts Repo, and
//! switch CodeArts Check's triggers. Feature `cli`.
//!
//! Credentials, region and endpoints come from the same chain as the library
//! (`ClientBuilder::from_env`); the flags win. Exit codes: 0 success, 1 error, 2 `plan` found
//! changes to make.

mod file;
mod output;

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use clap::{Args, Parser, Subcommand};
use codearts_webhooks::{
    Client, ClientBuilder, Credentials, Error,
    plan::{self, ApplyOptions, Scope},
};
use output::Format;

#[derive(Parser)]
#[command(name = "codearts-webhooks", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The region, e.g. cn-north-4 (default: HUAWEICLOUD_SDK_REGION).
    #[arg(long, global = true)]
    region: Option<String>,
    /// The CodeArts Repo endpoint (default: the region's).
    #[arg(long, global = true)]
    repo_endpoint: Option<String>,
    /// The CodeArts Check endpoint (default: the region's).
    #[arg(long, global = true)]
    check_endpoint: Option<String>,
    /// Output: human (tables, a diff-like plan) or json.
    #[arg(long, global = true, value_enum, default_value = "human")]
    output: Format,
}

#[derive(Subcommand)]
enum Command {
    /// List the webhooks of a group, project or repository.
    List(Where),
    /// Show one webhook.
    Show {
        #[command(flatten)]
        scope: Where,
        /// The webhook id.
        #[arg(long)]
        hook: i32,
    },
    /// Recent deliveries of a webhook, with status and duration.
    Logs {
        #[command(flatten)]
        scope: Where,
        /// The webhook id.
        #[arg(long)]
        hook: i32,
        /// How many deliveries (1 to 100).
        #[arg(long, default_value_t = 20)]
        limit: i32,
    },
    /// Compare a desired-state file with what exists. Exit code 2 when there are changes.
    Plan(Desired),
    /// Make what exists match a desired-state file.
    Apply {
        #[command(flatten)]
        desired: Desired,
        /// Scopes worked on at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Apply without asking (required when not on a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Switch a CodeArts Check task's triggers.
    CheckTrigger {
        /// The check task id.
        #[arg(long)]
        task: String,
        /// Run the check on merge requests.
        #[arg(long, value_parser = on_off)]
        mr: Option<bool>,
        /// Run the check on pushes.
        #[arg(long, value_parser = on_off)]
        push: Option<bool>,
    },
    /// Print the JSON Schema of the desired-state file.
    Schema,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct Where {
    /// A repository group id.
    #[arg(long)]
    group: Option<i32>,
    /// A project id (32 characters).
    #[arg(long)]
    project: Option<String>,
    /// A repository id.
    #[arg(long)]
    repository: Option<i32>,
}

impl Where {
    fn scope(&self) -> Scope {
        match (&self.group, &self.project, &self.repository) {
            (Some(g), _, _) => Scope::Group(*g),
            (_, Some(p), _) => Scope::Project(p.clone()),
            (_, _, Some(r)) => Scope::Repository(*r),
            _ => unreachable!("clap requires one"),
        }
    }
}

#[derive(Args)]
struct Desired {
    /// The desired-state file (YAML; see `codearts-webhooks schema`).
    #[arg(short = 'f', long = "file")]
    file: PathBuf,
    /// Delete webhooks the file's `prune` rule names and that are not desired.
    #[arg(long)]
    prune: bool,
}

fn on_off(v: &str) -> Result<bool, String> {
    match v {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("{other:?} is neither on nor off")),
    }
}

/// What ended a command.
enum Failure {
    Message(String),
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.output;
    match run(cli).await {
        Ok(code) => code,
        Err(Failure::Error(e)) => {
            match format {
                Format::Json => println!("{}", output::error(format, &e)),
                Format::Human => eprintln!("{}", output::error(format, &e)),
            }
            ExitCode::from(1)
        }
        Err(Failure::Message(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

fn client(cli: &Cli) -> Result<Client, Error> {
    let region = cli
        .region
        .clone()
        .or_else(|| std::env::var("HUAWEICLOUD_SDK_REGION").ok());
    let mut builder = match &region {
        Some(region) => ClientBuilder::from_lookup(|name| match name {
            "HUAWEICLOUD_SDK_REGION" => Some(region.clone()),
            _ => std::env::var(name).ok(),
        })?,
        // Endpoints given by flag need no region.
        None => Client::builder().credentials(Credentials::default_chain()?),
    };
    if let Some(url) = &cli.repo_endpoint {
        builder = builder.repo_endpoint(url);
    }
    if let Some(url) = &cli.check_endpoint {
        builder = builder.check_endpoint(url);
    }
    builder.build()
}

async fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let format = cli.output;
    let ok = ExitCode::SUCCESS;
    match &cli.command {
        Command::Schema => {
            print!("{}", file::schema());
            Ok(ok)
        }
        Command::List(at) => {
            let client = client(&cli)?;
            let hooks = plan::list_webhooks(&client, &at.scope()).await?;
            println!("{}", output::hooks(format, &hooks));
            Ok(ok)
        }
        Command::Show { scope, hook } => {
            let client = client(&cli)?;
            let r = client.repo();
            let h = match scope.scope() {
                Scope::Group(g) => {
                    r.show_group_webhook()
                        .group_id(g)
                        .hook_id(*hook)
                        .send()
                        .await
                }
                Scope::Project(p) => {
                    r.show_project_webhook()
                        .project_id(p)
                        .hook_id(*hook)
                        .send()
                        .await
                }
                Scope::Repository(id) => {
                    r.show_repository_webhook()
                        .repository_id(id)
                        .hook_id(*hook)
                        .send()
                        .await
                }
            }
            .map_err(Error::from)?;
            println!("{}", output::hook(format, &h));
            Ok(ok)
        }
        Command::Logs { scope, hook, limit } => {
            let client = client(&cli)?;
            let r = client.repo();
            // The three operations differ in the scope's parameter and the row type only.
            macro_rules! rows {
                ($op:ident, $param:ident, $id:expr) => {
                    r.$op()
                        .$param($id)
                        .hook_id(*hook)
                        .limit(*limit)
                        .send()
                        .await
                        .map_err(Error::from)?
                        .iter()
                        .map(output::LogRow::from)
                        .collect()
                };
            }
            let logs: Vec<output::LogRow> = match scope.scope() {
                Scope::Group(g) => rows!(list_group_webhook_logs, group_id, g),
                Scope::Project(p) => rows!(list_project_webhook_logs, project_id, p),
                Scope::Repository(id) => rows!(list_repository_webhook_logs, repository_id, id),
            };
            println!("{}", output::logs(format, &logs));
            Ok(ok)
        }
        Command::Plan(desired) => {
            let (desired, options) = read(desired)?;
            let client = client(&cli)?;
            let plan = plan::plan(&client, &desired, &options).await;
            print(format, &output::plan(format, &plan));
            Ok(match (plan.has_problems(), plan.has_changes()) {
                (true, _) => ExitCode::from(1),
                (false, true) => ExitCode::from(2),
                (false, false) => ok,
            })
        }
        Command::Apply {
            desired,
            concurrency,
            yes,
        } => {
            let (desired, options) = read(desired)?;
            let client = client(&cli)?;
            let plan = plan::plan(&client, &desired, &options).await;
            if !plan.has_changes() && plan.triggers.is_empty() && !plan.has_problems() {
                print(format, &output::plan(format, &plan));
                return Ok(ok);
            }
            if format == Format::Human {
                print!("{}", output::plan(format, &plan));
            }
            if !yes {
                if !std::io::stdin().is_terminal() {
                    return Err(Failure::Message(
                        "not on a terminal: pass --yes to apply without asking".into(),
                    ));
                }
                eprint!("Apply these changes? Type yes: ");
                let mut answer = String::new();
                std::io::stdin()
                    .read_line(&mut answer)
                    .map_err(|e| Failure::Message(e.to_string()))?;
                if answer.trim() != "yes" {
                    return Err(Failure::Message("not applied".into()));
                }
            }
            let steps = (plan.scopes.len() + plan.notifications.len() + plan.triggers.len()) as u64;
            let bar = match std::io::stderr().is_terminal() {
                true => indicatif::ProgressBar::new(steps),
                false => indicatif::ProgressBar::hidden(),
            };
            let apply_options = ApplyOptions {
                concurrency: *concurrency,
                identity: options.identity,
            };
            let report =
                plan::apply_with_progress(&client, &plan, &apply_options, || bar.inc(1)).await;
            bar.finish_and_clear();
            println!("{}", output::report(format, &report));
            Ok(match report.is_complete() {
                true => ok,
                false => ExitCode::from(1),
            })
        }
        Command::CheckTrigger { task, mr, push } => {
            if mr.is_none() && push.is_none() {
                return Err(Failure::Message(
                    "give --mr on|off, --push on|off, or both".into(),
                ));
            }
            let client = client(&cli)?;
            client
                .check()
                .update_code_check_webhook()
                .task_id(task.as_str())
                .body_map(|mut b| {
                    if let Some(v) = mr {
                        b = b.is_set_mr_webhook(*v);
                    }
                    if let Some(v) = push {
                        b = b.is_set_push_webhook(*v);
                    }
                    b
                })
                .send()
                .await
                .map_err(Error::from)?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"task": task, "merge_request": mr, "push": push})
                ),
                Format::Human => println!("check task {task}: set"),
            }
            Ok(ok)
        }
    }
}

fn print(format: Format, text: &str) {
    match format {
        Format::Json => println!("{text}"),
        Format::Human => print!("{text}"),
    }
}

fn read(desired: &Desired) -> Result<(plan::Desired, plan::Options), Failure> {
    let file =
        file::read(&desired.file, |name| std::env::var(name).ok()).map_err(Failure::Message)?;
    Ok(file.into_parts(desired.prune))
}

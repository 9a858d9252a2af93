//! Runs the fake CodeArts on its own, for other tools to be pointed at.
//!
//! ```sh
//! cargo run --example fake_server --features fake -- --port 8080
//! ```

use codearts_webhooks::fake::FakeCodeArts;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port takes a number from 0 to 65535, not {value:?}"))?;
            }
            "-h" | "--help" => {
                println!("usage: fake_server [--port N]   (default: a free port)");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}; try --help").into()),
        }
    }
    let fake = FakeCodeArts::builder().port(port).start().await?;
    let (ak, sk) = fake.key();
    println!("fake CodeArts Repo and Check at {}", fake.endpoint());
    println!("  X-Auth-Token: {}", fake.token());
    println!("  AK/SK: {ak} / {sk}");
    println!(
        "  e.g. HUAWEICLOUD_SDK_REGION=cn-north-4 HUAWEICLOUD_SDK_REGION_CODEARTSREPO_CN_NORTH_4={}",
        fake.endpoint()
    );
    println!("Ctrl-C stops it.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}

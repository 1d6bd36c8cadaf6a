//! Run one standalone sandbox cluster: `cargo run -p kubedojo-sandbox --example standalone -- [port] [kubeconfig]`.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port = args.next().and_then(|p| p.parse().ok());
    let kubeconfig = args.next().map(std::path::PathBuf::from);
    kubedojo_sandbox::run_standalone(kubedojo_sandbox::StandaloneOptions {
        port,
        kubeconfig,
        pace: kubedojo_sandbox::Pace::Instant,
        data_dir: None,
    })
    .await?;
    Ok(())
}

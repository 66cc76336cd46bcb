//! The `kirim` binary: parse the command line, dispatch, report errors on stderr.

use clap::Parser;

/// See `Cargo.toml`: a page's many small allocations, made and freed on different threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = match kirim::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return kirim::cli::refused(error),
    };
    match kirim::cli::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("kirim: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! `quiz-server`: parses configuration, wires adapters, serves. See the crate docs of
//! `quiz_server` for what the server does, and `--help` for every option.

use std::process::ExitCode;

use clap::Parser;
use quiz_server::App;
use quiz_server::config::{Command, Config};

/// mimalloc instead of glibc's allocator: a request allocates and frees many small,
/// short-lived buffers on several threads, and glibc's `malloc`/`free` (with their
/// consolidation) were over a quarter of the server's CPU in the full-stack profile
/// (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    quiz_server::telemetry::init_logging(config.log_format);
    match config.command.clone().unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::RebuildLeaderboard { quiz } => rebuild(config, &quiz).await,
        Command::Backup { file } => backup(&config, file).await,
    }
}

async fn backup(config: &Config, file: std::path::PathBuf) -> ExitCode {
    let dir = config.data_dir.clone();
    let to = file.clone();
    match tokio::task::spawn_blocking(move || quiz_sqlite::backup(&dir, &to)).await {
        Ok(Ok(())) => {
            println!(
                "quiz-server: backup of {} written to {}",
                config.data_dir.display(),
                file.display()
            );
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("quiz-server: backup: {}", quiz_common::chain(&e));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("quiz-server: backup: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn rebuild(config: Config, quiz: &str) -> ExitCode {
    let quiz = match quiz_core::QuizId::parse(quiz) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("quiz-server: --quiz: {e}");
            return ExitCode::from(2);
        }
    };
    let backends = match quiz_server::backends::connect(&config).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("quiz-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let service =
        quiz_core::QuizService::new(backends.ports.clone(), quiz_core::ServiceConfig::default());
    let result = service.upkeep().rebuild_leaderboard(&quiz).await;
    backends.shutdown().await;
    match result {
        Ok(n) => {
            println!(
                "quiz-server: rebuilt the leaderboard of {quiz} from the archive: {n} players"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("quiz-server: rebuild failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(mut config: Config) -> ExitCode {
    let backends = match quiz_server::backends::connect(&config).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("quiz-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("quiz-server: backends: {}", backends.description);
    if config.token_secret.is_none() {
        config.token_secret.clone_from(&backends.token_secret);
    }
    let app = match App::new(&config, backends.ports.clone()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("quiz-server: {e}");
            return ExitCode::from(2);
        }
    };
    if !config.no_demo
        && let Err(e) = app.ensure_demo().await
    {
        eprintln!("quiz-server: could not create the demo quiz: {e}");
        return ExitCode::FAILURE;
    }
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("quiz-server: cannot listen on {}: {e}", config.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map_or(config.listen, |a| a);
    println!("quiz-server: serving the web client on http://{addr}/");
    if !config.no_demo {
        println!(
            "quiz-server: demo quiz: http://{addr}/?quiz={}",
            quiz_server::demo::DEMO_ID
        );
    }
    println!("quiz-server: API docs: http://{addr}/docs");
    if config.admin_key.is_none() {
        println!("quiz-server: admin key (generated): {}", app.admin_key());
    }
    let served = app.serve(listener, quiz_common::shutdown_signal()).await;
    backends.shutdown().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quiz-server: {e}");
            ExitCode::FAILURE
        }
    }
}

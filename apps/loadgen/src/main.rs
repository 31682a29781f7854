//! `quiz-loadgen`: parses options, runs the load test (or verifies a report) and prints
//! the headline numbers. See the `quiz_loadgen` crate docs and `--help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use quiz_loadgen::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Verify {
            dir,
            expect_answers,
        }) => return verify(dir, *expect_answers),
        Some(Command::Merge {
            out,
            scenario,
            dirs,
        }) => return merge(out, scenario, dirs),
        None => {}
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = cli.run.threads {
        rt.worker_threads(n.max(1));
    }
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("quiz-loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = cli.run.out.clone();
    match rt.block_on(quiz_loadgen::run::run(cli.run)) {
        Ok(report) => {
            println!("{}", report.headline());
            println!(
                "quiz-loadgen: wrote {}/{{report.json,chart.svg,summary.md}}",
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("quiz-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn verify(dir: &Path, expect_answers: bool) -> ExitCode {
    match quiz_loadgen::report::verify(dir) {
        Ok(r) if r.hosted.as_ref().is_some_and(|h| h.phases_missed > 0) => {
            let h = r
                .hosted
                .as_ref()
                .map_or((0, 0), |h| (h.phases_missed, h.sockets_missing_phases));
            eprintln!(
                "quiz-loadgen verify: {}: {} phases never reached {} player sockets (must be 0)",
                dir.display(),
                h.0,
                h.1
            );
            ExitCode::FAILURE
        }
        Ok(r) if expect_answers && r.answers.acked == 0 => {
            eprintln!(
                "quiz-loadgen verify: {}: the run acknowledged no answer",
                dir.display()
            );
            ExitCode::FAILURE
        }
        Ok(r) => {
            println!(
                "{}: report.json, chart.svg and summary.md are complete",
                dir.display()
            );
            println!("{}", r.headline());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("quiz-loadgen verify: {}:\n{e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn merge(out: &Path, scenario: &str, dirs: &[PathBuf]) -> ExitCode {
    let mut reports = Vec::new();
    for d in dirs {
        match quiz_loadgen::report::verify(d) {
            Ok(r) => reports.push(r),
            Err(e) => {
                eprintln!("quiz-loadgen merge: {}:\n{e}", d.display());
                return ExitCode::FAILURE;
            }
        }
    }
    match quiz_loadgen::report::merge(scenario, &reports).and_then(|m| {
        m.write(out)?;
        Ok(m)
    }) {
        Ok(m) => {
            println!("{}", m.headline());
            println!(
                "quiz-loadgen: wrote {}/{{report.json,chart.svg,summary.md}}",
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("quiz-loadgen merge: {e}");
            ExitCode::FAILURE
        }
    }
}

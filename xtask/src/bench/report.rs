//! Where a scenario's report goes and the check that it is complete.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Bins;
use crate::{root, run as run_cmd};

pub(super) fn out_dir(scenario: &str) -> PathBuf {
    root().join("bench-out").join(scenario)
}

/// A fresh output directory (earlier report files removed).
pub(super) fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

pub(super) fn verify(bins: &Bins, dir: &Path, expect_answers: bool) -> Result<(), String> {
    for f in ["report.json", "chart.svg", "summary.md"] {
        let p = dir.join(f);
        let len = std::fs::metadata(&p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .len();
        if len == 0 {
            return Err(format!("{} is empty", p.display()));
        }
    }
    let mut c = Command::new(&bins.loadgen);
    c.arg("verify").arg(dir);
    if expect_answers {
        c.arg("--expect-answers");
    }
    run_cmd(&format!("quiz-loadgen verify {}", dir.display()), c)
}

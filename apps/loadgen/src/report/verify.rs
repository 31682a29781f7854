//! Checking a written report (`quiz-loadgen verify`, and `merge` before it reads its
//! inputs): the three files exist, and `report.json` has every required field and the
//! model's shape, so a broken or stale run is caught before its numbers are used.

use std::path::Path;

use super::model::Report;

/// JSON pointers every report must have (checked by `quiz-loadgen verify`).
pub const REQUIRED_FIELDS: &[&str] = &[
    "/tool",
    "/scenario",
    "/mode",
    "/phases/steady_s",
    "/answers/acked",
    "/answers/per_sec_steady",
    "/ack_latency_us/count",
    "/ack_latency_us/p50",
    "/ack_latency_us/p90",
    "/ack_latency_us/p99",
    "/ack_latency_us/p999",
    "/staleness_us/p99",
    "/boards/per_socket_per_sec",
    "/sockets/peak_open",
    "/memory/per_socket_bytes",
    "/cpu/server_cpu_us_per_answer",
    "/errors/total",
    "/errors/by_kind",
    "/series",
];

/// Checks the output directory of a run: `report.json` parses as a [`Report`] and has
/// every field of [`REQUIRED_FIELDS`]; `chart.svg` is an SVG; `summary.md` is not empty.
///
/// # Errors
/// Every problem found, one per line.
pub fn verify(dir: &Path) -> Result<Report, String> {
    let mut problems = Vec::new();
    let read = |name: &str| std::fs::read_to_string(dir.join(name));
    let report = match read("report.json") {
        Err(e) => {
            problems.push(format!("report.json: {e}"));
            None
        }
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Err(e) => {
                problems.push(format!("report.json does not parse: {e}"));
                None
            }
            Ok(v) => {
                for f in REQUIRED_FIELDS {
                    if v.pointer(f).is_none() {
                        problems.push(format!("report.json lacks {f}"));
                    }
                }
                match serde_json::from_value::<Report>(v) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        problems.push(format!("report.json has the wrong shape: {e}"));
                        None
                    }
                }
            }
        },
    };
    match read("chart.svg") {
        Ok(svg) if svg.contains("<svg") => {}
        Ok(_) => problems.push("chart.svg is not an SVG".into()),
        Err(e) => problems.push(format!("chart.svg: {e}")),
    }
    match read("summary.md") {
        Ok(md) if !md.trim().is_empty() => {}
        Ok(_) => problems.push("summary.md is empty".into()),
        Err(e) => problems.push(format!("summary.md: {e}")),
    }
    match (report, problems.is_empty()) {
        (Some(r), true) => Ok(r),
        _ => Err(problems.join("\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::tests::sample;

    #[test]
    fn the_json_has_every_required_field() {
        let v = serde_json::to_value(sample()).unwrap();
        for f in REQUIRED_FIELDS {
            assert!(v.pointer(f).is_some(), "missing {f}");
        }
        assert_eq!(v["ack_latency_us"]["p50"], 500);
        assert!(v["series"][0]["p99_us"].is_u64());
    }

    #[test]
    fn written_reports_verify_and_broken_ones_do_not() {
        let dir = std::env::temp_dir().join(format!("loadgen-test-{}", std::process::id()));
        let r = sample();
        r.write(&dir).unwrap();
        let back = verify(&dir).unwrap();
        assert_eq!(back.answers.acked, 10);
        std::fs::write(dir.join("report.json"), "{\"tool\":1}").unwrap();
        let err = verify(&dir).unwrap_err();
        assert!(err.contains("lacks /answers/acked"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

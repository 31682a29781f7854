//! Plain HTTP probes of the running services: health checks and Prometheus counters.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `GET path` answered 200.
pub(super) fn http_ok(addr: &str, path: &str) -> bool {
    http_get(addr, path).is_some()
}

/// The body of `GET http://addr/path` when it answers 200.
pub(super) fn http_get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// The sum of a Prometheus counter's samples (those whose labels contain `label`).
pub(super) fn metric_sum(text: &str, name: &str, label: Option<&str>) -> u64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter(|l| label.is_none_or(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::metric_sum;

    #[test]
    fn counters_are_summed_over_matching_samples() {
        let text = "# HELP quiz_answers_total Answers.\n\
                    # TYPE quiz_answers_total counter\n\
                    quiz_answers_total{outcome=\"accepted\"} 120\n\
                    quiz_answers_total{outcome=\"rejected\"} 3\n\
                    quiz_answers_total_other 99\n\
                    quiz_worker_events_consumed_total 118\n";
        assert_eq!(
            metric_sum(text, "quiz_answers_total", Some("outcome=\"accepted\"")),
            120
        );
        assert_eq!(metric_sum(text, "quiz_answers_total", None), 123);
        assert_eq!(
            metric_sum(text, "quiz_worker_events_consumed_total", None),
            118
        );
        assert_eq!(metric_sum(text, "missing", None), 0);
    }
}

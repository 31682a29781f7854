//! Percentiles of a histogram of microseconds, the one shape every latency in the report
//! takes. Its own module, so the run's model (`model.rs`) and the hosted game's part
//! (`hosted.rs`) both use it without importing each other.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Percentiles of a histogram of microseconds; `null` fields when there were no samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Smallest, µs.
    pub min: Option<u64>,
    /// Mean, µs.
    pub mean: Option<f64>,
    /// Median, µs.
    pub p50: Option<u64>,
    /// 90th percentile, µs.
    pub p90: Option<u64>,
    /// 99th percentile, µs.
    pub p99: Option<u64>,
    /// 99.9th percentile, µs.
    pub p999: Option<u64>,
    /// Largest, µs.
    pub max: Option<u64>,
}

impl Percentiles {
    /// Reads the percentiles of `h`.
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let q = |p: f64| Some(h.value_at_quantile(p));
        Self {
            count: h.len(),
            min: Some(h.min()),
            mean: Some((h.mean() * 10.0).round() / 10.0),
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            p999: q(0.999),
            max: Some(h.max()),
        }
    }
}

//! What the benches share: the ten-year database and percentiles.

pub mod bench_db;

use std::time::Duration;

/// The `p` quantile (0–1) of `times`, in milliseconds.
pub fn percentile(times: &mut [Duration], p: f64) -> f64 {
    times.sort();
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i].as_secs_f64() * 1000.0
}

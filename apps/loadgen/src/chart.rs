//! `chart.svg`: acknowledged answers per second (left axis) and p99 ack latency (right
//! axis) over the run. For idle runs, open sockets and server RSS instead.
//!
//! It imports the report model only (`crate::report::model`): writing a report calls
//! the chart, and the chart never calls back into the report, so the two do not form
//! an import loop.

use std::path::Path;

use plotters::prelude::*;

use crate::report::model::Report;

/// Draws the chart of `report` into `path`.
///
/// # Errors
/// The drawing backend's error, as text.
pub fn draw(report: &Report, path: &Path) -> Result<(), String> {
    let idle = report.mode == "idle";
    let s = &report.series;
    let left: Vec<(f64, f64)> = s
        .iter()
        .map(|p| {
            let v = if idle {
                p.open_sockets as f64
            } else {
                p.acked as f64 / p.dur_s.max(0.001)
            };
            (p.t, v)
        })
        .collect();
    let right: Vec<(f64, f64)> = s
        .iter()
        .filter_map(|p| {
            let v = if idle {
                p.server_rss_kib.map(|k| k as f64 / 1024.0)
            } else {
                p.p99_us.map(|u| u as f64 / 1000.0)
            };
            v.map(|v| (p.t, v))
        })
        .collect();
    let (left_desc, right_desc) = if idle {
        ("open sockets", "server RSS (MiB)")
    } else {
        ("acknowledged answers / s", "p99 ack latency (ms)")
    };
    let max_t = s.last().map_or(1.0, |p| p.t).max(1.0);
    let top = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(0.0f64, f64::max).max(1.0) * 1.1;
    let (max_left, max_right) = (top(&left), top(&right));

    let root = SVGBackend::new(path, (1000, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let title = format!("{} ({} mode)", report.scenario, report.mode);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .right_y_label_area_size(80)
        .build_cartesian_2d(0f64..max_t, 0f64..max_left)
        .map_err(|e| e.to_string())?
        .set_secondary_coord(0f64..max_t, 0f64..max_right);
    chart
        .configure_mesh()
        .x_desc("seconds since start")
        .y_desc(left_desc)
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .configure_secondary_axes()
        .y_desc(right_desc)
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(LineSeries::new(left, BLUE.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(left_desc)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_secondary_series(LineSeries::new(right, RED.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(right_desc)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_an_svg_with_both_series() {
        let dir = std::env::temp_dir().join(format!("loadgen-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chart.svg");
        draw(&crate::report::model::tests::sample(), &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("<svg"));
        assert!(svg.contains("p99 ack latency"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Writing a report into its output directory: `report.json`, `summary.md` and
//! `chart.svg` side by side. This is the only part of the report that needs the chart,
//! which keeps the dependency one-way: the chart depends on the model, never the
//! reverse.

use std::path::Path;

use super::model::Report;

impl Report {
    /// Writes `report.json`, `summary.md` and `chart.svg` into `dir`.
    ///
    /// # Errors
    /// A message naming the file that could not be written.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let p = dir.join("report.json");
        std::fs::write(&p, json + "\n").map_err(|e| format!("{}: {e}", p.display()))?;
        let p = dir.join("summary.md");
        std::fs::write(&p, self.summary_md()).map_err(|e| format!("{}: {e}", p.display()))?;
        let p = dir.join("chart.svg");
        crate::chart::draw(self, &p).map_err(|e| format!("{}: {e}", p.display()))
    }
}

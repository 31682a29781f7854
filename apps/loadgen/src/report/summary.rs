//! The report rendered for people: `summary.md` (the headline numbers as a Markdown
//! table) and the one-line headline printed to the terminal. Both only read the model.

use std::fmt::Write as _;

use super::model::Report;

impl Report {
    /// The headline numbers as a Markdown table.
    pub fn summary_md(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Load test `{}` ({} mode)\n", self.scenario, self.mode);
        let _ = writeln!(
            s,
            "Target {}; {} player sockets + {} observers; ramp-up {} s, steady {} s, ramp-down {} s{}.\n",
            self.target,
            self.sockets.players,
            self.sockets.observers,
            self.phases.ramp_up_s,
            self.phases.steady_s,
            self.phases.ramp_down_s,
            if self.phases.cut_short {
                " (cut short by --max-duration)"
            } else {
                ""
            }
        );
        let _ = writeln!(s, "| metric | value |\n|---|---|");
        let mut row = |k: &str, v: String| {
            let _ = writeln!(s, "| {k} | {v} |");
        };
        if let Some(t) = self.answers.target_per_sec {
            row("target answers/s", format!("{t:.0}"));
        }
        row(
            "acknowledged answers/s (steady)",
            format!("{:.0}", self.answers.per_sec_steady),
        );
        row(
            "best second",
            format!("{} answers", self.answers.per_sec_peak),
        );
        row(
            "answers sent / acknowledged (run)",
            format!("{} / {}", self.answers.sent, self.answers.acked),
        );
        let l = &self.ack_latency_us;
        row(
            "ack latency p50 / p90 / p99 / p99.9 (steady)",
            format!(
                "{} / {} / {} / {} ms",
                ms(l.p50),
                ms(l.p90),
                ms(l.p99),
                ms(l.p999)
            ),
        );
        let st = &self.staleness_us;
        row(
            "staleness p50 / p99 / max (steady)",
            format!(
                "{} / {} / {} ms ({} samples, {} dropped)",
                ms(st.p50),
                ms(st.p99),
                ms(st.max),
                st.count,
                self.staleness.dropped
            ),
        );
        let d = &self.staleness.delivery_us;
        row(
            "board delivery to observers p50 / p99 / max (steady)",
            format!(
                "{} / {} / {} ms (board's server stamp to arrival, {} boards)",
                ms(d.p50),
                ms(d.p99),
                ms(d.max),
                d.count
            ),
        );
        row(
            "boards per socket per second (steady)",
            format!("{:.2}", self.boards.per_socket_per_sec),
        );
        row(
            "sockets open: peak / at steady end",
            format!(
                "{} / {}",
                self.sockets.peak_open, self.sockets.open_at_steady_end
            ),
        );
        row(
            "joins / WebSocket handshakes",
            format!("{} / {}", self.sockets.joins, self.sockets.connects),
        );
        let m = &self.memory;
        row(
            "server RSS baseline / steady end / peak",
            format!(
                "{} / {} / {} MiB",
                mib(m.baseline_rss_kib),
                mib(m.steady_end_rss_kib),
                mib(m.peak_rss_kib)
            ),
        );
        let cpu = &self.cpu;
        row(
            "server CPU: cores busy / µs per answer (steady)",
            format!(
                "{} / {}",
                cpu.server_cores_steady
                    .map_or("–".into(), |v| format!("{v:.2}")),
                cpu.server_cpu_us_per_answer
                    .map_or("–".into(), |v| format!("{v:.1}"))
            ),
        );
        row(
            "load generator CPU: cores busy / µs per answer (steady)",
            format!(
                "{} / {}",
                cpu.loadgen_cores_steady
                    .map_or("–".into(), |v| format!("{v:.2}")),
                cpu.loadgen_cpu_us_per_answer
                    .map_or("–".into(), |v| format!("{v:.1}"))
            ),
        );
        row(
            "server memory per socket",
            m.per_socket_bytes
                .map_or("n/a".into(), |b| format!("{:.1} KiB", b / 1024.0)),
        );
        let errors = if self.errors.by_kind.is_empty() {
            "none".to_owned()
        } else {
            self.errors
                .by_kind
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        row(
            "errors",
            format!("{} ({})", self.errors.total, errors.replace('|', "/")),
        );
        if let Some(h) = &self.hosted {
            s.push_str(&h.summary_md());
        }
        s
    }

    /// One line of headline numbers for the terminal.
    pub fn headline(&self) -> String {
        format!(
            "{}: {:.0} answers/s (steady), ack p50 {} ms p99 {} ms p99.9 {} ms, staleness p99 {} ms, \
             {:.2} boards/socket/s, {} sockets peak, {} per socket, server {} µs CPU/answer, {} errors",
            self.scenario,
            self.answers.per_sec_steady,
            ms(self.ack_latency_us.p50),
            ms(self.ack_latency_us.p99),
            ms(self.ack_latency_us.p999),
            ms(self.staleness_us.p99),
            self.boards.per_socket_per_sec,
            self.sockets.peak_open,
            self.memory
                .per_socket_bytes
                .map_or("n/a".into(), |b| format!("{:.1} KiB", b / 1024.0)),
            self.cpu
                .server_cpu_us_per_answer
                .map_or("–".into(), |v| format!("{v:.1}")),
            self.errors.total
        )
    }
}

impl super::hosted::Hosted {
    /// The hosted game's figures as Markdown: the headline rows, then each phase.
    pub fn summary_md(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n## Hosted game `{}`\n\n{} players expected, {} in the game at `start`, {} player sockets here; {} questions, answers within {} s.\n",
            self.quiz,
            self.players_expected,
            self.players_in_game.map_or("?".into(), |n| n.to_string()),
            self.player_sockets,
            self.questions,
            self.answer_window_s
        );
        let _ = writeln!(s, "| metric | value |\n|---|---|");
        let mut row = |k: &str, v: String| {
            let _ = writeln!(s, "| {k} | {v} |");
        };
        row(
            "phases missed (must be 0)",
            format!(
                "{} (on {} sockets)",
                self.phases_missed, self.sockets_missing_phases
            ),
        );
        let frames = self
            .frames_per_socket_per_question
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        row("frames per socket per question", frames);
        row(
            "game (start to podium delivered)",
            self.game_s.map_or("–".into(), |v| format!("{v:.1} s")),
        );
        row(
            "server CPU in the game / per player per question",
            format!(
                "{} s / {} µs",
                self.server_cpu_s_game
                    .map_or("–".into(), |v| format!("{v:.2}")),
                self.server_cpu_us_per_player_question
                    .map_or("–".into(), |v| format!("{v:.1}"))
            ),
        );
        row(
            "load generator cores busy in the game",
            self.loadgen_cores_game
                .map_or("–".into(), |v| format!("{v:.2}")),
        );
        row(
            "server memory per player (lobby full)",
            self.memory_per_player_bytes
                .map_or("n/a".into(), |b| format!("{:.1} KiB", b / 1024.0)),
        );
        let _ = writeln!(
            s,
            "\n| seq | phase | question | from | sockets | p50 | p99 | max |\n|---|---|---|---|---|---|---|---|"
        );
        for p in &self.phases {
            let l = &p.latency_us;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                p.seq,
                p.phase,
                p.question.map_or("–".into(), |q| (q + 1).to_string()),
                p.cause,
                p.sockets,
                ms(l.p50),
                ms(l.p99),
                ms(l.max)
            );
        }
        let _ = writeln!(
            s,
            "\nTimes in ms from the cause (the host's command, or the last answer for an early close) until the frame was at the socket."
        );
        s
    }
}

fn ms(us: Option<u64>) -> String {
    us.map_or("–".into(), |v| format!("{:.2}", v as f64 / 1000.0))
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("–".into(), |v| format!("{:.1}", v as f64 / 1024.0))
}

#[cfg(test)]
mod tests {
    use crate::report::model::tests::sample;

    #[test]
    fn the_summary_names_the_headline_numbers() {
        let md = sample().summary_md();
        assert!(md.contains("acknowledged answers/s (steady) | 4"));
        assert!(md.contains("p50 / p90 / p99 / p99.9"));
    }
}

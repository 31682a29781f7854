//! The hosted game's part of the report (`report.json`'s `hosted`): per phase, the time
//! from what caused it (the host's command, or the last answer for an early close) until
//! the frame was at every socket; frames per socket per question by type; phases missed;
//! server CPU per player per question and memory per player.
//!
//! Shards of one game (several load generator processes, one of them hosting) merge
//! exactly: each phase keeps its arrival times as a histogram relative to the shard's
//! first arrival, and the causes (command times, last answers) as wall-clock
//! microseconds, all on the one machine's clock ([`merge_hosted`]).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::percentiles::Percentiles;
use crate::stats::{histogram, record};

/// A host command as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandSent {
    /// `start` or `next`.
    pub command: String,
    /// The game's `seq` after it (from `host_ok`).
    pub seq: u64,
    /// When it was sent, µs since the Unix epoch.
    pub sent_unix_us: u64,
}

/// The answers to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionAnswers {
    /// The question's index (0-based).
    pub index: u32,
    /// Answers sent to it.
    pub sent: u64,
    /// When the last of them was sent, µs since the Unix epoch.
    pub last_sent_unix_us: u64,
}

/// One phase frame's delivery to the player sockets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseDelivery {
    /// The game's `seq` of the phase.
    pub seq: u64,
    /// `lobby`, `question`, `reveal`, `board`, `podium` (or `paused`).
    pub phase: String,
    /// The question (0-based) of a question, reveal or board.
    pub question: Option<u32>,
    /// What caused it: `start`/`next` (the host's command), `last answer` (an early
    /// close), or `none` (the lobby, or a cause this process did not see).
    pub cause: String,
    /// When the cause happened, µs since the Unix epoch.
    pub cause_unix_us: Option<u64>,
    /// Player sockets the frame reached.
    pub sockets: u64,
    /// From the cause to the frame's arrival, over the sockets it reached, µs.
    pub latency_us: Percentiles,
    /// The first arrival, µs since the Unix epoch.
    pub first_unix_us: u64,
    /// Every arrival as (µs after `first_unix_us`, sockets), HDR buckets: what merging
    /// shards needs.
    pub arrivals: Vec<[u64; 2]>,
}

/// A hosted game as measured from the players' (and the host's) sockets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Hosted {
    /// The quiz.
    pub quiz: String,
    /// Players the host waited for in the lobby.
    pub players_expected: u64,
    /// Players in the game when the host started it (its lobby count).
    pub players_in_game: Option<u64>,
    /// Player sockets of this run that connected.
    pub player_sockets: u64,
    /// Questions of the game.
    pub questions: u32,
    /// The answer window, s.
    pub answer_window_s: f64,
    /// Each phase's delivery, in `seq` order.
    pub phases: Vec<PhaseDelivery>,
    /// Host commands sent (empty in a players-only process).
    pub commands: Vec<CommandSent>,
    /// Answers per question.
    pub answers: Vec<QuestionAnswers>,
    /// Frames received on player sockets, by `type`, over the whole game.
    pub frames_by_type: BTreeMap<String, u64>,
    /// `frames_by_type` per player socket per question.
    pub frames_per_socket_per_question: BTreeMap<String, f64>,
    /// Phases a player socket never got: for each socket, the `seq`s from its first
    /// phase to the last phase of the game that it did not receive. Must be 0.
    pub phases_missed: u64,
    /// Player sockets that missed at least one phase.
    pub sockets_missing_phases: u64,
    /// From `start` to the podium, s.
    pub game_s: Option<f64>,
    /// Server CPU from `start` to the podium, s (the sampled server process).
    pub server_cpu_s_game: Option<f64>,
    /// Server CPU per player per question, µs.
    pub server_cpu_us_per_player_question: Option<f64>,
    /// Cores this load generator kept busy from `start` to the podium.
    pub loadgen_cores_game: Option<f64>,
    /// Server RSS when the lobby was full, KiB.
    pub rss_lobby_kib: Option<u64>,
    /// (RSS with the lobby full − RSS before the joins) / players, bytes.
    pub memory_per_player_bytes: Option<f64>,
}

/// A histogram's recorded values as (value, count) pairs.
pub fn buckets(h: &Histogram<u64>) -> Vec<[u64; 2]> {
    h.iter_recorded()
        .map(|v| [v.value_iterated_to(), v.count_at_value()])
        .collect()
}

impl PhaseDelivery {
    /// Builds the delivery of phase `seq` from arrival times (µs since the epoch) and its
    /// cause.
    pub fn from_arrivals(
        seq: u64,
        phase: &str,
        question: Option<u32>,
        arrivals: &[u64],
        cause: (&str, Option<u64>),
    ) -> Self {
        let first = arrivals.iter().copied().min().unwrap_or(0);
        let mut rel = histogram();
        let mut lat = histogram();
        for &a in arrivals {
            record(&mut rel, a - first);
            if let Some(c) = cause.1 {
                record(&mut lat, a.saturating_sub(c));
            }
        }
        Self {
            seq,
            phase: phase.to_owned(),
            question,
            cause: cause.0.to_owned(),
            cause_unix_us: cause.1,
            sockets: arrivals.len() as u64,
            latency_us: Percentiles::of(&lat),
            first_unix_us: first,
            arrivals: buckets(&rel),
        }
    }
}

impl Hosted {
    /// The cause of phase `seq` of `phase`: the host command that led to it, or for a
    /// reveal the last answer to its question when every player in the game answered
    /// (an early close).
    pub fn cause_of(&self, seq: u64, phase: &str, question: Option<u32>) -> (String, Option<u64>) {
        if let Some(c) = self.commands.iter().find(|c| c.seq == seq) {
            return (c.command.clone(), Some(c.sent_unix_us));
        }
        if phase == "reveal"
            && let Some(a) = self.answers.iter().find(|a| Some(a.index) == question)
        {
            let everyone = self.players_in_game.is_none_or(|n| a.sent >= n);
            let cause = if everyone {
                "last answer"
            } else {
                "time limit"
            };
            return (cause.into(), Some(a.last_sent_unix_us));
        }
        ("none".into(), None)
    }

    /// Fills `frames_per_socket_per_question` from the counts.
    pub fn per_socket_per_question(&mut self) {
        let n = (self.player_sockets.max(1) * u64::from(self.questions.max(1))) as f64;
        self.frames_per_socket_per_question = self
            .frames_by_type
            .iter()
            .map(|(k, v)| (k.clone(), (*v as f64 / n * 10.0).round() / 10.0))
            .collect();
    }
}

/// Merges the hosted parts of shards of one game: counts are summed, the commands come
/// from the shard that hosted, each question's last answer is the latest of any shard,
/// and each phase's arrivals are re-based on its cause and combined exactly.
pub fn merge_hosted(parts: &[&Hosted]) -> Option<Hosted> {
    let first = parts.first()?;
    let mut m = Hosted {
        quiz: first.quiz.clone(),
        players_expected: parts.iter().map(|h| h.players_expected).max().unwrap_or(0),
        players_in_game: parts.iter().filter_map(|h| h.players_in_game).max(),
        player_sockets: parts.iter().map(|h| h.player_sockets).sum(),
        questions: first.questions,
        answer_window_s: first.answer_window_s,
        commands: parts.iter().flat_map(|h| h.commands.clone()).collect(),
        phases_missed: parts.iter().map(|h| h.phases_missed).sum(),
        sockets_missing_phases: parts.iter().map(|h| h.sockets_missing_phases).sum(),
        game_s: parts.iter().filter_map(|h| h.game_s).reduce(f64::max),
        server_cpu_s_game: parts.iter().find_map(|h| h.server_cpu_s_game),
        server_cpu_us_per_player_question: None,
        loadgen_cores_game: parts
            .iter()
            .filter_map(|h| h.loadgen_cores_game)
            .reduce(|a, b| a + b),
        rss_lobby_kib: parts.iter().find_map(|h| h.rss_lobby_kib),
        memory_per_player_bytes: None,
        ..Hosted::default()
    };
    let mut answers: BTreeMap<u32, QuestionAnswers> = BTreeMap::new();
    for h in parts {
        for (k, v) in &h.frames_by_type {
            *m.frames_by_type.entry(k.clone()).or_insert(0) += v;
        }
        for a in &h.answers {
            let e = answers.entry(a.index).or_insert(QuestionAnswers {
                index: a.index,
                sent: 0,
                last_sent_unix_us: 0,
            });
            e.sent += a.sent;
            e.last_sent_unix_us = e.last_sent_unix_us.max(a.last_sent_unix_us);
        }
    }
    m.answers = answers.into_values().collect();
    let mut seqs: BTreeMap<u64, Vec<&PhaseDelivery>> = BTreeMap::new();
    for h in parts {
        for p in &h.phases {
            seqs.entry(p.seq).or_default().push(p);
        }
    }
    for (seq, shards) in seqs {
        let p0 = shards[0];
        let (cause, at) = m.cause_of(seq, &p0.phase, p0.question);
        let first = shards.iter().map(|p| p.first_unix_us).min().unwrap_or(0);
        let mut rel = histogram();
        let mut lat = histogram();
        for p in &shards {
            let shift = p.first_unix_us - first;
            for [v, n] in &p.arrivals {
                let _ = rel.record_n((v + shift).max(1), *n);
                if let Some(c) = at {
                    let abs = p.first_unix_us + v;
                    let _ = lat.record_n(abs.saturating_sub(c).clamp(1, lat.high()), *n);
                }
            }
        }
        m.phases.push(PhaseDelivery {
            seq,
            phase: p0.phase.clone(),
            question: p0.question,
            cause,
            cause_unix_us: at,
            sockets: shards.iter().map(|p| p.sockets).sum(),
            latency_us: Percentiles::of(&lat),
            first_unix_us: first,
            arrivals: buckets(&rel),
        });
    }
    m.per_socket_per_question();
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game() -> Hosted {
        Hosted {
            quiz: "h".into(),
            players_expected: 2,
            players_in_game: Some(4),
            player_sockets: 2,
            questions: 1,
            answer_window_s: 3.0,
            commands: vec![CommandSent {
                command: "start".into(),
                seq: 1,
                sent_unix_us: 1_000_000,
            }],
            answers: vec![QuestionAnswers {
                index: 0,
                sent: 2,
                last_sent_unix_us: 2_000_000,
            }],
            ..Hosted::default()
        }
    }

    #[test]
    fn a_phase_is_timed_from_its_cause() {
        let h = game();
        assert_eq!(
            h.cause_of(1, "question", Some(0)),
            ("start".into(), Some(1_000_000))
        );
        // Two of four players answered in this shard: the close was not early here.
        assert_eq!(h.cause_of(2, "reveal", Some(0)).0, "time limit");
        let p = PhaseDelivery::from_arrivals(
            1,
            "question",
            Some(0),
            &[1_010_000, 1_030_000],
            ("start", Some(1_000_000)),
        );
        assert_eq!(p.sockets, 2);
        assert_eq!(p.latency_us.min, Some(10_000));
        let max = p.latency_us.max.unwrap();
        assert!(max.abs_diff(30_000) < 30, "{max}");
        assert_eq!(p.first_unix_us, 1_010_000);
    }

    #[test]
    fn shards_merge_on_the_hosting_shard_s_causes() {
        let mut a = game();
        a.frames_by_type.insert("answered".into(), 10);
        a.phases = vec![
            PhaseDelivery::from_arrivals(
                1,
                "question",
                Some(0),
                &[1_010_000, 1_020_000],
                ("start", Some(1_000_000)),
            ),
            PhaseDelivery::from_arrivals(
                2,
                "reveal",
                Some(0),
                &[2_100_000, 2_100_000],
                ("time limit", Some(2_000_000)),
            ),
        ];
        let mut b = game();
        b.commands.clear();
        b.answers[0].last_sent_unix_us = 2_050_000;
        b.frames_by_type.insert("answered".into(), 6);
        b.phases = vec![
            PhaseDelivery::from_arrivals(
                1,
                "question",
                Some(0),
                &[1_050_000, 1_060_000],
                ("none", None),
            ),
            PhaseDelivery::from_arrivals(
                2,
                "reveal",
                Some(0),
                &[2_150_000, 2_250_000],
                ("time limit", None),
            ),
        ];
        let m = merge_hosted(&[&a, &b]).unwrap();
        assert_eq!(m.player_sockets, 4);
        assert_eq!(m.frames_by_type["answered"], 16);
        assert_eq!(m.frames_per_socket_per_question["answered"], 4.0);
        let q = &m.phases[0];
        assert_eq!((q.sockets, q.cause.as_str()), (4, "start"));
        assert!(q.latency_us.max.unwrap().abs_diff(60_000) < 60);
        // All four answered over both shards; the last answer of either is the cause.
        let r = &m.phases[1];
        assert_eq!(r.cause, "last answer");
        assert_eq!(r.cause_unix_us, Some(2_050_000));
        assert!(r.latency_us.max.unwrap().abs_diff(200_000) < 200);
    }
}

//! One load test from start to report: create quizzes, start the observers and players,
//! collect one-second windows, and build the [`Report`].

mod collect;

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::cli::{Mode, RunArgs, parse_target};
use crate::http::HttpClient;
use crate::net;
use crate::player::{self, Ctx, Plan, hosted};
use crate::procfs::rss_kib;
use crate::report::{
    Answers, Boards, Cpu, Errors, Memory, Percentiles, Phases, Report, Sockets, StalenessInfo,
};
use crate::staleness::Staleness;
use crate::stats::Stats;
use collect::collect;

/// Quizzes created at once during setup.
const CREATE_CONCURRENCY: usize = 16;
/// A hosted question's time limit is the answer window plus this: the bound on a
/// question when some player never answers (with `end_early` it closes sooner).
const HOSTED_SLACK_S: f64 = 30.0;
/// The default bound on a hosted run, setup included.
const HOSTED_MAX_S: f64 = 600.0;
/// Initial read buffer of each client socket. Tungstenite's default (128 KiB) is
/// zero-filled before every read, which would cost gigabytes at 50,000 sockets and a 128 KiB
/// memset per read; larger messages (snapshots) make it reserve room as needed.
const CLIENT_READ_BUFFER: usize = 2 * 1024;

/// The hosted game's figures from what its sockets recorded.
fn hosted_report(
    args: &RunArgs,
    game: &hosted::Game,
    baseline_rss: Option<u64>,
) -> crate::report::Hosted {
    use crate::report::hosted::{PhaseDelivery, QuestionAnswers};
    let r = game.record.lock().unwrap_or_else(PoisonError::into_inner);
    let (phases_missed, sockets_missing_phases) = hosted::missed(&r.seen);
    let mut h = crate::report::Hosted {
        quiz: game.quiz.clone(),
        players_expected: game.expect as u64,
        players_in_game: r.players_in_game,
        player_sockets: r.seen.len() as u64,
        questions: args.questions,
        answer_window_s: args.answer_window,
        commands: r.commands.clone(),
        answers: r
            .answers
            .iter()
            .map(|(i, (n, last))| QuestionAnswers {
                index: *i,
                sent: *n,
                last_sent_unix_us: *last,
            })
            .collect(),
        frames_by_type: r.frames.clone(),
        phases_missed,
        sockets_missing_phases,
        rss_lobby_kib: r.rss_lobby_kib,
        ..crate::report::Hosted::default()
    };
    for (seq, s) in &r.seqs {
        let cause = h.cause_of(*seq, &s.phase, s.question);
        h.phases.push(PhaseDelivery::from_arrivals(
            *seq,
            &s.phase,
            s.question,
            &s.arrivals,
            (&cause.0, cause.1),
        ));
    }
    h.per_socket_per_question();
    if let (Some((srv0, own0, t0)), Some((srv1, own1, t1))) = (r.at_start, r.at_end) {
        let secs = t1.duration_since(t0).as_secs_f64();
        h.game_s = Some((secs * 100.0).round() / 100.0);
        if let (Some(a), Some(b)) = (srv0, srv1) {
            h.server_cpu_s_game = Some(((b - a) * 100.0).round() / 100.0);
            let per = u64::from(args.questions.max(1)) * r.players_in_game.unwrap_or(0).max(1);
            h.server_cpu_us_per_player_question =
                Some(((b - a) * 1e6 / per as f64 * 10.0).round() / 10.0);
        }
        if let (Some(a), Some(b)) = (own0, own1) {
            h.loadgen_cores_game = Some(((b - a) / secs.max(0.001) * 100.0).round() / 100.0);
        }
    }
    if let (Some(b), Some(l), Some(n)) = (baseline_rss, r.rss_lobby_kib, r.players_in_game)
        && n > 0
    {
        h.memory_per_player_bytes = Some((l.saturating_sub(b) * 1024) as f64 / n as f64);
    }
    h
}

/// Runs one load test and returns its report (also written into `--out`).
///
/// # Errors
/// A message when the options are invalid or setup (quiz creation) fails; failures of
/// individual sockets are counted in the report instead.
pub async fn run(args: RunArgs) -> Result<Report, String> {
    args.validate()?;
    let target = parse_target(&args.target)?;
    let admin_key = args.admin_key.clone().unwrap_or_default();
    let mode = args.mode();
    let started_unix_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let setup_start = Instant::now();
    let phases_s = args.ramp_up + args.steady + args.ramp_down;
    let default_duration = if args.hosted {
        HOSTED_MAX_S
    } else {
        phases_s + 120.0
    };
    let max_duration = args.max_duration.unwrap_or(default_duration).max(1.0);
    let hard_deadline = setup_start + Duration::from_secs_f64(max_duration);

    let http = HttpClient::new(target.addr, target.authority.clone());
    let prefix = args
        .quiz_prefix
        .clone()
        .unwrap_or_else(|| format!("lg{started_unix_ms}"));
    let hosted = mode == Mode::Hosted;
    let quizzes = if hosted { 1 } else { args.quizzes };
    let ids: Vec<String> = (0..quizzes).map(|i| format!("{prefix}-{i}")).collect();
    let mut host_key = None;
    if hosted {
        if !args.no_host {
            eprintln!(
                "quiz-loadgen: creating hosted quiz {} of {} questions on {}",
                ids[0], args.questions, args.target
            );
            let limit_ms =
                ((args.answer_window + HOSTED_SLACK_S) * 1000.0).clamp(1_000.0, 600_000.0);
            host_key = Some(
                net::create_hosted_quiz(
                    &http,
                    &admin_key,
                    &ids[0],
                    args.questions,
                    limit_ms as u32,
                )
                .await?,
            );
        }
    } else {
        eprintln!(
            "quiz-loadgen: creating {} quizzes of {} questions on {}",
            ids.len(),
            args.questions,
            args.target
        );
        let created: Vec<Result<(), String>> = futures_util::stream::iter(ids.iter())
            .map(|id| net::create_quiz(&http, &admin_key, id, args.questions, args.question_mix))
            .buffer_unordered(CREATE_CONCURRENCY)
            .collect()
            .await;
        if let Some(Err(e)) = created.into_iter().find(Result::is_err) {
            return Err(e);
        }
    }
    let baseline_rss = args.server_pid.and_then(rss_kib);
    let setup_s = setup_start.elapsed().as_secs_f64();

    let stats = Arc::new(Stats::new());
    // A hosted game has no ramps: the whole run is its steady state.
    let plan = if hosted {
        Plan {
            start: Instant::from_std(stats.start),
            ramp_up: Duration::ZERO,
            steady: Duration::from_secs_f64(max_duration),
            ramp_down: Duration::ZERO,
            players: args.players,
        }
    } else {
        Plan {
            start: Instant::from_std(stats.start),
            ramp_up: Duration::from_secs_f64(args.ramp_up),
            steady: Duration::from_secs_f64(args.steady),
            ramp_down: Duration::from_secs_f64(args.ramp_down),
            players: args.players,
        }
    };
    let src_ips: Vec<IpAddr> = args.source_ips();
    let observers = if matches!(mode, Mode::Idle | Mode::Hosted) {
        0
    } else {
        args.observers_per_quiz
    };
    let ctx = Arc::new(Ctx {
        mode,
        target: target.clone(),
        http,
        stats: stats.clone(),
        plan: plan.clone(),
        quizzes: ids.clone(),
        questions: args.questions,
        trackers: if observers == 0 {
            Vec::new()
        } else {
            (0..quizzes)
                .map(|_| Mutex::new(Staleness::new(observers)))
                .collect()
        },
        connect_slots: Semaphore::new(args.connect_concurrency),
        src_ips: src_ips.clone(),
        ws_config: WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER),
        in_flight: args.in_flight as usize,
        correct_ratio: args.correct_ratio,
        question_mix: args.question_mix,
        answer_timeout: Duration::from_secs_f64(args.answer_timeout),
        peak_open: AtomicUsize::new(0),
    });
    eprintln!(
        "quiz-loadgen: {} players + {} observers, {:?} mode, ramp-up {} s, steady {} s, ramp-down {} s, {} source address(es)",
        args.players,
        observers * quizzes as usize,
        mode,
        args.ramp_up,
        args.steady,
        args.ramp_down,
        src_ips.len()
    );

    let (done_tx, done_rx) = watch::channel(false);
    let collector = tokio::spawn(collect(
        stats.clone(),
        plan.clone(),
        args.server_pid,
        done_rx,
    ));
    let mut tasks = JoinSet::new();
    let game = hosted.then(|| {
        Arc::new(hosted::Game {
            quiz: ids[0].clone(),
            names: format!("p{}s", std::process::id()),
            window: Duration::from_secs_f64(args.answer_window),
            expect: args.expect_players.unwrap_or(args.players),
            local_players: args.players,
            dwell: Duration::from_secs_f64(args.phase_dwell),
            deadline: hard_deadline,
            server_pid: args.server_pid,
            connected: AtomicUsize::new(0),
            record: Mutex::new(hosted::Record::default()),
            over: watch::channel(false).0,
        })
    });
    let mut host_task = None;
    if let Some(game) = &game {
        if let Some(key) = host_key {
            let host_target = match &args.host_target {
                Some(t) => parse_target(t)?,
                None => target.clone(),
            };
            let cfg = hosted::HostCfg {
                key,
                target: host_target,
            };
            host_task = Some(tokio::spawn(hosted::host(ctx.clone(), game.clone(), cfg)));
        } else {
            tokio::spawn(hosted::end_after_podium(game.clone()));
        }
        for slot in 0..args.players {
            tasks.spawn(hosted::player(ctx.clone(), game.clone(), slot));
        }
    } else {
        let mut shard = 0usize;
        for q in 0..quizzes as usize {
            for o in 0..observers {
                shard += 1;
                tasks.spawn(player::observer(ctx.clone(), q, o, shard));
            }
        }
        for slot in 0..args.players {
            tasks.spawn(player::player(ctx.clone(), slot));
        }
    }
    let cut_short = loop {
        tokio::select! {
            r = tasks.join_next() => {
                if r.is_none() {
                    break false;
                }
            }
            _ = sleep_until(hard_deadline) => {
                eprintln!("quiz-loadgen: --max-duration reached; stopping");
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                break true;
            }
        }
    };
    let host_result = match host_task {
        Some(h) => Some(
            h.await
                .map_err(|e| format!("the host task failed: {e}"))
                .and_then(|r| r),
        ),
        None => None,
    };
    let _ = done_tx.send(true);
    let c = collector
        .await
        .map_err(|e| format!("the collector failed: {e}"))?;

    let (stale_dropped, observers_total) = ctx.trackers.iter().fold((0, 0), |(d, n), t| {
        let t = t.lock().unwrap_or_else(PoisonError::into_inner);
        (d + t.dropped(), n + observers as u64)
    });
    let steady_secs = if c.steady_s > 0.0 { c.steady_s } else { 1.0 };
    let per_socket_bytes = match (baseline_rss, c.steady_end_rss) {
        (Some(b), Some(e)) if c.steady_end_open_players > 0 => {
            Some((e.saturating_sub(b) * 1024) as f64 / c.steady_end_open_players as f64)
        }
        _ => None,
    };
    let avg_open = c.steady_open_s / steady_secs;
    let report = Report {
        tool: "quiz-loadgen".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        scenario: args.scenario.clone(),
        mode: match mode {
            Mode::Rate(_) => "rate",
            Mode::Max => "max",
            Mode::Idle => "idle",
            Mode::Hosted => "hosted",
        }
        .into(),
        target: args.target.clone(),
        started_unix_ms,
        config: serde_json::to_value(&args).unwrap_or_default(),
        phases: Phases {
            ramp_up_s: args.ramp_up,
            steady_s: args.steady,
            ramp_down_s: args.ramp_down,
            setup_s: (setup_s * 1000.0).round() / 1000.0,
            run_s: (stats.start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
            cut_short,
        },
        answers: Answers {
            target_per_sec: match mode {
                Mode::Rate(r) => Some(r),
                _ => None,
            },
            sent: c.total.sent,
            acked: c.total.acked,
            acked_steady: c.steady.acked,
            per_sec_steady: (c.steady.acked as f64 / steady_secs * 10.0).round() / 10.0,
            per_sec_peak: c
                .series
                .iter()
                .map(|s| (s.acked as f64 / s.dur_s.max(1.0)).round() as u64)
                .max()
                .unwrap_or(0),
        },
        ack_latency_us: Percentiles::of(&c.steady.latency),
        ack_latency_all_us: Percentiles::of(&c.total.latency),
        staleness_us: Percentiles::of(&c.steady.staleness),
        staleness: StalenessInfo {
            observers: observers_total,
            all_us: Percentiles::of(&c.total.staleness),
            dropped: stale_dropped,
            delivery_us: Percentiles::of(&c.steady.delivery),
        },
        boards: Boards {
            received: c.total.boards,
            received_steady: c.steady.boards,
            per_socket_per_sec: if avg_open > 0.0 {
                (c.steady.boards as f64 / avg_open / steady_secs * 1000.0).round() / 1000.0
            } else {
                0.0
            },
        },
        sockets: Sockets {
            players: args.players as u64,
            observers: observers_total,
            peak_open: ctx.peak_open.load(Ordering::Relaxed) as u64,
            open_at_steady_end: c.steady_end_open,
            joins: c.total.joins,
            connects: c.total.connects,
            source_addrs: src_ips.len() as u64,
        },
        memory: Memory {
            server_pid: args.server_pid,
            baseline_rss_kib: baseline_rss,
            steady_end_rss_kib: c.steady_end_rss,
            peak_rss_kib: c.peak_rss,
            per_socket_bytes: per_socket_bytes.map(|b| b.round()),
        },
        cpu: Cpu {
            server_cpu_s_steady: c.server_cpu_steady.map(|v| (v * 100.0).round() / 100.0),
            server_cores_steady: c
                .server_cpu_steady
                .map(|v| (v / steady_secs * 100.0).round() / 100.0),
            server_cpu_us_per_answer: c
                .server_cpu_steady
                .filter(|_| c.steady.acked > 0)
                .map(|v| (v * 1e6 / c.steady.acked as f64 * 10.0).round() / 10.0),
            loadgen_cores_steady: c
                .own_cpu_steady
                .map(|v| (v / steady_secs * 100.0).round() / 100.0),
            loadgen_cpu_us_per_answer: c
                .own_cpu_steady
                .filter(|_| c.steady.acked > 0)
                .map(|v| (v * 1e6 / c.steady.acked as f64 * 10.0).round() / 10.0),
        },
        errors: Errors {
            total: c.total.error_total(),
            by_kind: c.total.errors.clone(),
        },
        series: c.series,
        hosted: None,
    };
    let mut report = report;
    if let Some(game) = &game {
        let h = hosted_report(&args, game, baseline_rss);
        if let Some(b) = h.memory_per_player_bytes {
            report.memory.per_socket_bytes = Some(b);
        }
        report.hosted = Some(h);
    }
    report.write(&args.out)?;
    if let Some(Err(e)) = host_result {
        return Err(format!("{e} (the report was written)"));
    }
    Ok(report)
}

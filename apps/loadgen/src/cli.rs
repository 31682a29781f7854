//! Command-line options.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

/// Load generator for the quiz server: WebSocket players over loopback.
///
/// Creates quizzes, joins players over HTTP, connects each to its WebSocket and answers
/// at a target rate (or as fast as acknowledgements allow), with ramp-up, steady state
/// and ramp-down. Writes report.json, chart.svg and summary.md into --out.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "quiz-loadgen",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
pub struct Cli {
    /// What to do (default: run a load test with the options below).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Load test options.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Check that DIR holds report.json (parsable, every expected field present),
    /// chart.svg and summary.md; exit non-zero otherwise.
    Verify {
        /// The --out directory of an earlier run.
        dir: PathBuf,
        /// Also fail when the run acknowledged no answer.
        #[arg(long)]
        expect_answers: bool,
    },
    /// Merge the reports of runs against several servers at once (shards of one
    /// scenario) into one report in --out: counts and rates are summed, memory per socket
    /// is averaged over all sockets, percentiles are the worst shard's.
    Merge {
        /// Where to write the merged report.
        #[arg(long)]
        out: PathBuf,
        /// The merged report's scenario name.
        #[arg(long, default_value = "merged")]
        scenario: String,
        /// The --out directories of the shard runs.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}

/// Which question types the load generator's quizzes have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionMix {
    /// Every question is `single` with four options.
    Single,
    /// Questions cycle through every type.
    All,
}

/// Options of one load test.
#[derive(Debug, Clone, Args, Serialize)]
pub struct RunArgs {
    /// Base URL of the server or load balancer. Only loopback addresses are accepted.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub target: String,

    /// The server's admin key, needed to create the quizzes.
    #[arg(long, env = "QUIZ_ADMIN_KEY", hide_env_values = true)]
    #[serde(skip)]
    pub admin_key: Option<String>,

    /// A name for this run, recorded in the report.
    #[arg(long, default_value = "custom")]
    pub scenario: String,

    /// Player sockets (each joins a quiz and answers).
    #[arg(long, default_value_t = 1000)]
    pub players: usize,

    /// Quizzes to create. Players are spread over them; a player who has answered every
    /// question joins the next quiz under a new name and reconnects.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub quizzes: u32,

    /// Questions per quiz (at most 200, the server's limit).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub questions: u32,

    /// Extra sockets per quiz that only watch boards; leaderboard staleness is measured
    /// on them (0 turns staleness off).
    #[arg(long, default_value_t = 1)]
    pub observers_per_quiz: usize,

    /// Target answers per second over all players (ignored with --max and --idle).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,

    /// Answer as fast as acknowledgements allow, with at most --in-flight unacknowledged
    /// answers per socket.
    #[arg(long, conflicts_with = "idle")]
    pub max: bool,

    /// Play one hosted game: create a hosted quiz of --questions questions (4 options,
    /// `end_early` on), join --players players over HTTP and connect them, then a host
    /// socket sends `start` and `next`; every player answers each question once at a
    /// random moment within --answer-window (see the `hosted` module).
    #[arg(long, conflicts_with_all = ["idle", "max"])]
    pub hosted: bool,

    /// Hosted: each player answers a question at a uniformly random moment within this
    /// many seconds of receiving it.
    #[arg(long, default_value_t = 3.0)]
    pub answer_window: f64,

    /// Hosted: this process only runs players of a game another process hosts (the quiz
    /// id is `<--quiz-prefix>-0`; joins are retried until that quiz exists).
    #[arg(long, requires = "hosted")]
    pub no_host: bool,

    /// Hosted: the host starts once this many players are in the lobby (default
    /// --players; more when other processes run players of the same game).
    #[arg(long)]
    pub expect_players: Option<usize>,

    /// Hosted: where the host socket connects (default --target), e.g. one instance
    /// directly while the players go through a load balancer.
    #[arg(long)]
    pub host_target: Option<String>,

    /// Hosted: after every local socket got a phase (or 15 s passed), the host waits this
    /// many seconds more before its next command, for sockets of other processes.
    #[arg(long, default_value_t = 0.5)]
    pub phase_dwell: f64,

    /// Connect and hold the sockets without answering (connection capacity, memory).
    #[arg(long)]
    pub idle: bool,

    /// Most unacknowledged answers per socket.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub in_flight: u32,

    /// Share of answers that pick the correct option (only correct answers move a
    /// player's total, and so the board).
    #[arg(long, default_value_t = 0.8)]
    pub correct_ratio: f64,

    /// Question types of the quizzes: `single` (every question one-of-four) or `all`
    /// (the questions cycle through single, multi with partial credit, true_false, poll
    /// and type_answer, and answers use each type's field).
    #[arg(long, value_enum, default_value_t = QuestionMix::Single)]
    pub question_mix: QuestionMix,

    /// Ramp-up, seconds: players connect and start answering at evenly spaced times.
    #[arg(long, default_value_t = 5.0)]
    pub ramp_up: f64,

    /// Steady state, seconds: every player answers; the headline numbers come from here.
    #[arg(long, default_value_t = 20.0)]
    pub steady: f64,

    /// Ramp-down, seconds: players stop at evenly spaced times, then disconnect.
    #[arg(long, default_value_t = 3.0)]
    pub ramp_down: f64,

    /// Hard bound on the whole run in seconds, setup included (default: the three phases
    /// plus 120 s). Whatever was measured by then is reported.
    #[arg(long)]
    pub max_duration: Option<f64>,

    /// An answer not acknowledged within this many seconds counts as a `timeout` error.
    #[arg(long, default_value_t = 10.0)]
    pub answer_timeout: f64,

    /// Joins plus WebSocket handshakes in progress at once.
    #[arg(long, default_value_t = 128)]
    pub connect_concurrency: usize,

    /// Bind client sockets to N source addresses 127.0.0.2 … 127.0.0.(N+1), to get past
    /// the ~28,000 ephemeral ports of one address pair (0: one per 5,000 sockets; the
    /// kernel's search for a free port in bind() gets slow as an address fills up).
    #[arg(long, default_value_t = 0)]
    pub source_addrs: usize,

    /// Last byte of the first source address (127.0.0.N); give concurrent load
    /// generators disjoint ranges so they do not compete for ephemeral ports.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=254))]
    pub source_first: u8,

    /// Process id of the server; its RSS is sampled from /proc/PID/status every second.
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// Worker threads of the load generator's runtime (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Prefix of the quiz ids this run creates (default: `lg` plus a time stamp).
    #[arg(long)]
    pub quiz_prefix: Option<String>,

    /// Where to write report.json, chart.svg and summary.md.
    #[arg(long, default_value = "bench-out/custom")]
    pub out: PathBuf,
}

impl RunArgs {
    /// The answering mode.
    pub fn mode(&self) -> Mode {
        if self.idle {
            Mode::Idle
        } else if self.hosted {
            Mode::Hosted
        } else if self.max {
            Mode::Max
        } else {
            Mode::Rate(self.rate)
        }
    }

    /// Checks the options that clap cannot check alone.
    ///
    /// # Errors
    /// A message naming the bad option.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!("--{name} must be a non-negative number of seconds"))
            }
        };
        positive("ramp-up", self.ramp_up)?;
        positive("steady", self.steady)?;
        positive("ramp-down", self.ramp_down)?;
        if !(self.answer_timeout.is_finite() && self.answer_timeout > 0.0) {
            return Err("--answer-timeout must be positive".into());
        }
        if !(0.0..=1.0).contains(&self.correct_ratio) {
            return Err("--correct-ratio must be between 0 and 1".into());
        }
        let rate_ok = self.rate.is_finite() && self.rate > 0.0;
        if !(self.answer_window.is_finite() && self.answer_window >= 0.0) {
            return Err("--answer-window must be a non-negative number of seconds".into());
        }
        if !(self.phase_dwell.is_finite() && self.phase_dwell >= 0.0) {
            return Err("--phase-dwell must be a non-negative number of seconds".into());
        }
        if self.no_host && self.quiz_prefix.is_none() {
            return Err("--no-host needs --quiz-prefix (the hosting process's)".into());
        }
        if !(self.idle || self.max || self.hosted || rate_ok) {
            return Err("--rate must be positive (or use --max / --idle)".into());
        }
        if self.players == 0 {
            return Err("--players must be at least 1".into());
        }
        if self.connect_concurrency == 0 {
            return Err("--connect-concurrency must be at least 1".into());
        }
        if self.admin_key.is_none() {
            return Err("--admin-key (or QUIZ_ADMIN_KEY) is required to create quizzes".into());
        }
        if let Some(p) = &self.quiz_prefix
            && !(1..=40).contains(&p.len())
        {
            return Err("--quiz-prefix must be 1-40 characters".into());
        }
        Ok(())
    }

    /// Source addresses to bind client sockets to.
    pub fn source_ips(&self) -> Vec<IpAddr> {
        let sockets = self.players + self.observers_per_quiz * self.quizzes as usize;
        let n = if self.source_addrs == 0 {
            sockets.div_ceil(5_000).max(1)
        } else {
            self.source_addrs
        };
        let first = usize::from(self.source_first);
        (first..(first + n).min(255))
            .map(|b| IpAddr::from([127, 0, 0, b as u8]))
            .collect()
    }
}

/// How players answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// This many answers per second over all players, spread evenly.
    Rate(f64),
    /// As fast as acknowledgements allow.
    Max,
    /// No answers.
    Idle,
    /// One hosted game: every player answers each question once.
    Hosted,
}

/// The target of a run: host name for HTTP and the loopback socket address.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` as written in the URL (for the `Host` header).
    pub authority: String,
    /// The resolved loopback address.
    pub addr: SocketAddr,
}

/// Parses `http://host:port[/]` and insists that it resolves to a loopback address.
///
/// # Errors
/// A message when the URL is not plain `http://` or does not resolve to loopback.
pub fn parse_target(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--target must start with http:// (got {url})"))?;
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        return Err(format!(
            "--target must be http://host:port without a path (got {url})"
        ));
    }
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("--target {url}: {e}"))?
        .find(|a| a.ip().is_loopback())
        .ok_or_else(|| format!("--target {url} is not a loopback address; this tool only sends traffic to 127.0.0.1"))?;
    Ok(Target {
        authority: authority.to_owned(),
        addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_parse() {
        let t = parse_target("http://127.0.0.1:3000/").unwrap();
        assert_eq!(t.addr.port(), 3000);
        assert_eq!(t.authority, "127.0.0.1:3000");
    }

    #[test]
    fn other_hosts_and_schemes_are_refused() {
        assert!(parse_target("http://10.1.2.3:3000").is_err());
        assert!(parse_target("https://127.0.0.1:3000").is_err());
        assert!(parse_target("http://127.0.0.1:3000/api").is_err());
    }

    #[test]
    fn source_addresses_scale_with_sockets() {
        let cli = Cli::parse_from(["quiz-loadgen", "--players", "50000", "--admin-key", "k"]);
        assert_eq!(cli.run.source_ips().len(), 11);
        let cli = Cli::parse_from(["quiz-loadgen", "--admin-key", "k"]);
        assert_eq!(cli.run.source_ips(), vec![IpAddr::from([127, 0, 0, 2])]);
        let cli = Cli::parse_from([
            "quiz-loadgen",
            "--source-first",
            "10",
            "--source-addrs",
            "2",
        ]);
        assert_eq!(
            cli.run.source_ips(),
            vec![IpAddr::from([127, 0, 0, 10]), IpAddr::from([127, 0, 0, 11])]
        );
    }

    #[test]
    fn a_later_option_overrides_an_earlier_one() {
        let cli = Cli::parse_from(["quiz-loadgen", "--players", "5", "--players", "7"]);
        assert_eq!(cli.run.players, 7);
    }
}

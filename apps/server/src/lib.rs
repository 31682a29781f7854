//! # quiz-server
//!
//! The quiz server: the HTTP API ([`api`], poem-openapi, under `/api`, Swagger UI at
//! `/docs`), the WebSocket room protocol ([`ws`], `/ws/{quiz}?token=…`, and a hosted game's
//! host socket `?host_key=…`), the per-room throttled leaderboard push and a hosted game's
//! phase push ([`rooms`]), the web client ([`web`]: `/` (also `/join/{pin}`), `/create`, `/host/{quiz}` and
//! `/static/…`), Prometheus metrics (`/metrics`) and health (`/healthz`, `/readyz`).
//! Connections are served by [`serve`] (connection caps, bounded request heads), API
//! bodies pass `body` (size cap and deadline whatever the encoding, strict [`json`]);
//! every client limit is a flag ([`config`]).
//!
//! **What it is not**: the domain (that is `quiz-core`) or storage (adapters). It chooses
//! adapters from configuration and wires them ([`backends`]); with no configuration it keeps
//! its data in `quiz-data/` on `quiz-sqlite` (live boards in `quiz-memory`) with a demo quiz.
//! `main.rs` only parses configuration and calls [`App`].
//!
//! Tests: `cargo test -p quiz-server` — in-process API tests (poem's `TestClient`),
//! room-protocol tests over real sockets on `127.0.0.1:0`, the abuse suite against a server
//! process, the restart tests (a server on a data directory stopped and started again) and
//! the fuzz targets need no services; the full-stack, multi-instance and Kafka
//! restart tests need `cargo xtask services up` (and nginx) and fail without them.

mod allow;
pub mod api;
mod auth;
pub mod backends;
mod body;
pub mod cache;
pub mod clock;
pub mod coalesce;
pub mod config;
pub mod demo;
pub mod json;
pub mod linger;
pub mod media;
mod pattern;
pub mod rooms;
pub mod serve;
mod strict;
pub mod telemetry;
pub mod token;
pub mod web;
pub mod ws;

use std::future::Future;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{EndpointExt, IntoResponse, Route, get, handler};
use poem_openapi::OpenApiService;
use quiz_core::ports::RoomBus;
use quiz_core::service::{CreateQuizError, Ports};
use quiz_core::{QuizService, ServiceConfig};
use tokio::sync::watch;

use crate::config::Config;
use crate::token::{TokenSigner, random_hex};

/// Limits applied to clients.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket text frame, bytes.
    pub max_frame_bytes: usize,
    /// Messages per second per socket.
    pub max_msgs_per_sec: u32,
    /// Joins per minute per client IP once its burst is spent.
    pub max_joins_per_min: u32,
    /// Joins one client IP may make at once (at least `max_joins_per_min`).
    pub max_joins_burst: u32,
    /// Seconds between keepalive pings.
    pub ping_secs: u64,
    /// Whether to trust `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// Deepest JSON nesting in a frame.
    pub max_json_depth: usize,
    /// Request bodies.
    pub body: Arc<body::BodyLimits>,
    /// Connections.
    pub conn: serve::ConnLimits,
}

/// Shared state of one server instance.
pub struct AppState {
    /// The application services.
    pub service: QuizService,
    /// The room bus: this instance follows every instance's announcements on it and
    /// announces its sockets' take-overs (transport only: no rule of the core applies).
    pub bus: Arc<dyn RoomBus>,
    /// Player tokens.
    pub tokens: TokenSigner,
    /// This instance's rooms.
    pub rooms: Arc<rooms::Rooms>,
    /// Client limits.
    pub limits: Limits,
    /// The admin key.
    pub admin_key: String,
    /// `--public-url`: where players reach the server (join links), without a trailing `/`.
    pub public_url: Option<String>,
    /// Per-IP join limiter.
    pub join_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Per-IP game-PIN lookup limiter (the join limiter's quota, its own budget).
    pub pin_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Per-IP image-upload limiter (`api::media`).
    pub upload_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Becomes `true` when the server shuts down; sockets then close with 1001.
    pub shutdown: watch::Receiver<bool>,
    /// The last readiness verdict and when it was taken (see `readyz`).
    pub readiness: tokio::sync::Mutex<Option<(std::time::Instant, Vec<&'static str>)>>,
}

/// How long a readiness verdict is reused: probes from many orchestrators and load
/// balancers cost one round of checks per second at most.
const READINESS_CACHE: std::time::Duration = std::time::Duration::from_secs(1);
/// The longest a round of readiness checks may take; past it, the verdict is "not ready".
const READINESS_DEADLINE: std::time::Duration = std::time::Duration::from_millis(1500);

/// A configured server, ready to serve.
pub struct App {
    state: Arc<AppState>,
    shutdown_tx: watch::Sender<bool>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The token secret is too short to be safe.
    #[error("--token-secret must be at least 32 characters")]
    WeakSecret,
    /// The admin key is too short to be safe.
    #[error("--admin-key must be at least 8 characters")]
    WeakAdminKey,
    /// The deny-list file cannot be read.
    #[error("--name-deny-list {path}: {error}")]
    DenyList {
        /// The file.
        path: String,
        /// Why it cannot be read.
        error: String,
    },
}

impl App {
    /// Builds the server over `ports` with `config`.
    ///
    /// # Errors
    /// [`ConfigError`] for unsafe secrets.
    pub fn new(config: &Config, ports: Ports) -> Result<Self, ConfigError> {
        // Install the metrics recorder before anything records.
        let _ = telemetry::prometheus();
        let secret = match &config.token_secret {
            Some(s) if s.len() < 32 => return Err(ConfigError::WeakSecret),
            Some(s) => s.clone(),
            None => random_hex(32),
        };
        let admin_key = match &config.admin_key {
            Some(k) if k.len() < 8 => return Err(ConfigError::WeakAdminKey),
            Some(k) => k.clone(),
            None => random_hex(12),
        };
        let mut deny = quiz_core::names::DenyList::builtin();
        if let Some(path) = &config.name_deny_list {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::DenyList {
                path: path.display().to_string(),
                error: e.to_string(),
            })?;
            deny = deny.and(&quiz_core::names::DenyList::parse(&text));
        }
        let bus = ports.bus.clone();
        let service = QuizService::new(
            ports,
            ServiceConfig {
                max_players: config.max_players,
                top_n: config.top_n,
                around_k: config.around,
            },
        )
        .with_deny_list(deny);
        let joins = NonZeroU32::new(config.max_joins_per_min).unwrap_or(NonZeroU32::MIN);
        // A token bucket per address: it holds the burst and refills at the rate.
        let burst = NonZeroU32::new(config.max_joins_burst).map_or(joins, |b| b.max(joins));
        let (shutdown_tx, shutdown) = watch::channel(false);
        let state = Arc::new(AppState {
            rooms: rooms::Rooms::new(service.clone(), config.throttle_ms),
            service,
            bus,
            tokens: TokenSigner::new(secret.as_bytes(), config.token_ttl_hours * 3_600_000),
            limits: Limits {
                max_frame_bytes: config.max_frame_bytes as usize,
                max_msgs_per_sec: config.max_msgs_per_sec,
                max_joins_per_min: config.max_joins_per_min,
                max_joins_burst: burst.get(),
                ping_secs: config.ping_secs,
                trust_forwarded_for: config.trust_forwarded_for,
                max_json_depth: config.max_json_depth as usize,
                body: Arc::new(body::BodyLimits {
                    max_bytes: config.max_body_bytes as usize,
                    max_media_bytes: quiz_core::media::MAX_IMAGE_BYTES,
                    timeout: Duration::from_secs(config.body_timeout_secs),
                    max_json_depth: config.max_json_depth as usize,
                }),
                conn: serve::ConnLimits {
                    max_connections: usize::try_from(config.max_connections).unwrap_or(usize::MAX),
                    max_per_ip: usize::try_from(config.max_connections_per_ip)
                        .unwrap_or(usize::MAX),
                    max_header_bytes: config.max_header_bytes as usize,
                    header_timeout: Duration::from_secs(config.header_timeout_secs),
                },
            },
            admin_key,
            public_url: config.public_url.clone(),
            join_limiter: RateLimiter::keyed(Quota::per_minute(joins).allow_burst(burst)),
            pin_limiter: RateLimiter::keyed(Quota::per_minute(joins).allow_burst(burst)),
            upload_limiter: RateLimiter::keyed(
                Quota::per_minute(
                    NonZeroU32::new(api::media::UPLOADS_PER_MIN).unwrap_or(NonZeroU32::MIN),
                )
                .allow_burst(NonZeroU32::new(api::media::UPLOAD_BURST).unwrap_or(NonZeroU32::MIN)),
            ),
            shutdown,
            readiness: tokio::sync::Mutex::new(None),
        });
        Ok(Self { state, shutdown_tx })
    }

    /// The shared state.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// The admin key in force (generated when not configured).
    pub fn admin_key(&self) -> &str {
        &self.state.admin_key
    }

    /// Creates the demo quiz (once; an existing one is kept).
    ///
    /// # Errors
    /// A message when the catalog is unavailable.
    pub async fn ensure_demo(&self) -> Result<(), String> {
        match self
            .state
            .service
            .library()
            .create(demo::demo_quiz(clock::now()))
            .await
        {
            Ok(_) | Err(CreateQuizError::AlreadyExists) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The whole HTTP application.
    pub fn endpoint(&self) -> BoxEndpoint<'static> {
        let api = openapi(self.state.clone());
        let allow = Arc::new(allow::AllowTable::from_spec(&api.spec()));
        let body_limits = self.state.limits.body.clone();
        let api_endpoint = api
            .clone()
            .around(move |ep, req| body::limit(ep, req, body_limits.clone()))
            .around(move |ep, req| allow::add_allow(allow.clone(), ep, req));
        Route::new()
            .nest("/api", api_endpoint)
            .nest("/docs", api.swagger_ui())
            .at("/openapi.json", api.spec_endpoint())
            .at("/ws/:quiz", get(ws::endpoint))
            .at("/healthz", get(healthz))
            .at("/readyz", get(readyz))
            .at("/metrics", get(metrics_endpoint))
            .at("/", get(web::index))
            .at("/join/:pin", get(web::index))
            .at("/create", get(web::create))
            .at("/library", get(web::library))
            .at("/edit", get(web::edit))
            .at("/host/:quiz", get(web::host))
            .at("/static/*path", get(web::asset))
            .at("/media/:id", get(media::serve))
            .data(self.state.clone())
            .boxed()
    }

    /// Serves on `listener` until `shutdown` completes; then closes every WebSocket with
    /// 1001 ("going away") and waits up to 5 s for connections to finish.
    ///
    /// # Errors
    /// I/O errors of the listener.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let bus = tokio::spawn(rooms::follow_bus(
            self.state.rooms.clone(),
            self.state.bus.clone(),
        ));
        // The join limiter keeps a cell per client address: forget the quiet ones each
        // minute, so addresses that came and went do not add up.
        let limiter_state = self.state.clone();
        let pruner = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                limiter_state.join_limiter.retain_recent();
                limiter_state.join_limiter.shrink_to_fit();
                limiter_state.pin_limiter.retain_recent();
                limiter_state.pin_limiter.shrink_to_fit();
                limiter_state.upload_limiter.retain_recent();
                limiter_state.upload_limiter.shrink_to_fit();
            }
        });
        let local = listener.local_addr()?;
        tracing::info!(addr = ?local, "listening");
        let endpoint = self.endpoint();
        let tx = self.shutdown_tx.clone();
        let result = serve::serve(
            listener,
            endpoint,
            self.state.limits.conn.clone(),
            async move {
                shutdown.await;
                let _ = tx.send(true);
            },
        )
        .await;
        bus.abort();
        pruner.abort();
        result
    }
}

/// The OpenAPI service over `state`.
pub fn openapi(
    state: Arc<AppState>,
) -> OpenApiService<(api::Api, api::pins::PinsApi, api::import::ImportApi), ()> {
    OpenApiService::new(
        (
            api::Api {
                state: state.clone(),
            },
            api::pins::PinsApi {
                state: state.clone(),
            },
            api::import::ImportApi { state },
        ),
        "Quiz leaderboard API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Create quizzes, join them, read leaderboards and export results. Live play runs \
             over the WebSocket at /ws/{quiz}?token=… (see contracts/schemas/).",
    )
    .server("/api")
}

/// The OpenAPI document as committed in `contracts/openapi.json`.
///
/// # Errors
/// [`ConfigError`] if the default configuration cannot build an app.
pub fn openapi_json() -> Result<String, ConfigError> {
    let app = App::new(&Config::defaults(), quiz_memory::embedded_adapters())?;
    Ok(openapi(app.state.clone()).spec())
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

/// The parts that cannot serve now (empty when ready): one round of checks at a time,
/// the verdict reused for [`READINESS_CACHE`]; shared by `/readyz` and the `quiz_ready`
/// gauge of `/metrics`, so a scrape costs no more than a probe.
async fn unready_parts(state: &AppState) -> Vec<&'static str> {
    // One round of checks at a time; concurrent probes wait for it and share it.
    let mut cached = state.readiness.lock().await;
    match &*cached {
        Some((at, failing)) if at.elapsed() < READINESS_CACHE => failing.clone(),
        _ => {
            let failing = tokio::time::timeout(
                READINESS_DEADLINE,
                state.service.upkeep().unreachable_parts(),
            )
            .await
            .unwrap_or_else(|_| vec!["readiness checks timed out"]);
            *cached = Some((std::time::Instant::now(), failing.clone()));
            failing
        }
    }
}

#[handler]
async fn readyz(Data(state): Data<&Arc<AppState>>) -> impl IntoResponse {
    let failing = unready_parts(state).await;
    let status = if failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if failing.is_empty() { "ready" } else { "unavailable" },
        "failing": failing,
    });
    Json(body).with_status(status)
}

#[handler]
async fn metrics_endpoint(Data(state): Data<&Arc<AppState>>) -> impl IntoResponse {
    // Readiness as a gauge, so an alert can say what `/readyz` says.
    let ready = unready_parts(state).await.is_empty();
    metrics::gauge!(telemetry::READY).set(if ready { 1.0 } else { 0.0 });
    let body = telemetry::prometheus()
        .map(|h| h.render())
        .unwrap_or_default();
    body.with_content_type("text/plain; version=0.0.4; charset=utf-8")
}

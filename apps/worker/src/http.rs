//! The worker's small HTTP side: `/metrics` (Prometheus text) and `/healthz`.

use std::future::Future;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use poem::http::StatusCode;
use poem::listener::TcpAcceptor;
use poem::web::{Data, Json};
use poem::{Endpoint, EndpointExt, IntoResponse, Route, get, handler};

use crate::health::Health;

/// The routes: `GET /metrics` renders `metrics` (empty when `None`); `GET /healthz`
/// answers 200 while the loop runs and its last source read and archive write succeeded,
/// 503 otherwise, with the flags as JSON either way.
///
/// `/healthz` is a readiness signal: during an archive outage it answers 503 while the
/// worker keeps retrying. Restarting the worker for it is harmless but does not help.
pub fn app(metrics: Option<PrometheusHandle>, health: Health) -> impl Endpoint + 'static {
    Route::new()
        .at("/metrics", get(metrics_endpoint))
        .at("/healthz", get(healthz))
        .data(metrics)
        .data(health)
}

#[handler]
fn metrics_endpoint(Data(handle): Data<&Option<PrometheusHandle>>) -> impl IntoResponse {
    let body = handle.as_ref().map_or_else(String::new, |h| {
        // Without the exporter's HTTP listener nobody else runs upkeep.
        h.run_upkeep();
        h.render()
    });
    body.with_content_type("text/plain; version=0.0.4; charset=utf-8")
}

#[handler]
fn healthz(Data(health): Data<&Health>) -> impl IntoResponse {
    let r = health.report();
    let status = if r.healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    Json(serde_json::json!({
        "status": r.status(),
        "running": r.running,
        "kafka": word(r.source_ok),
        "archive": word(r.archive_ok),
        "consuming": r.consuming,
    }))
    .with_status(status)
}

/// Serves `endpoint` on an already bound listener until `shutdown` completes.
///
/// # Errors
/// When the listener cannot be used.
pub async fn serve(
    listener: tokio::net::TcpListener,
    endpoint: impl Endpoint + 'static,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    poem::Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(endpoint, shutdown, Some(Duration::from_secs(2)))
        .await
}

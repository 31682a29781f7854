//! The observer socket: it answers nothing and only watches boards, feeding each one
//! into its quiz's staleness tracker and timing the board's delivery from the server.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::incoming::{Incoming, ws_error_kind};
use super::{Ctx, OpenGuard, join_and_connect, pause};
use crate::stats::record;

/// One observer: joins quiz `quiz` and feeds every board into the quiz's staleness
/// tracker as observer `index`, until the end of the run (reconnecting if dropped).
pub async fn observer(ctx: Arc<Ctx>, quiz: usize, index: usize, shard: usize) {
    let until = ctx.plan.end() + Duration::from_secs(1);
    let mut cycle = 0usize;
    while Instant::now() < until {
        let name = format!("o{quiz}x{index}c{cycle}");
        cycle += 1;
        let Some((_, mut ws)) =
            join_and_connect(&ctx, shard, &ctx.quizzes[quiz], &name, ctx.src_ips[0]).await
        else {
            pause(Instant::now() + Duration::from_secs(1), until).await;
            continue;
        };
        let _open = OpenGuard::new(&ctx, false);
        let mut samples = Vec::new();
        loop {
            let msg = tokio::select! {
                m = ws.next() => m,
                _ = sleep_until(until) => break,
            };
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(1005, |f| u16::from(f.code));
                    ctx.stats.error(shard, &format!("close:{code}"));
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    ctx.stats.error(shard, &ws_error_kind(&e));
                    break;
                }
                None => {
                    ctx.stats.error(shard, "ws:eof");
                    break;
                }
            };
            let Ok(m) = serde_json::from_str::<Incoming<'_>>(text.as_str()) else {
                ctx.stats.error(shard, "bad_server_message");
                continue;
            };
            if m.ty != "board" {
                continue;
            }
            let now = ctx.stats.now_us();
            if let Some(tracker) = ctx.trackers.get(quiz) {
                tracker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .on_board(
                        index,
                        m.top
                            .iter()
                            .chain(&m.around)
                            .map(|e| (e.player.as_ref(), e.score)),
                        now,
                        &mut samples,
                    );
            }
            let delivery = m
                .server_time
                .map(|stamp_ms| unix_us().saturating_sub(stamp_ms.saturating_mul(1000)));
            ctx.stats.with(shard, |w| {
                w.boards += 1;
                for v in samples.drain(..) {
                    record(&mut w.staleness, v);
                }
                if let Some(d) = delivery {
                    record(&mut w.delivery, d);
                }
            });
        }
        let _ = ws.close(Some(tungstenite_close())).await;
    }
}

/// Now, in microseconds since the Unix epoch (the server stamps boards from the same clock).
fn unix_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn tungstenite_close() -> tokio_tungstenite::tungstenite::protocol::CloseFrame {
    tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: CloseCode::Normal,
        reason: "load test over".into(),
    }
}

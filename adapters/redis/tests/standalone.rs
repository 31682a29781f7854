//! The adapters against a real standalone Redis (`QUIZ_TEST_REDIS_URL`, from the
//! environment or `.services/env`; `cargo xtask services up` starts it), plus failure and
//! recovery tests against throw-away servers of their own.

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{PrivateRedis, adapters, closed_port, within_bound};
use quiz_conformance::fixtures::{CREATED, answer, name, player, unique_quiz};
use quiz_core::ArchivedStanding;
use quiz_core::ports::{PlayerRegistry, RoomBus, Scoreboard, ScoreboardError};
use quiz_redis::{RedisAdapters, RedisOptions, RedisTarget};

const URL: &str = "QUIZ_TEST_REDIS_URL";

mod scoreboard {
    quiz_conformance::scoreboard_suite!(async { super::adapters(super::URL).await.scoreboard });
}

mod registry {
    quiz_conformance::registry_suite!(async { super::adapters(super::URL).await.registry });
}

mod bus {
    quiz_conformance::bus_suite!(async { super::adapters(super::URL).await.bus });
}

mod games {
    quiz_conformance::games_suite!(async { super::adapters(super::URL).await.games });
}

mod pins {
    quiz_conformance::pins_suite!(async { super::adapters(super::URL).await.pins });
}

/// The same suites over RESP3 (`?protocol=resp3` in the URL), whose replies have other
/// shapes (maps, doubles, nested pairs) than RESP2's.
mod resp3 {
    use quiz_redis::{RedisAdapters, RedisOptions, RedisTarget};

    pub async fn adapters() -> RedisAdapters {
        let url = quiz_conformance::service_url(super::URL);
        let sep = if url.contains('?') { '&' } else { '?' };
        let target = RedisTarget::Standalone(format!("{url}{sep}protocol=resp3"));
        RedisAdapters::connect(target, RedisOptions::default())
            .await
            .expect("Redis answers over RESP3")
    }

    mod scoreboard {
        quiz_conformance::scoreboard_suite!(async { super::adapters().await.scoreboard });
    }

    mod registry {
        quiz_conformance::registry_suite!(async { super::adapters().await.registry });
    }

    mod bus {
        quiz_conformance::bus_suite!(async { super::adapters().await.bus });
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sort_keys_round_trip_at_the_extremes() {
        crate::common::sort_keys_round_trip_at_the_extremes(&adapters().await).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sort_keys_round_trip_at_the_extremes() {
    common::sort_keys_round_trip_at_the_extremes(&adapters(URL).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_survive_beyond_two_to_the_53() {
    common::timestamps_survive_beyond_two_to_the_53(&adapters(URL).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_never_reuses_a_restored_players_id() {
    common::join_never_reuses_a_restored_players_id(&adapters(URL).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_registry_restore_runs_in_chunks() {
    common::a_large_registry_restore_runs_in_chunks(&adapters(URL).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_id_counter_is_raised_exactly() {
    common::the_id_counter_is_raised_exactly(&adapters(URL).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_gives_unavailable_in_bounded_time() {
    let target = RedisTarget::Standalone(format!("redis://127.0.0.1:{}/", closed_port()));
    let redis = RedisAdapters::connect_lazy(target.clone(), RedisOptions::default()).unwrap();
    common::every_operation_reports_unavailable(&redis).await;
    common::connect_refuses_an_unreachable_target(target).await;
}

/// A peer that accepts connections but never answers (a hung server, a black-holed
/// route): operations still end, with `Unavailable`, within the operation timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_gives_unavailable_in_bounded_time() {
    // Connections queue in the listen backlog and are never read.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let target = RedisTarget::Standalone(format!("redis://127.0.0.1:{port}/"));
    let redis = RedisAdapters::connect_lazy(target, RedisOptions::default()).unwrap();
    common::every_operation_reports_unavailable(&redis).await;
    drop(silent);
}

/// The server goes away and comes back: operations fail with `Unavailable` while it is
/// down, subscriptions end, and the same adapters work again once it is back (with the
/// scripts re-sent, since a restarted server has none cached).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adapters_recover_when_redis_comes_back() {
    let mut server = PrivateRedis::start();
    let redis = RedisAdapters::connect(
        RedisTarget::Standalone(server.url()),
        RedisOptions::default(),
    )
    .await
    .unwrap();
    let q = unique_quiz("rd-recover");
    let first = redis
        .scoreboard
        .record(&answer(&q, "p1", "q0", true, 10, 1))
        .await
        .unwrap();
    assert!(!first.duplicate);
    let mut sub = redis.bus.subscribe().await.unwrap();

    server.stop();
    let ended = within_bound("subscription end", sub.next()).await;
    assert_eq!(ended, None, "a subscription ends when its connection drops");
    assert!(matches!(
        within_bound("count while down", redis.scoreboard.count(&q)).await,
        Err(ScoreboardError::Unavailable(_))
    ));
    assert!(
        within_bound("subscribe while down", redis.bus.subscribe())
            .await
            .is_err()
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match redis.scoreboard.count(&q).await {
            // The throw-away server kept no data.
            Ok(n) => {
                assert_eq!(n, 0);
                break;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "not recovered: {e:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let again = redis
        .scoreboard
        .record(&answer(&q, "p1", "q0", true, 10, 1))
        .await
        .unwrap();
    assert!(!again.duplicate);
    let joined = redis
        .registry
        .join(&q, &name("Ann"), CREATED, 10)
        .await
        .unwrap();
    assert_eq!(joined.id.as_str(), "p2", "p1 is on the board already");
    let mut sub = redis.bus.subscribe().await.unwrap();
    redis.bus.announce(&q).await.unwrap();
    let heard = within_bound("announcement after recovery", sub.next()).await;
    assert_eq!(heard, Some(quiz_core::ports::BusEvent::Changed(q)));
}

/// A server that lost its script cache (restart, `SCRIPT FLUSH`, failover to a node that
/// never ran the script) gets the script again transparently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_are_resent_after_the_cache_is_flushed() {
    let server = PrivateRedis::start();
    let redis = RedisAdapters::connect(
        RedisTarget::Standalone(server.url()),
        RedisOptions::default(),
    )
    .await
    .unwrap();
    let q = unique_quiz("rd-flush");
    redis
        .scoreboard
        .record(&answer(&q, "p1", "q0", true, 10, 1))
        .await
        .unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut con)
        .await
        .unwrap();
    let r = redis
        .scoreboard
        .record(&answer(&q, "p1", "q1", true, 10, 2))
        .await
        .unwrap();
    assert_eq!((r.total, r.answers, r.duplicate), (20, 2, false));
}

/// Restore deletes the keys of players that are not in the restored standings, and
/// touches no other quiz.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_removes_stale_players_keys() {
    let redis = adapters(URL).await;
    let q = unique_quiz("rd-stale");
    let other = unique_quiz("rd-stale-other");
    for quiz in [&q, &other] {
        redis
            .scoreboard
            .record(&answer(quiz, "stale", "q0", true, 10, 1))
            .await
            .unwrap();
    }
    redis
        .scoreboard
        .restore(
            &q,
            CREATED,
            &[ArchivedStanding {
                player: player("kept"),
                name: name("Kept"),
                joined_at: CREATED,
                total: 5,
                answers: 0,
                reached_at: CREATED,
                results: vec![],
            }],
        )
        .await
        .unwrap();
    let client = redis::Client::open(quiz_conformance::service_url(URL)).unwrap();
    let con = client.get_multiplexed_async_connection().await.unwrap();
    let exists = |key: String| {
        let mut con = con.clone();
        async move {
            redis::cmd("EXISTS")
                .arg(key)
                .query_async::<u64>(&mut con)
                .await
                .unwrap()
        }
    };
    let stale = player("stale");
    assert_eq!(exists(quiz_redis::keys::player_state(&q, &stale)).await, 0);
    assert_eq!(
        exists(quiz_redis::keys::player_answers(&q, &stale)).await,
        0
    );
    assert_eq!(
        exists(quiz_redis::keys::player_state(&other, &stale)).await,
        1
    );
    assert_eq!(
        exists(quiz_redis::keys::player_answers(&other, &stale)).await,
        1
    );
    assert!(
        redis
            .scoreboard
            .answers(&q, &stale)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(redis.scoreboard.count(&q).await.unwrap(), 1);
    assert_eq!(redis.scoreboard.count(&other).await.unwrap(), 1);
    // The stale player starts afresh if they answer again.
    let r = redis
        .scoreboard
        .record(&answer(&q, "stale", "q0", true, 10, 1))
        .await
        .unwrap();
    assert_eq!((r.total, r.answers, r.duplicate), (10, 1, false));
}

/// A server that hangs (frozen process, sockets open): operations end with `Unavailable`
/// within the configured operation timeout, and a subscription notices at its next
/// heartbeat; everything works again once the server thaws.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_server_is_detected_by_timeouts_and_heartbeats() {
    let server = PrivateRedis::start();
    let options = RedisOptions {
        response_timeout: Duration::from_millis(300),
        operation_timeout: Duration::from_millis(800),
        bus_heartbeat: Duration::from_millis(300),
        ..RedisOptions::default()
    };
    let redis = RedisAdapters::connect(RedisTarget::Standalone(server.url()), options)
        .await
        .unwrap();
    let q = unique_quiz("rd-hung");
    let mut sub = redis.bus.subscribe().await.unwrap();
    redis.scoreboard.count(&q).await.unwrap();

    server.signal("-STOP");
    let start = Instant::now();
    let r = redis.scoreboard.count(&q).await;
    assert!(matches!(r, Err(ScoreboardError::Unavailable(_))), "{r:?}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    let start = Instant::now();
    assert_eq!(within_bound("heartbeat", sub.next()).await, None);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );

    server.signal("-CONT");
    let deadline = Instant::now() + Duration::from_secs(15);
    while let Err(e) = redis.scoreboard.count(&q).await {
        assert!(Instant::now() < deadline, "not recovered: {e:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut sub = redis.bus.subscribe().await.unwrap();
    redis.bus.announce(&q).await.unwrap();
    assert_eq!(
        within_bound("announcement", sub.next()).await,
        Some(quiz_core::ports::BusEvent::Changed(q))
    );
}

/// Dropping a subscription closes its pub/sub connection: a server that resubscribes
/// after every drop does not pile up connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_subscriptions_release_their_connections() {
    let server = PrivateRedis::start();
    let redis = RedisAdapters::connect(
        RedisTarget::Standalone(server.url()),
        RedisOptions::default(),
    )
    .await
    .unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let con = client.get_multiplexed_async_connection().await.unwrap();
    let subscribers = || {
        let mut con = con.clone();
        async move {
            let counts: Vec<(String, u64)> = redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(quiz_redis::keys::CHANNEL)
                .query_async(&mut con)
                .await
                .unwrap();
            counts.first().map_or(0, |c| c.1)
        }
    };
    let subs = [
        redis.bus.subscribe().await.unwrap(),
        redis.bus.subscribe().await.unwrap(),
    ];
    assert_eq!(subscribers().await, 2);
    drop(subs);
    let deadline = Instant::now() + Duration::from_secs(5);
    while subscribers().await != 0 {
        assert!(
            Instant::now() < deadline,
            "subscriptions still open on the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_failing_half_way_records_the_rest() {
    let client = redis::Client::open(quiz_conformance::service_url(URL)).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    common::a_batch_failing_half_way_records_the_rest(&adapters(URL).await, &mut raw).await;
}

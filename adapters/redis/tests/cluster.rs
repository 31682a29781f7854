//! The adapters against a real Redis Cluster (`QUIZ_TEST_REDIS_CLUSTER_URLS`, a
//! comma-separated list of nodes, from the environment or `.services/env`;
//! `cargo xtask services up` starts a 6-node cluster).

// Tests: a failed unwrap is a failed test, reported with its location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{adapters, closed_port};
use quiz_conformance::fixtures::unique_quiz;
use quiz_core::ports::RoomBus;
use quiz_redis::{RedisAdapters, RedisOptions, RedisTarget};
use redis::cluster_routing::Slot;

const URLS: &str = "QUIZ_TEST_REDIS_CLUSTER_URLS";

mod scoreboard {
    quiz_conformance::scoreboard_suite!(async { super::adapters(super::URLS).await.scoreboard });
}

mod registry {
    quiz_conformance::registry_suite!(async { super::adapters(super::URLS).await.registry });
}

mod bus {
    quiz_conformance::bus_suite!(async { super::adapters(super::URLS).await.bus });
}

mod games {
    quiz_conformance::games_suite!(async { super::adapters(super::URLS).await.games });
}

mod pins {
    quiz_conformance::pins_suite!(async { super::adapters(super::URLS).await.pins });
}

fn node_urls() -> Vec<String> {
    match quiz_conformance::service_url(URLS)
        .parse::<RedisTarget>()
        .unwrap()
    {
        RedisTarget::Cluster(urls) => urls,
        other => panic!("{URLS} should list several nodes, got {other}"),
    }
}

#[test]
fn the_test_target_is_a_cluster() {
    assert!(node_urls().len() > 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sort_keys_round_trip_at_the_extremes() {
    common::sort_keys_round_trip_at_the_extremes(&adapters(URLS).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_survive_beyond_two_to_the_53() {
    common::timestamps_survive_beyond_two_to_the_53(&adapters(URLS).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_never_reuses_a_restored_players_id() {
    common::join_never_reuses_a_restored_players_id(&adapters(URLS).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_registry_restore_runs_in_chunks() {
    common::a_large_registry_restore_runs_in_chunks(&adapters(URLS).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_id_counter_is_raised_exactly() {
    common::the_id_counter_is_raised_exactly(&adapters(URLS).await).await;
}

/// Every key of one quiz hashes to one slot (the slot of the quiz id, its hash tag), as
/// the cluster itself computes it, and the keys really exist there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_keys_of_a_quiz_share_one_slot() {
    let redis = adapters(URLS).await;
    let q = unique_quiz("rd-slot");
    let keys = common::populate(&redis, &q).await;

    let node = redis::Client::open(node_urls()[0].as_str()).unwrap();
    let node = node.get_multiplexed_async_connection().await.unwrap();
    let keyslot = |key: String| {
        let mut node = node.clone();
        async move {
            redis::cmd("CLUSTER")
                .arg("KEYSLOT")
                .arg(key)
                .query_async::<u16>(&mut node)
                .await
                .unwrap()
        }
    };
    let quiz_slot = keyslot(q.to_string()).await;
    let cluster = redis::cluster::ClusterClient::new(node_urls()).unwrap();
    let mut cluster = cluster.get_async_connection().await.unwrap();
    for key in keys {
        assert_eq!(keyslot(key.clone()).await, quiz_slot, "{key}");
        assert_eq!(Slot::for_key(&key), Slot::for_key(q.as_str()), "{key}");
        let exists: u64 = redis::cmd("EXISTS")
            .arg(&key)
            .query_async(&mut cluster)
            .await
            .unwrap();
        assert_eq!(exists, 1, "{key} was written");
    }
    // Different quizzes are spread over the cluster, not pinned to one slot.
    let mut slots = std::collections::HashSet::new();
    for i in 0..20 {
        slots.insert(keyslot(quiz_redis::keys::board(&unique_quiz(&format!("s{i}")))).await);
    }
    assert!(slots.len() > 1, "quizzes should not share one slot");
}

/// A subscriber hears announcements published through any node: subscriptions go to one
/// node (a different one each time) and classic pub/sub is forwarded cluster-wide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_on_every_node_hear_every_announcement() {
    let redis = adapters(URLS).await;
    let n = node_urls().len();
    let mut subs = Vec::new();
    for _ in 0..n {
        subs.push(redis.bus.subscribe().await.unwrap());
    }
    let quizzes: Vec<_> = (0..5).map(|i| unique_quiz(&format!("rd-fan{i}"))).collect();
    for q in &quizzes {
        redis.bus.announce(q).await.unwrap();
    }
    for sub in &mut subs {
        let mut want = quizzes.clone();
        while !want.is_empty() {
            let got = common::within_bound("announcement", sub.next())
                .await
                .expect("subscription open");
            want.retain(|q| quiz_core::ports::BusEvent::Changed(q.clone()) != got);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_nodes_give_unavailable_in_bounded_time() {
    let target = RedisTarget::Cluster(vec![
        format!("redis://127.0.0.1:{}/", closed_port()),
        format!("redis://127.0.0.1:{}/", closed_port()),
    ]);
    let redis = RedisAdapters::connect_lazy(target.clone(), RedisOptions::default()).unwrap();
    common::every_operation_reports_unavailable(&redis).await;
    common::connect_refuses_an_unreachable_target(target).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_failing_half_way_records_the_rest() {
    let cluster = redis::cluster::ClusterClient::new(node_urls()).unwrap();
    let mut raw = cluster.get_async_connection().await.unwrap();
    common::a_batch_failing_half_way_records_the_rest(&adapters(URLS).await, &mut raw).await;
}

/// A quiz whose slot lies in the given third of the slot space (a 3-primary cluster, as
/// `cargo xtask services up` makes, gives each primary one third).
fn quiz_in_third(third: u16) -> quiz_core::QuizId {
    (0..)
        .map(|i| unique_quiz(&format!("rd-third{third}-{i}")))
        .find(|q| slot_number(Slot::for_key(quiz_redis::keys::board(q))) / 5462 == third)
        .unwrap()
}

/// The slot's number (the type shows it only through `Debug`).
fn slot_number(slot: Slot) -> u16 {
    format!("{slot:?}")
        .trim_start_matches("Slot(")
        .trim_end_matches(')')
        .parse()
        .unwrap()
}

/// One batch with answers of two quizzes in different slots (on different primaries):
/// the adapter splits it into one script call per slot, and every answer gets its own
/// result, in order, as if recorded one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_spanning_two_slots_is_split_per_slot() {
    use quiz_conformance::fixtures::{answer, player};
    use quiz_core::ports::Scoreboard;
    let redis = adapters(URLS).await;
    let a = quiz_in_third(0);
    let b = quiz_in_third(2);
    assert_ne!(
        Slot::for_key(quiz_redis::keys::board(&a)),
        Slot::for_key(quiz_redis::keys::board(&b))
    );
    let batch = [
        answer(&a, "p1", "q0", true, 10, 1_000),
        answer(&b, "p1", "q0", true, 20, 1_000),
        answer(&a, "p2", "q0", true, 30, 1_100),
        answer(&b, "p1", "q1", true, 40, 1_200),
        answer(&a, "p1", "q0", true, 10, 1_300),
        answer(&b, "p2", "q0", false, 0, 1_400),
    ];
    let got: Vec<(bool, u64, u64)> = redis
        .scoreboard
        .record_many(&batch)
        .await
        .into_iter()
        .map(|r| {
            let r = r.unwrap();
            (r.duplicate, r.total, r.rank)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (false, 10, 1),
            (false, 20, 1),
            (false, 30, 1),
            (false, 60, 1),
            (true, 10, 2),
            (false, 0, 2),
        ]
    );
    let sb = &redis.scoreboard;
    assert_eq!(sb.count(&a).await.unwrap(), 2);
    assert_eq!(sb.count(&b).await.unwrap(), 2);
    assert_eq!(sb.answers(&b, &player("p1")).await.unwrap().len(), 2);
}

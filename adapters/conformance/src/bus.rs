//! Room-bus cases.

use std::sync::Arc;
use std::time::Duration;

use quiz_core::QuizId;
use quiz_core::ports::{BusEvent, BusSubscription, RoomBus};

use crate::fixtures::{player, unique_quiz};

const WAIT: Duration = Duration::from_secs(5);

async fn next_for(sub: &mut Box<dyn BusSubscription>, want: &QuizId) {
    let found = tokio::time::timeout(WAIT, async {
        // Other cases may share the bus: skip their announcements.
        while let Some(e) = sub.next().await {
            if e == BusEvent::Changed(want.clone()) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        found,
        Ok(true),
        "announcement for {want} not heard within {WAIT:?}"
    );
}

/// Two subscribers both hear an announcement made after they subscribed.
pub async fn every_subscriber_hears_every_announcement<B: RoomBus + ?Sized>(bus: Arc<B>) {
    let q = unique_quiz("bus-all");
    let mut s1 = bus.subscribe().await.unwrap();
    let mut s2 = bus.subscribe().await.unwrap();
    bus.announce(&q).await.unwrap();
    next_for(&mut s1, &q).await;
    next_for(&mut s2, &q).await;
}

/// Announcements carry the quiz id, in order for one publisher.
pub async fn announcements_name_the_quiz<B: RoomBus + ?Sized>(bus: Arc<B>) {
    let a = unique_quiz("bus-a");
    let b = unique_quiz("bus-b");
    let mut s = bus.subscribe().await.unwrap();
    bus.announce(&a).await.unwrap();
    bus.announce(&b).await.unwrap();
    next_for(&mut s, &a).await;
    next_for(&mut s, &b).await;
}

/// A take-over reaches every subscriber with its quiz, player, socket and time.
pub async fn take_overs_reach_every_subscriber<B: RoomBus + ?Sized>(bus: Arc<B>) {
    let q = unique_quiz("bus-take-over");
    let mut s1 = bus.subscribe().await.unwrap();
    let mut s2 = bus.subscribe().await.unwrap();
    bus.take_over(&q, &player("p7"), "inst-42", 1_700)
        .await
        .unwrap();
    let want = BusEvent::TakenOver {
        quiz: q.clone(),
        player: player("p7"),
        socket: "inst-42".into(),
        since: 1_700,
    };
    for s in [&mut s1, &mut s2] {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(e) = s.next().await {
                if e == want {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "take-over not heard within {WAIT:?}");
    }
}

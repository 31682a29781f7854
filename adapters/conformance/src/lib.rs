//! # quiz-conformance
//!
//! The shared conformance suite: one set of behavioural tests for the ports of `quiz-core`,
//! run against the in-memory reference adapters and against every real adapter (Redis,
//! Kafka, MongoDB). An adapter that passes it behaves like `quiz-memory` as far as the
//! services can tell.
//!
//! **What it is not**: a product crate. Adapters take it as a dev-dependency only.
//!
//! It is usable from any crate, not only this workspace's adapters: an adapter written
//! elsewhere takes `quiz-conformance` and `quiz-core` as dependencies and runs the suites
//! of the ports it implements. `examples/outside_adapter.rs` is such an adapter (an archive
//! and an event log built from scratch on the public API), run by
//! `cargo test -p quiz-conformance --example outside_adapter`. Each port's docs
//! (`quiz_core::ports`) say what an implementation must guarantee; the cases here check it.
//!
//! Use: in an adapter's integration test, invoke the macro for each port it implements with
//! an async expression that builds a fresh adapter; each case becomes its own
//! `#[tokio::test]` (the adapter needs `tokio` with `macros` and `rt-multi-thread` as a
//! dev-dependency):
//!
//! ```ignore
//! quiz_conformance::scoreboard_suite!(async { std::sync::Arc::new(MemoryScoreboard::new()) });
//! ```
//!
//! Every case uses fresh, unique quiz ids ([`unique_quiz`]), so cases can share one
//! backing service and run in parallel.

// Test-support code: a failed unwrap here is a failed conformance case, reported with its
// location, which is exactly what a test should do.
#![allow(clippy::unwrap_used)]

pub mod archive;
pub mod bus;
pub mod catalog;
pub mod events;
pub mod fixtures;
pub mod games;
pub mod media;
pub mod pins;
pub mod registry;
pub mod scoreboard;
pub mod services;

pub use fixtures::unique_quiz;
pub use services::service_url;

/// Defines one test per scoreboard case. `$make` is an async expression evaluating to
/// `Arc<impl Scoreboard>`.
#[macro_export]
macro_rules! scoreboard_suite {
    ($make:expr) => {
        $crate::__cases!(scoreboard, $make;
            first_answer_is_recorded_and_repeats_change_nothing,
            wrong_answers_score_zero_and_keep_the_tie_break_time,
            streak_bonus_grows_caps_and_resets,
            partial_and_counted_answers_follow_their_grade,
            answer_times_count_from_the_opening_or_the_previous_answer,
            ranking_breaks_ties_by_time_then_player_id,
            top_pages_and_counts,
            standing_and_around_me,
            remove_takes_a_player_off_the_board,
            enroll_is_idempotent_and_keeps_scores,
            answers_lists_each_result,
            restore_replaces_the_board_and_keeps_dedupe,
            quizzes_are_isolated,
            concurrent_submitters_never_lose_or_double_an_increment,
            concurrent_retries_of_one_answer_apply_once,
            a_batch_records_in_order_each_with_its_own_result,
            a_refused_answer_in_a_batch_fails_alone,
            concurrent_players_keep_their_own_order,
        );
    };
}

/// Defines one test per player-registry case.
#[macro_export]
macro_rules! registry_suite {
    ($make:expr) => {
        $crate::__cases!(registry, $make;
            join_issues_distinct_ids_and_remembers_names,
            names_are_unique_case_insensitively,
            a_full_quiz_refuses_joins,
            concurrent_joins_respect_the_limit,
            restore_reregisters_players_and_moves_the_id_counter,
        );
    };
}

/// Defines one test per quiz-catalog case.
#[macro_export]
macro_rules! catalog_suite {
    ($make:expr) => {
        $crate::__cases!(catalog, $make;
            create_get_and_list,
            create_never_overwrites,
            status_changes_and_unknown_ids,
            answer_keys_survive_storage,
            search_filters_orders_and_pages,
            update_replaces_in_place,
            delete_hides_and_keeps_the_id,
        );
    };
}

/// Defines one test per media-store case.
#[macro_export]
macro_rules! media_suite {
    ($make:expr) => {
        $crate::__cases!(media, $make;
            put_get_and_exists,
            put_never_rewrites,
            large_images_read_back_exactly,
            concurrent_puts_store_once,
        );
    };
}

/// Defines one test per score-archive case.
#[macro_export]
macro_rules! archive_suite {
    ($make:expr) => {
        $crate::__cases!(archive, $make;
            apply_is_idempotent,
            apply_is_order_tolerant,
            unknown_quiz_has_no_standings,
        );
    };
}

/// Defines one test per room-bus case.
#[macro_export]
macro_rules! bus_suite {
    ($make:expr) => {
        $crate::__cases!(bus, $make;
            every_subscriber_hears_every_announcement,
            announcements_name_the_quiz,
            take_overs_reach_every_subscriber,
        );
    };
}

/// Defines one test per game-store case.
#[macro_export]
macro_rules! games_suite {
    ($make:expr) => {
        $crate::__cases!(games, $make;
            compare_and_set_moves_only_from_the_state_read,
            racing_transitions_succeed_once,
            first_answer_stays_and_counts_are_exact,
            removed_players_are_remembered,
            clear_forgets_the_game,
        );
    };
}

/// Defines one test per game-PIN case.
#[macro_export]
macro_rules! pins_suite {
    ($make:expr) => {
        $crate::__cases!(pins, $make;
            one_pin_per_quiz_and_one_quiz_per_pin,
            expired_pins_resolve_to_nothing_and_are_free_again,
            release_frees_the_pin,
            racing_claims_agree,
        );
    };
}

/// Defines the score-event-log case. `$make` evaluates to
/// `(Arc<impl ScoreEventLog>, reader)` where `reader` implements [`events::ReadBack`].
#[macro_export]
macro_rules! event_log_suite {
    ($make:expr) => {
        $crate::__cases!(events, $make;
            published_events_are_durable_and_keep_per_quiz_order,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __cases {
    ($module:ident, $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let port = $make.await;
                $crate::$module::$case(port).await;
            }
        )+
    };
}

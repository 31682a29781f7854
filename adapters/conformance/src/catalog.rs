//! Quiz-catalog cases.

use std::sync::Arc;

use quiz_core::ports::{CatalogError, QuizCatalog, QuizQuery};
use quiz_core::{Quiz, QuizDraft, QuizId, QuizMode, QuizStatus};

use crate::fixtures::{quiz, unique_quiz};

/// A stored quiz reads back equal and is listed.
pub async fn create_get_and_list<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-get");
    let qz = quiz(id.clone(), 3);
    cat.create(&qz).await.unwrap();
    assert_eq!(cat.get(&id).await.unwrap(), Some(qz));
    assert_eq!(cat.get(&unique_quiz("cat-none")).await.unwrap(), None);
    let listed = cat.list().await.unwrap();
    let mine = listed.iter().find(|s| s.id == id).expect("listed");
    assert_eq!((mine.questions, mine.status), (3, QuizStatus::Open));
    let ids: Vec<_> = listed.iter().map(|s| s.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "list is ordered by id");
}

/// Creating an existing id fails and leaves the stored quiz alone.
pub async fn create_never_overwrites<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-dup");
    cat.create(&quiz(id.clone(), 2)).await.unwrap();
    let again = cat.create(&quiz(id.clone(), 5)).await;
    assert!(
        matches!(again, Err(CatalogError::AlreadyExists)),
        "{again:?}"
    );
    assert_eq!(cat.get(&id).await.unwrap().unwrap().questions().len(), 2);
}

/// Closing and reopening; unknown ids are `NotFound`.
pub async fn status_changes_and_unknown_ids<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-status");
    cat.create(&quiz(id.clone(), 1)).await.unwrap();
    assert_eq!(cat.status(&id).await.unwrap(), Some(QuizStatus::Open));
    cat.set_status(&id, QuizStatus::Closed).await.unwrap();
    assert_eq!(
        cat.get(&id).await.unwrap().unwrap().status(),
        QuizStatus::Closed
    );
    assert_eq!(cat.status(&id).await.unwrap(), Some(QuizStatus::Closed));
    cat.set_status(&id, QuizStatus::Open).await.unwrap();
    assert_eq!(
        cat.get(&id).await.unwrap().unwrap().status(),
        QuizStatus::Open
    );
    assert_eq!(cat.status(&id).await.unwrap(), Some(QuizStatus::Open));
    let unknown = unique_quiz("cat-missing");
    let missing = cat.set_status(&unknown, QuizStatus::Closed).await;
    assert!(
        matches!(missing, Err(CatalogError::NotFound)),
        "{missing:?}"
    );
    // Refusing the change left nothing behind.
    assert_eq!(cat.status(&unknown).await.unwrap(), None);
    assert_eq!(cat.get(&unknown).await.unwrap(), None);
}

/// The answer key and scoring policy are stored (the server needs them).
pub async fn answer_keys_survive_storage<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-key");
    let qz = quiz(id.clone(), 2);
    cat.create(&qz).await.unwrap();
    let back = cat.get(&id).await.unwrap().unwrap();
    assert_eq!(back.questions()[1].key, qz.questions()[1].key);
    assert_eq!(back.scoring(), qz.scoring());
    assert_eq!(back.created_at(), qz.created_at());
    // Every question type's key, the multi scoring and min_answer_ms too.
    let id = unique_quiz("cat-types");
    let qz = crate::fixtures::quiz_of_every_type(id.clone());
    cat.create(&qz).await.unwrap();
    let back = cat.get(&id).await.unwrap().unwrap();
    assert_eq!(back, qz);
    assert_eq!(back.min_answer_ms(), 500);
}

/// A quiz like [`quiz`] with another title and mode.
fn titled(id: QuizId, title: &str, mode: QuizMode) -> Quiz {
    let mut d = QuizDraft::from(quiz(id, 2));
    d.title = title.to_owned();
    d.mode = mode;
    Quiz::try_from(d).expect("a valid quiz")
}

/// Search matches id or title case-insensitively, orders by title then id, pages with a
/// total, and reports each quiz's mode.
pub async fn search_filters_orders_and_pages<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    // A tag no other test's quiz carries, in the ids (lowercase) and in a title (mixed).
    let tag = unique_quiz("srch");
    let id = |s: &str| QuizId::parse(format!("{tag}-{s}")).expect("a valid id");
    let b = titled(id("b"), "Beta", QuizMode::SelfPaced);
    let a2 = titled(id("a2"), "Alpha", QuizMode::Hosted);
    let a1 = titled(id("a1"), "Alpha", QuizMode::SelfPaced);
    let c = titled(id("c"), "Gamma Ünïcode", QuizMode::SelfPaced);
    for q in [&b, &a2, &a1, &c] {
        cat.create(q).await.unwrap();
    }
    let upper = tag.as_str().to_uppercase();
    let page = cat.search(&QuizQuery::new(&upper, 0, 100)).await.unwrap();
    let ids: Vec<_> = page.quizzes.iter().map(|l| l.summary.id.clone()).collect();
    assert_eq!(page.total, 4);
    assert_eq!(
        ids,
        vec![
            a1.id().clone(),
            a2.id().clone(),
            b.id().clone(),
            c.id().clone()
        ],
        "title, then id"
    );
    assert_eq!(page.quizzes[1].mode, QuizMode::Hosted);
    assert_eq!(page.quizzes[0].mode, QuizMode::SelfPaced);
    assert_eq!(
        (
            page.quizzes[2].summary.questions,
            page.quizzes[2].summary.status
        ),
        (2, QuizStatus::Open)
    );
    // Paging keeps the total.
    let second = cat
        .search(&QuizQuery::new(tag.as_str(), 1, 2))
        .await
        .unwrap();
    assert_eq!(second.total, 4);
    let ids: Vec<_> = second
        .quizzes
        .iter()
        .map(|l| l.summary.id.clone())
        .collect();
    assert_eq!(ids, vec![a2.id().clone(), b.id().clone()]);
    let past = cat
        .search(&QuizQuery::new(tag.as_str(), 10, 5))
        .await
        .unwrap();
    assert_eq!((past.total, past.quizzes.len()), (4, 0));
    // A title matches too, case-insensitively (non-ASCII included); ids of other tests'
    // quizzes may match "ünïcode" as well, so only this quiz's presence is checked.
    let by_title = cat
        .search(&QuizQuery::new("gAMMA üNÏCODE", 0, 100))
        .await
        .unwrap();
    assert!(by_title.quizzes.iter().any(|l| l.summary.id == *c.id()));
    assert!(by_title.quizzes.iter().all(|l| l.summary.id != *a1.id()));
    // The status a search reports is the current one.
    cat.set_status(b.id(), QuizStatus::Closed).await.unwrap();
    let page = cat
        .search(&QuizQuery::new(&format!("{tag}-b"), 0, 10))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.quizzes[0].summary.status, QuizStatus::Closed);
}

/// Update replaces the whole definition in place; an unknown id is `NotFound` and stores
/// nothing.
pub async fn update_replaces_in_place<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-upd");
    cat.create(&quiz(id.clone(), 2)).await.unwrap();
    let mut d = QuizDraft::from(titled(id.clone(), "Renamed", QuizMode::Hosted));
    d.questions.truncate(1);
    d.status = QuizStatus::Closed;
    let new = Quiz::try_from(d).expect("valid");
    cat.update(&new).await.unwrap();
    assert_eq!(cat.get(&id).await.unwrap(), Some(new.clone()));
    assert_eq!(cat.status(&id).await.unwrap(), Some(QuizStatus::Closed));
    let page = cat
        .search(&QuizQuery::new(id.as_str(), 0, 10))
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    let listed = &page.quizzes[0];
    assert_eq!(
        (
            listed.summary.title.as_str(),
            listed.summary.questions,
            listed.mode
        ),
        ("Renamed", 1, QuizMode::Hosted)
    );
    let unknown = unique_quiz("cat-upd-none");
    let r = cat.update(&quiz(unknown.clone(), 1)).await;
    assert!(matches!(r, Err(CatalogError::NotFound)), "{r:?}");
    assert_eq!(cat.get(&unknown).await.unwrap(), None);
}

/// Delete hides the quiz from every read and keeps its id taken; deleting twice or an
/// unknown id is `NotFound`; a deleted quiz cannot be updated or reopened.
pub async fn delete_hides_and_keeps_the_id<C: QuizCatalog + ?Sized>(cat: Arc<C>) {
    let id = unique_quiz("cat-del");
    let keep = unique_quiz("cat-del-keep");
    cat.create(&quiz(id.clone(), 2)).await.unwrap();
    cat.create(&quiz(keep.clone(), 1)).await.unwrap();
    cat.delete(&id).await.unwrap();
    assert_eq!(cat.get(&id).await.unwrap(), None);
    assert_eq!(cat.status(&id).await.unwrap(), None);
    assert!(cat.list().await.unwrap().iter().all(|s| s.id != id));
    let page = cat
        .search(&QuizQuery::new(id.as_str(), 0, 10))
        .await
        .unwrap();
    assert_eq!(page.total, 0);
    let again = cat.delete(&id).await;
    assert!(matches!(again, Err(CatalogError::NotFound)), "{again:?}");
    let recreate = cat.create(&quiz(id.clone(), 3)).await;
    assert!(
        matches!(recreate, Err(CatalogError::AlreadyExists)),
        "{recreate:?}"
    );
    let update = cat.update(&quiz(id.clone(), 3)).await;
    assert!(matches!(update, Err(CatalogError::NotFound)), "{update:?}");
    let reopen = cat.set_status(&id, QuizStatus::Closed).await;
    assert!(matches!(reopen, Err(CatalogError::NotFound)), "{reopen:?}");
    assert_eq!(cat.get(&id).await.unwrap(), None);
    assert_eq!(cat.status(&id).await.unwrap(), None);
    let unknown = cat.delete(&unique_quiz("cat-del-none")).await;
    assert!(
        matches!(unknown, Err(CatalogError::NotFound)),
        "{unknown:?}"
    );
    // The other quiz is untouched.
    assert_eq!(
        cat.get(&keep).await.unwrap().map(|q| q.questions().len()),
        Some(1)
    );
}

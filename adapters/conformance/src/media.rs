//! Media-store cases.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use quiz_core::media::{ImageKind, MAX_IMAGE_BYTES, MediaId};
use quiz_core::ports::MediaStore;

/// An id no other case uses. The store does not hash (the caller does), so any 32 bytes
/// will do as a digest here.
pub fn unique_media() -> MediaId {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut digest = [0u8; 32];
    digest[..16].copy_from_slice(&nanos.to_le_bytes());
    digest[16..24].copy_from_slice(&N.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    digest[24..28].copy_from_slice(&std::process::id().to_le_bytes());
    MediaId::from_digest(digest)
}

/// `n` bytes that differ from position to position (a simple generator: no two chunks of
/// a chunked store look alike, so a misordered read is caught).
fn bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// A stored image reads back whole with its kind; unknown ids are absent.
pub async fn put_get_and_exists<M: MediaStore + ?Sized>(store: Arc<M>) {
    let id = unique_media();
    let data = bytes(1000, 7);
    assert!(!store.exists(&id).await.unwrap());
    assert_eq!(store.get(&id).await.unwrap(), None);
    assert!(store.put(&id, ImageKind::Png, &data).await.unwrap());
    assert!(store.exists(&id).await.unwrap());
    let got = store.get(&id).await.unwrap().unwrap();
    assert_eq!((got.kind, got.bytes), (ImageKind::Png, data));
    let other = unique_media();
    assert!(!store.exists(&other).await.unwrap());
    assert_eq!(store.get(&other).await.unwrap(), None);
    // Every kind is kept as it was given.
    for kind in ImageKind::ALL {
        let id = unique_media();
        assert!(store.put(&id, kind, &[1, 2, 3]).await.unwrap());
        assert_eq!(store.get(&id).await.unwrap().map(|m| m.kind), Some(kind));
    }
}

/// A second `put` of an id reports it stored already and rewrites nothing.
pub async fn put_never_rewrites<M: MediaStore + ?Sized>(store: Arc<M>) {
    let id = unique_media();
    let first = bytes(500, 3);
    assert!(store.put(&id, ImageKind::Gif, &first).await.unwrap());
    assert!(!store.put(&id, ImageKind::Gif, &first).await.unwrap());
    assert!(
        !store
            .put(&id, ImageKind::Jpeg, &bytes(900, 4))
            .await
            .unwrap()
    );
    let got = store.get(&id).await.unwrap().unwrap();
    assert_eq!((got.kind, got.bytes), (ImageKind::Gif, first));
}

/// Images up to the size limit, and sizes around a chunk boundary, read back exactly.
pub async fn large_images_read_back_exactly<M: MediaStore + ?Sized>(store: Arc<M>) {
    for (n, seed) in [
        (MAX_IMAGE_BYTES, 11),
        (255 * 1024, 12),
        (255 * 1024 + 1, 13),
        (2 * 255 * 1024, 14),
        (1, 15),
    ] {
        let id = unique_media();
        let data = bytes(n, seed);
        assert!(store.put(&id, ImageKind::Webp, &data).await.unwrap());
        let got = store.get(&id).await.unwrap().unwrap();
        assert_eq!(got.bytes.len(), n);
        assert!(got.bytes == data, "{n} bytes differ");
    }
}

/// Concurrent puts of one image: exactly one reports it stored now.
pub async fn concurrent_puts_store_once<M: MediaStore + ?Sized + 'static>(store: Arc<M>) {
    let id = unique_media();
    let data = Arc::new(bytes(300_000, 21));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (store, id, data) = (store.clone(), id.clone(), data.clone());
            tokio::spawn(async move { store.put(&id, ImageKind::Png, &data).await.unwrap() })
        })
        .collect();
    let mut stored_now = 0;
    for t in tasks {
        if t.await.unwrap() {
            stored_now += 1;
        }
    }
    assert_eq!(stored_now, 1);
    assert_eq!(store.get(&id).await.unwrap().unwrap().bytes, *data);
}

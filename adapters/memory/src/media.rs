use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use quiz_core::media::{ImageKind, MediaId};
use quiz_core::ports::{MediaError, MediaStore, StoredMedia};

/// One stored image: its kind and its bytes, shared between readers.
type Image = (ImageKind, Arc<[u8]>);

/// Images in memory.
#[derive(Default)]
pub struct MemoryMedia {
    images: RwLock<HashMap<MediaId, Image>>,
}

impl MemoryMedia {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl MediaStore for MemoryMedia {
    async fn put(&self, id: &MediaId, kind: ImageKind, bytes: &[u8]) -> Result<bool, MediaError> {
        let mut map = self.images.write().unwrap_or_else(PoisonError::into_inner);
        if map.contains_key(id) {
            return Ok(false);
        }
        map.insert(id.clone(), (kind, Arc::from(bytes)));
        Ok(true)
    }

    async fn get(&self, id: &MediaId) -> Result<Option<StoredMedia>, MediaError> {
        let map = self.images.read().unwrap_or_else(PoisonError::into_inner);
        Ok(map.get(id).map(|(kind, bytes)| StoredMedia {
            kind: *kind,
            bytes: bytes.to_vec(),
        }))
    }

    async fn exists(&self, id: &MediaId) -> Result<bool, MediaError> {
        let map = self.images.read().unwrap_or_else(PoisonError::into_inner);
        Ok(map.contains_key(id))
    }
}

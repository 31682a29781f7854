//! [`MediaStore`] on the `media` table (schema 3): each image's bytes in one BLOB with its
//! content type, keyed by its SHA-256, in the same database as everything else (so a
//! backup copies the images too). `put` is one `INSERT OR IGNORE` in a group commit;
//! `exists` reads the key only.

use async_trait::async_trait;
use quiz_core::media::{ImageKind, MediaId};
use quiz_core::ports::{MediaError, MediaStore, StoredMedia};

use crate::error::StoreError;
use crate::{SqliteStore, corrupt, optional};

fn unavailable(e: StoreError) -> MediaError {
    MediaError::Unavailable(Box::new(e))
}

#[async_trait]
impl MediaStore for SqliteStore {
    async fn put(&self, id: &MediaId, kind: ImageKind, bytes: &[u8]) -> Result<bool, MediaError> {
        let row = (id.as_str().to_owned(), kind.content_type(), bytes.to_vec());
        let inserted = self
            .db
            .write(move |c| {
                c.prepare_cached(
                    "INSERT OR IGNORE INTO media (id, content_type, bytes) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut st| st.execute(row))
                .map_err(StoreError::sql("insert image"))
            })
            .await
            .map_err(unavailable)?;
        Ok(inserted > 0)
    }

    async fn get(&self, id: &MediaId) -> Result<Option<StoredMedia>, MediaError> {
        let key = id.as_str().to_owned();
        let row: Option<(String, Vec<u8>)> = self
            .db
            .read(move |c| {
                c.prepare_cached("SELECT content_type, bytes FROM media WHERE id = ?1")
                    .and_then(|mut st| {
                        optional(st.query_row([&key], |r| Ok((r.get(0)?, r.get(1)?))))
                    })
                    .map_err(StoreError::sql("read image"))
            })
            .await
            .map_err(unavailable)?;
        let Some((content_type, bytes)) = row else {
            return Ok(None);
        };
        let kind = ImageKind::from_content_type(&content_type).ok_or_else(|| {
            unavailable(corrupt(
                format!("content type of image {id}"),
                format!("{content_type:?}"),
            ))
        })?;
        Ok(Some(StoredMedia { kind, bytes }))
    }

    async fn exists(&self, id: &MediaId) -> Result<bool, MediaError> {
        let key = id.as_str().to_owned();
        self.db
            .read(move |c| {
                c.prepare_cached("SELECT 1 FROM media WHERE id = ?1")
                    .and_then(|mut st| st.exists([&key]))
                    .map_err(StoreError::sql("look up image"))
            })
            .await
            .map_err(unavailable)
    }
}

//! [`MediaStore`] on the `media` and `media_chunks` collections: chunked documents, so
//! every server instance on the same database serves every image.
//!
//! An image is split into chunks of [`CHUNK_BYTES`] (like GridFS's default 255 KiB),
//! each a `media_chunks` document `{_id: "<sha>/<n>", media: "<sha>", n, data: Binary}`,
//! then described by one `media` document `{_id: "<sha>", content_type, length, chunks}`
//! written last: until it exists nobody reads the chunks, so a `put` cut short leaves
//! nothing visible, and a later `put` of the same bytes rewrites the same chunks (their
//! `_id`s are fixed) and completes it. The `media` insert is what decides "stored now":
//! of two concurrent `put`s of one image, the server's duplicate-key refusal tells the
//! second it was already there; a chunk upsert that loses a race to a concurrent `put` of
//! the same image (a duplicate key: FerretDB does not retry it) found the same chunk. No
//! transactions and no GridFS commands are needed, which FerretDB 1.x does not all
//! support; a `get` checks the chunk count and total length.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{Binary, Document, doc, spec::BinarySubtype};

use quiz_core::media::{ImageKind, MediaId};
use quiz_core::ports::{MediaError, MediaStore, StoredMedia};

use crate::error::{MongoError, is_duplicate_key};
use crate::store::MongoStore;

/// Bytes per chunk document.
pub const CHUNK_BYTES: usize = 255 * 1024;

impl From<MongoError> for MediaError {
    fn from(e: MongoError) -> Self {
        MediaError::Unavailable(Box::new(e))
    }
}

fn corrupt(id: &MediaId, reason: impl Into<String>) -> MongoError {
    MongoError::Corrupt {
        what: format!("image {id} in media"),
        reason: reason.into(),
    }
}

#[async_trait]
impl MediaStore for MongoStore {
    async fn put(&self, id: &MediaId, kind: ImageKind, bytes: &[u8]) -> Result<bool, MediaError> {
        if self.exists(id).await? {
            return Ok(false);
        }
        let mut chunks = 0i64;
        for (n, data) in bytes.chunks(CHUNK_BYTES).enumerate() {
            let n = i64::try_from(n).map_err(|e| MongoError::Encode {
                what: "chunk number",
                reason: e.to_string(),
            })?;
            let chunk_id = format!("{id}/{n}");
            let chunk = doc! {
                "_id": &chunk_id,
                "media": id.as_str(),
                "n": n,
                "data": Binary { subtype: BinarySubtype::Generic, bytes: data.to_vec() },
            };
            match self
                .media_chunks
                .replace_one(doc! { "_id": &chunk_id }, chunk)
                .upsert(true)
                .await
            {
                Ok(_) => {}
                // A concurrent put of the same image inserted this chunk between our
                // lookup and our insert (FerretDB does not retry an upsert that lost the
                // race): the id is the content's hash, so the chunk it wrote is this one.
                Err(e) if is_duplicate_key(&e) => {}
                Err(e) => return Err(MongoError::driver("upsert into media_chunks", e).into()),
            }
            chunks = n + 1;
        }
        let length = i64::try_from(bytes.len()).map_err(|e| MongoError::Encode {
            what: "image length",
            reason: e.to_string(),
        })?;
        let meta = doc! {
            "_id": id.as_str(),
            "content_type": kind.content_type(),
            "length": length,
            "chunks": chunks,
        };
        match self.media.insert_one(meta).await {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(MongoError::driver("insert into media", e).into()),
        }
    }

    async fn get(&self, id: &MediaId) -> Result<Option<StoredMedia>, MediaError> {
        let Some(meta) = self
            .media
            .find_one(doc! { "_id": id.as_str() })
            .await
            .map_err(|e| MongoError::driver("find in media", e))?
        else {
            return Ok(None);
        };
        let content_type = meta
            .get_str("content_type")
            .map_err(|e| corrupt(id, e.to_string()))?;
        let kind = ImageKind::from_content_type(content_type)
            .ok_or_else(|| corrupt(id, format!("content type {content_type:?}")))?;
        let length = meta
            .get_i64("length")
            .map_err(|e| corrupt(id, e.to_string()))?;
        let count = meta
            .get_i64("chunks")
            .map_err(|e| corrupt(id, e.to_string()))?;
        let chunks: Vec<Document> = self
            .media_chunks
            .find(doc! { "media": id.as_str() })
            .sort(doc! { "n": 1 })
            .await
            .map_err(|e| MongoError::driver("find in media_chunks", e))?
            .try_collect()
            .await
            .map_err(|e| MongoError::driver("read cursor of media_chunks", e))?;
        if i64::try_from(chunks.len()).ok() != Some(count) {
            return Err(corrupt(id, format!("{} chunks of {count}", chunks.len())).into());
        }
        let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
        for (n, c) in chunks.iter().enumerate() {
            if i64::try_from(n).ok() != c.get_i64("n").ok() {
                return Err(corrupt(id, format!("chunk {n} missing")).into());
            }
            let data = c
                .get_binary_generic("data")
                .map_err(|e| corrupt(id, e.to_string()))?;
            bytes.extend_from_slice(data);
        }
        if i64::try_from(bytes.len()).ok() != Some(length) {
            return Err(corrupt(id, format!("{} bytes of {length}", bytes.len())).into());
        }
        Ok(Some(StoredMedia { kind, bytes }))
    }

    async fn exists(&self, id: &MediaId) -> Result<bool, MediaError> {
        let found = self
            .media
            .find_one(doc! { "_id": id.as_str() })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(|e| MongoError::driver("find in media", e))?;
        Ok(found.is_some())
    }
}

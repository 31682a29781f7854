//! Images: checking an upload's bytes and storing it, and reading one back to serve.

use std::sync::Arc;

use crate::media::{ImageError, ImageInfo, MAX_IMAGE_BYTES, MediaId, inspect};
use crate::ports::{MediaStore, StoredMedia};
use crate::unavailable::Unavailable;

/// What an upload stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The image's id (its SHA-256).
    pub id: MediaId,
    /// Its format and dimensions.
    pub info: ImageInfo,
    /// Its size, bytes.
    pub bytes: usize,
    /// `false` when the same image was stored already.
    pub created: bool,
}

/// Errors of [`Media::upload`].
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Over [`MAX_IMAGE_BYTES`].
    #[error("an image is at most {MAX_IMAGE_BYTES} bytes; this one is {0}")]
    TooManyBytes(usize),
    /// Not an acceptable image (format, header, dimensions).
    #[error(transparent)]
    Image(#[from] ImageError),
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Uploading and reading images.
#[derive(Clone)]
pub struct Media {
    store: Arc<dyn MediaStore>,
}

impl Media {
    pub(super) fn new(store: Arc<dyn MediaStore>) -> Self {
        Self { store }
    }

    /// Checks `bytes` ([`inspect`]: format, header, dimensions, from the bytes alone) and
    /// stores them under `digest`, their SHA-256 (computed by the caller). Storing an
    /// image that is there already changes nothing (`created: false`).
    ///
    /// # Errors
    /// [`UploadError`] naming why; on error nothing was stored.
    pub async fn upload(&self, bytes: &[u8], digest: [u8; 32]) -> Result<Uploaded, UploadError> {
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(UploadError::TooManyBytes(bytes.len()));
        }
        let info = inspect(bytes)?;
        let id = MediaId::from_digest(digest);
        let created = self
            .store
            .put(&id, info.kind, bytes)
            .await
            .map_err(Unavailable::from)?;
        Ok(Uploaded {
            id,
            info,
            bytes: bytes.len(),
            created,
        })
    }

    /// The image stored under `id`, checked again on the way out: what is served is an
    /// acceptable image of the kind it is served as, whatever happened to the store.
    ///
    /// # Errors
    /// [`Unavailable`], also when the stored bytes no longer pass the checks.
    pub async fn image(&self, id: &MediaId) -> Result<Option<StoredMedia>, Unavailable> {
        let Some(stored) = self.store.get(id).await? else {
            return Ok(None);
        };
        match inspect(&stored.bytes) {
            Ok(info) if info.kind == stored.kind => Ok(Some(stored)),
            Ok(info) => Err(Unavailable::new(
                "media store",
                format!(
                    "image {id} is stored as {} but its bytes are {}",
                    stored.kind.content_type(),
                    info.kind.content_type()
                ),
            )),
            Err(e) => Err(Unavailable::new(
                "media store",
                format!("image {id} no longer passes the checks: {e}"),
            )),
        }
    }

    /// Whether an image is stored under `id`.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub(super) async fn exists(&self, id: &MediaId) -> Result<bool, Unavailable> {
        Ok(self.store.exists(id).await?)
    }
}

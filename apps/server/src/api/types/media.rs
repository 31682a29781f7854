//! The image upload's response type.

use poem_openapi::Object;
use quiz_core::service::Uploaded;

/// A stored image.
#[derive(Debug, Object)]
pub struct MediaOut {
    /// The image's id: the SHA-256 of its bytes, 64 lowercase hex digits. A question's
    /// `image` names it.
    pub id: String,
    /// Where it is served: `/media/<id>`.
    pub url: String,
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`, from the bytes.
    pub content_type: String,
    /// Width in pixels, from the header.
    pub width: u32,
    /// Height in pixels, from the header.
    pub height: u32,
    /// Size in bytes.
    pub bytes: u64,
}

impl From<&Uploaded> for MediaOut {
    fn from(u: &Uploaded) -> Self {
        Self {
            id: u.id.to_string(),
            url: u.id.url(),
            content_type: u.info.kind.content_type().to_owned(),
            width: u.info.width,
            height: u.info.height,
            bytes: u.bytes as u64,
        }
    }
}

//! Images on questions: their ids and the checks their bytes must pass.
//!
//! An image is stored content-addressed: its id ([`MediaId`]) is the SHA-256 of its bytes
//! in lowercase hex, computed by the app (hashing is not this crate's business; the
//! [`crate::service::Media`] use case takes the digest with the bytes). What an upload
//! must be is decided here, from the bytes alone ([`inspect`]): a PNG, JPEG, GIF or WebP
//! by its magic number, with a complete, readable header whose dimensions are within
//! [`MAX_SIDE`] and [`MAX_PIXELS`] — read from the header, never by decoding, so a
//! decompression bomb costs as much to refuse as its first few hundred bytes. SVG and
//! everything else is refused.

mod image;

pub use image::{ImageError, ImageInfo, inspect};

use std::fmt;

use serde::{Deserialize, Serialize};

/// Largest image, bytes (2 MiB).
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// Largest width and height, pixels.
pub const MAX_SIDE: u32 = 4096;
/// Largest width × height, pixels (16 megapixels).
pub const MAX_PIXELS: u64 = 16_000_000;

/// An image format the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    /// PNG.
    Png,
    /// JPEG (baseline or progressive).
    Jpeg,
    /// GIF (87a or 89a).
    Gif,
    /// WebP (lossy, lossless or extended).
    Webp,
}

impl ImageKind {
    /// Every kind.
    pub const ALL: [ImageKind; 4] = [Self::Png, Self::Jpeg, Self::Gif, Self::Webp];

    /// The media type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    /// The kind served with `content_type`, if any.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.content_type() == content_type)
    }
}

/// The id of a stored image: the SHA-256 of its bytes, 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaId(String);

/// A string that is not a media id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an image id is the SHA-256 of the image: 64 lowercase hexadecimal digits")]
pub struct MediaIdError;

impl MediaId {
    /// Parses a media id: exactly 64 of `0-9a-f`.
    ///
    /// # Errors
    /// [`MediaIdError`] for anything else (upper case included).
    pub fn parse(s: impl Into<String>) -> Result<Self, MediaIdError> {
        let s = s.into();
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(s))
        } else {
            Err(MediaIdError)
        }
    }

    /// The id of bytes whose SHA-256 is `digest`.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(64);
        for b in digest {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        Self(s)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where the server serves it: `/media/<id>`.
    pub fn url(&self) -> String {
        format!("/media/{}", self.0)
    }
}

impl fmt::Display for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MediaId {
    type Error = MediaIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<MediaId> for String {
    fn from(id: MediaId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ids_are_64_lowercase_hex_digits() {
        let ok = "0123456789abcdef".repeat(4);
        assert_eq!(
            MediaId::parse(ok.clone()).map(|m| m.url()),
            Ok(format!("/media/{ok}"))
        );
        for bad in [
            String::new(),
            ok[..63].to_owned(),
            format!("{ok}0"),
            ok.to_uppercase(),
            format!("{}g", &ok[..63]),
            "../".repeat(21) + "x",
        ] {
            assert_eq!(MediaId::parse(bad.clone()), Err(MediaIdError), "{bad}");
        }
        let id = MediaId::from_digest([0xab; 32]);
        assert_eq!(id.as_str(), "ab".repeat(32));
        assert!(MediaId::parse(id.as_str()).is_ok());
        // Serde goes through the same check.
        assert!(serde_json::from_str::<MediaId>("\"ABC\"").is_err());
    }

    #[test]
    fn kinds_round_trip_their_content_types() {
        for k in ImageKind::ALL {
            assert_eq!(ImageKind::from_content_type(k.content_type()), Some(k));
        }
        assert_eq!(ImageKind::from_content_type("image/svg+xml"), None);
    }
}

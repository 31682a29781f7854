//! Uploading an image (`POST /api/media`): the admin key, a per-address rate limit, then
//! the bytes checked by the core ([`quiz_core::media::inspect`]) and stored under their
//! SHA-256. The declared `Content-Type` and any file name are ignored: the bytes decide.

use poem::Request;
use poem_openapi::payload::Json;
use quiz_core::media::{ImageError, MAX_IMAGE_BYTES};
use quiz_core::service::UploadError;
use sha2::{Digest, Sha256};

use super::errors::{client, internal};
use super::responses::UploadMediaResponse;
use super::types::{AdminKey, MediaOut};
use super::{Api, client_ip};
use crate::telemetry;

/// Image uploads one address may make per minute, after a burst of [`UPLOAD_BURST`].
pub const UPLOADS_PER_MIN: u32 = 30;
/// Image uploads one address may make at once.
pub const UPLOAD_BURST: u32 = 10;

impl Api {
    pub(super) async fn upload(
        &self,
        req: &Request,
        auth: &AdminKey,
        bytes: &[u8],
    ) -> UploadMediaResponse {
        // Before the key check: guessing the key is limited too.
        if let Some(ip) = client_ip(req, self.state.limits.trust_forwarded_for)
            && self.state.upload_limiter.check_key(&ip).is_err()
        {
            metrics::counter!(telemetry::HTTP_REFUSED, "code" => "rate_limited").increment(1);
            return UploadMediaResponse::TooManyRequests(client(
                "rate_limited",
                format!(
                    "at most {UPLOAD_BURST} image uploads at once, then {UPLOADS_PER_MIN} per minute, from one address"
                ),
            ));
        }
        if !self.admin_ok(auth) {
            return UploadMediaResponse::Unauthorized(Self::wrong_key());
        }
        // Hashing 2 MiB is a few milliseconds: off the threads that serve sockets.
        let owned = bytes.to_vec();
        let digest = match tokio::task::spawn_blocking(move || {
            let d: [u8; 32] = Sha256::digest(&owned).into();
            (d, owned)
        })
        .await
        {
            Ok(d) => d,
            Err(e) => return UploadMediaResponse::Internal(internal(&e)),
        };
        let (digest, owned) = digest;
        match self.state.service.media().upload(&owned, digest).await {
            Ok(u) if u.created => UploadMediaResponse::Created(Json(MediaOut::from(&u))),
            Ok(u) => UploadMediaResponse::Ok(Json(MediaOut::from(&u))),
            Err(UploadError::TooManyBytes(n)) => UploadMediaResponse::PayloadTooLarge(client(
                "payload_too_large",
                format!("an image is at most {MAX_IMAGE_BYTES} bytes; this one is {n}"),
            )),
            Err(UploadError::Image(e @ ImageError::Unsupported)) => {
                UploadMediaResponse::UnsupportedMedia(client(
                    "unsupported_media",
                    format!("{e}; SVG and other formats are refused"),
                ))
            }
            Err(UploadError::Image(e @ ImageError::Bad { .. })) => {
                UploadMediaResponse::BadRequest(client("bad_image", e.to_string()))
            }
            Err(UploadError::Image(e @ ImageError::TooLarge { .. })) => {
                UploadMediaResponse::BadRequest(client("image_too_large", e.to_string()))
            }
            Err(UploadError::Unavailable(u)) => UploadMediaResponse::Internal(internal(&u)),
        }
    }
}

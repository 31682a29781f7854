//! Reading an image's format and dimensions from its header, with every read bounds-checked
//! and nothing decoded.
//!
//! - PNG: the signature, `IHDR` first (width and height), then every chunk walked by its
//!   length up to `IEND`, so a file cut short anywhere is refused.
//! - JPEG: `SOI`, then segments walked by their lengths to the first `SOFn` (height and
//!   width); an `SOS` or the end before it is refused.
//! - GIF: the `GIF87a`/`GIF89a` header and the logical screen's width and height.
//! - WebP: the RIFF header (its size must fit in the file), then the first chunk: `VP8 `
//!   (the key frame's start code and 14-bit sizes), `VP8L` (the signature byte and 14-bit
//!   sizes) or `VP8X` (the 24-bit canvas sizes).

use super::{ImageKind, MAX_PIXELS, MAX_SIDE};

/// What [`inspect`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// The format.
    pub kind: ImageKind,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

/// Why bytes are not an acceptable image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not a PNG, JPEG, GIF or WebP (SVG, an executable, text…).
    #[error("not a PNG, JPEG, GIF or WebP image")]
    Unsupported,
    /// The format's magic number, but the header is cut short or does not read.
    #[error("the {kind} header is truncated or unreadable: {reason}")]
    Bad {
        /// The format the magic number named.
        kind: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// The dimensions are over the limits.
    #[error(
        "the image is {width} × {height} pixels; at most {MAX_SIDE} × {MAX_SIDE} and {MAX_PIXELS} pixels in all"
    )]
    TooLarge {
        /// Width read from the header.
        width: u32,
        /// Height read from the header.
        height: u32,
    },
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A format's header reader: width and height, or why the header does not read.
type Reader = fn(&[u8]) -> Result<(u32, u32), &'static str>;

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

/// The format and dimensions of `bytes`, if they are an acceptable image.
///
/// # Errors
/// [`ImageError`] naming why not. Never panics, whatever the bytes.
pub fn inspect(bytes: &[u8]) -> Result<ImageInfo, ImageError> {
    let (kind, read): (ImageKind, Reader) = if bytes.starts_with(PNG_SIGNATURE) {
        (ImageKind::Png, read_png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (ImageKind::Jpeg, read_jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        (ImageKind::Gif, read_gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        (ImageKind::Webp, read_webp)
    } else {
        return Err(ImageError::Unsupported);
    };
    let name = match kind {
        ImageKind::Png => "PNG",
        ImageKind::Jpeg => "JPEG",
        ImageKind::Gif => "GIF",
        ImageKind::Webp => "WebP",
    };
    let (width, height) = read(bytes).map_err(|reason| ImageError::Bad { kind: name, reason })?;
    if width == 0 || height == 0 {
        return Err(ImageError::Bad {
            kind: name,
            reason: "a width or height of 0",
        });
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooLarge { width, height });
    }
    Ok(ImageInfo {
        kind,
        width,
        height,
    })
}

fn read_png(b: &[u8]) -> Result<(u32, u32), &'static str> {
    const CUT: &str = "the file ends inside a chunk";
    // The first chunk is IHDR, 13 bytes long.
    if be32(b, 8) != Some(13) || b.get(12..16) != Some(b"IHDR") {
        return Err("IHDR is not the first chunk");
    }
    let width = be32(b, 16).ok_or(CUT)?;
    let height = be32(b, 20).ok_or(CUT)?;
    // Every chunk: length, type, data, CRC; up to IEND.
    let mut at = PNG_SIGNATURE.len();
    loop {
        let len = usize::try_from(be32(b, at).ok_or(CUT)?).map_err(|_| CUT)?;
        let kind = b.get(at + 4..at + 8).ok_or(CUT)?;
        let end = at
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .ok_or(CUT)?;
        if end > b.len() {
            return Err(CUT);
        }
        if kind == b"IEND" {
            return Ok((width, height));
        }
        at = end;
    }
}

fn read_jpeg(b: &[u8]) -> Result<(u32, u32), &'static str> {
    const CUT: &str = "the file ends before the frame header";
    let mut at = 2; // after SOI
    loop {
        if *b.get(at).ok_or(CUT)? != 0xFF {
            return Err("a segment does not start with a marker");
        }
        // Fill bytes: any number of 0xFF before the marker code.
        while b.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *b.get(at).ok_or(CUT)?;
        at += 1;
        match marker {
            // Markers without a length: TEM, RSTn, SOI.
            0x01 | 0xD0..=0xD8 => continue,
            0xD9 => return Err("the image ends before a frame header"),
            0xDA => return Err("the scan starts before a frame header"),
            _ => {}
        }
        let len = usize::try_from(be16(b, at).ok_or(CUT)?).map_err(|_| CUT)?;
        if len < 2 || at + len > b.len() {
            return Err(CUT);
        }
        // SOF0–SOF15, less DHT (C4), JPG (C8) and DAC (CC).
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            if len < 8 {
                return Err("a frame header too short");
            }
            let height = be16(b, at + 3).ok_or(CUT)?;
            let width = be16(b, at + 5).ok_or(CUT)?;
            return Ok((width, height));
        }
        at += len;
    }
}

fn read_gif(b: &[u8]) -> Result<(u32, u32), &'static str> {
    // Header (6), logical screen width and height (2 + 2), flags, background, aspect.
    if b.len() < 13 {
        return Err("the logical screen descriptor is cut short");
    }
    let width = le16(b, 6).ok_or("cut short")?;
    let height = le16(b, 8).ok_or("cut short")?;
    Ok((width, height))
}

fn read_webp(b: &[u8]) -> Result<(u32, u32), &'static str> {
    const CUT: &str = "the file ends inside the first chunk";
    let riff = usize::try_from(le32(b, 4).ok_or(CUT)?).map_err(|_| CUT)?;
    if riff.checked_add(8).is_none_or(|n| n > b.len()) {
        return Err("the file is shorter than its RIFF header says");
    }
    let chunk = b.get(12..16).ok_or(CUT)?;
    let data = 20;
    match chunk {
        b"VP8 " => {
            // Frame tag (3), start code 9D 01 2A, then 14-bit width and height.
            if b.get(data + 3..data + 6) != Some(&[0x9D, 0x01, 0x2A]) {
                return Err("no VP8 key frame start code");
            }
            let w = le16(b, data + 6).ok_or(CUT)? & 0x3FFF;
            let h = le16(b, data + 8).ok_or(CUT)? & 0x3FFF;
            Ok((w, h))
        }
        b"VP8L" => {
            if b.get(data) != Some(&0x2F) {
                return Err("no VP8L signature");
            }
            let bits = le32(b, data + 1).ok_or(CUT)?;
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let w = le24(b, data + 4).ok_or(CUT)? + 1;
            let h = le24(b, data + 7).ok_or(CUT)? + 1;
            Ok((w, h))
        }
        _ => Err("the first chunk is not VP8, VP8L or VP8X"),
    }
}

#[cfg(test)]
pub(crate) mod samples {
    //! Minimal well-formed headers of each format, built byte by byte.

    /// A PNG of `w` × `h`: signature, IHDR, one empty IDAT, IEND (CRCs are not checked).
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = super::PNG_SIGNATURE.to_vec();
        let chunk = |b: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
            b.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
            b.extend_from_slice(kind);
            b.extend_from_slice(data);
            b.extend_from_slice(&[0; 4]);
        };
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        chunk(&mut b, b"IHDR", &ihdr);
        chunk(&mut b, b"IDAT", &[0x78, 0x9C]);
        chunk(&mut b, b"IEND", &[]);
        b
    }

    /// A JPEG of `w` × `h`: SOI, an APP0 segment, SOF0, SOS, EOI.
    pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        b.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 0x08]);
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&[0x01, 0x01, 0x11, 0x00]);
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    /// A GIF of `w` × `h`: header, logical screen, trailer.
    pub fn gif(w: u16, h: u16) -> Vec<u8> {
        let mut b = b"GIF89a".to_vec();
        b.extend_from_slice(&w.to_le_bytes());
        b.extend_from_slice(&h.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0, 0x3B]);
        b
    }

    /// A WebP with the given first chunk and its data.
    pub fn webp(chunk: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        body.extend_from_slice(chunk);
        body.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_le_bytes());
        body.extend_from_slice(data);
        let mut b = b"RIFF".to_vec();
        b.extend_from_slice(&u32::try_from(body.len()).unwrap_or(0).to_le_bytes());
        b.extend_from_slice(&body);
        b
    }

    /// A lossy WebP of `w` × `h`.
    pub fn webp_vp8(w: u16, h: u16) -> Vec<u8> {
        let mut d = vec![0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A];
        d.extend_from_slice(&w.to_le_bytes());
        d.extend_from_slice(&h.to_le_bytes());
        d.extend_from_slice(&[0; 6]);
        webp(b"VP8 ", &d)
    }

    /// A lossless WebP of `w` × `h` (1 to 16384).
    pub fn webp_vp8l(w: u32, h: u32) -> Vec<u8> {
        let bits = (w - 1) | ((h - 1) << 14);
        let mut d = vec![0x2F];
        d.extend_from_slice(&bits.to_le_bytes());
        webp(b"VP8L", &d)
    }

    /// An extended WebP with a `w` × `h` canvas.
    pub fn webp_vp8x(w: u32, h: u32) -> Vec<u8> {
        let mut d = vec![0, 0, 0, 0];
        d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        webp(b"VP8X", &d)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::samples::*;
    use super::*;

    fn info(kind: ImageKind, width: u32, height: u32) -> Result<ImageInfo, ImageError> {
        Ok(ImageInfo {
            kind,
            width,
            height,
        })
    }

    #[test]
    fn each_format_reads_its_dimensions() {
        assert_eq!(inspect(&png(640, 480)), info(ImageKind::Png, 640, 480));
        assert_eq!(inspect(&jpeg(800, 600)), info(ImageKind::Jpeg, 800, 600));
        assert_eq!(inspect(&gif(32, 16)), info(ImageKind::Gif, 32, 16));
        assert_eq!(
            inspect(&webp_vp8(300, 200)),
            info(ImageKind::Webp, 300, 200)
        );
        assert_eq!(inspect(&webp_vp8l(1, 4096)), info(ImageKind::Webp, 1, 4096));
        assert_eq!(
            inspect(&webp_vp8x(1000, 900)),
            info(ImageKind::Webp, 1000, 900)
        );
        // Fill bytes before a JPEG marker are allowed.
        let mut filled = jpeg(10, 20);
        filled.insert(2, 0xFF);
        assert_eq!(inspect(&filled), info(ImageKind::Jpeg, 10, 20));
    }

    #[test]
    fn other_formats_are_unsupported() {
        for bytes in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"<?xml version=\"1.0\"?><svg/>",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
            b"\x7fELF\x02\x01\x01\x00",
            b"BM\x00\x00",
            b"",
            b"RIFF\x10\x00\x00\x00WAVEfmt ",
        ] {
            assert_eq!(inspect(bytes), Err(ImageError::Unsupported), "{bytes:?}");
        }
    }

    #[test]
    fn truncated_and_broken_headers_are_bad() {
        let p = png(10, 10);
        for cut in [8, 20, 30, p.len() - 1] {
            assert!(
                matches!(inspect(&p[..cut]), Err(ImageError::Bad { kind: "PNG", .. })),
                "{cut}"
            );
        }
        let j = jpeg(10, 10);
        for cut in [3, 10, 22] {
            assert!(
                matches!(
                    inspect(&j[..cut]),
                    Err(ImageError::Bad { kind: "JPEG", .. })
                ),
                "{cut}"
            );
        }
        // SOS before any frame header.
        let sos_first = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02];
        assert!(matches!(inspect(&sos_first), Err(ImageError::Bad { .. })));
        assert!(matches!(
            inspect(&gif(1, 1)[..10]),
            Err(ImageError::Bad { .. })
        ));
        let w = webp_vp8(10, 10);
        assert!(matches!(
            inspect(&w[..w.len() - 1]),
            Err(ImageError::Bad { kind: "WebP", .. })
        ));
        assert!(matches!(inspect(&png(0, 10)), Err(ImageError::Bad { .. })));
        assert!(matches!(inspect(&gif(10, 0)), Err(ImageError::Bad { .. })));
    }

    #[test]
    fn dimensions_over_the_limits_are_too_large() {
        assert_eq!(
            inspect(&png(30_000, 30_000)),
            Err(ImageError::TooLarge {
                width: 30_000,
                height: 30_000
            })
        );
        assert!(matches!(
            inspect(&jpeg(4097, 1)),
            Err(ImageError::TooLarge { .. })
        ));
        assert!(matches!(
            inspect(&gif(65_535, 65_535)),
            Err(ImageError::TooLarge { .. })
        ));
        assert!(matches!(
            inspect(&webp_vp8x(16_384, 16_384)),
            Err(ImageError::TooLarge { .. })
        ));
        // 4096 × 4096 is within each side but over the pixel count.
        assert!(matches!(
            inspect(&png(4096, 4096)),
            Err(ImageError::TooLarge { .. })
        ));
        assert_eq!(inspect(&png(4096, 3906)), info(ImageKind::Png, 4096, 3906));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = inspect(&bytes);
        }

        #[test]
        fn random_bytes_after_each_magic_never_panic(
            magic in 0usize..6,
            tail in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut bytes = match magic {
                0 => PNG_SIGNATURE.to_vec(),
                1 => vec![0xFF, 0xD8, 0xFF],
                2 => b"GIF89a".to_vec(),
                3 => b"RIFF\xff\xff\xff\x7fWEBPVP8 ".to_vec(),
                4 => b"RIFF\x00\x00\x00\x00WEBPVP8X".to_vec(),
                _ => png(5, 5)[..33].to_vec(),
            };
            bytes.extend_from_slice(&tail);
            if let Ok(i) = inspect(&bytes) {
                prop_assert!(i.width >= 1 && i.width <= MAX_SIDE);
                prop_assert!(i.height >= 1 && i.height <= MAX_SIDE);
            }
        }

        #[test]
        fn every_cut_of_a_valid_png_is_refused_or_whole(cut in 0usize..60) {
            let p = png(7, 9);
            let r = inspect(&p[..cut.min(p.len())]);
            prop_assert!(cut >= p.len() || r.is_err());
        }
    }
}

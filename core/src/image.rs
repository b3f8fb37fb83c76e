//! Uploaded photos (product images, claim photos): what the server accepts is
//! judged by the bytes, not by what the upload says it is.

/// The largest image accepted: a phone photo resized for a shop page.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefusal {
    #[error("the body is empty: send the image bytes")]
    Empty,
    #[error("at most {max} MiB ({size} bytes sent)", max = MAX_IMAGE_BYTES / 1024 / 1024, size = .0)]
    TooLarge(usize),
    #[error("only JPEG, PNG or WebP images")]
    NotAnImage,
    #[error("the bytes are {0}; send Content-Type: {0}")]
    Mislabelled(&'static str),
}

impl ImageRefusal {
    pub fn message_zh(&self) -> String {
        match self {
            ImageRefusal::Empty => "请选择图片".into(),
            ImageRefusal::TooLarge(n) => format!(
                "图片不能超过 {} MB（当前 {:.1} MB）",
                MAX_IMAGE_BYTES / 1024 / 1024,
                *n as f64 / 1048576.0
            ),
            ImageRefusal::NotAnImage => "只接受 JPEG、PNG 或 WebP 图片".into(),
            ImageRefusal::Mislabelled(kind) => format!("文件内容是 {kind}，与声明的类型不符"),
        }
    }
}

/// The image type its first bytes say, whatever the upload claimed.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

/// Checks an upload: a JPEG, PNG or WebP (by its bytes, and as `declared`, a
/// Content-Type) of at most `MAX_IMAGE_BYTES`; answers its content type.
pub fn check_image(declared: Option<&str>, bytes: &[u8]) -> Result<&'static str, ImageRefusal> {
    if bytes.is_empty() {
        return Err(ImageRefusal::Empty);
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageRefusal::TooLarge(bytes.len()));
    }
    let kind = sniff(bytes).ok_or(ImageRefusal::NotAnImage)?;
    let declared = declared.map(|d| d.split(';').next().unwrap_or("").trim());
    if declared != Some(kind) {
        return Err(ImageRefusal::Mislabelled(kind));
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_judged_by_its_bytes_and_size() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];
        assert_eq!(check_image(Some("image/png"), &png).ok(), Some("image/png"));
        assert!(
            check_image(Some("image/jpeg"), &png).is_err(),
            "declared wrong"
        );
        assert!(check_image(Some("image/png"), b"GIF89a....").is_err());
        assert!(check_image(Some("image/png"), b"").is_err());
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(check_image(Some("image/jpeg"), &big).is_err());
        big.truncate(MAX_IMAGE_BYTES);
        assert_eq!(
            check_image(Some("image/jpeg"), &big).ok(),
            Some("image/jpeg")
        );
    }
}

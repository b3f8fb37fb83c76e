//! The automerge sync message inside a `Sync` frame, decoded with limits before
//! anything applies it. automerge's own decoder checks the layout; the limits here
//! keep a hostile peer from making the receiver loop or allocate without bound (a
//! Bloom filter's probe count drives a loop and an allocation, and a filter with
//! zero bits per entry divides by zero when it is read).

use automerge::sync::Message;

/// At most this many head hashes, and as many "need" hashes, in one message.
/// (A point-day has a few writers, so its heads are a handful.)
pub const MAX_HASHES: usize = 1024;
/// automerge sends one `have` entry; a few are tolerated.
pub const MAX_HAVES: usize = 4;
/// Changes in one message (a V1 message carries one chunk per change).
pub const MAX_CHUNKS: usize = 10_000;
/// automerge writes 7 probes and 10 bits per entry; anything above these is hostile.
pub const MAX_BLOOM_PROBES: u64 = 64;
pub const MAX_BLOOM_BITS_PER_ENTRY: u64 = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncMessageError {
    #[error("the sync message does not decode: {0}")]
    Decode(String),
    #[error("the sync message has {count} {what}, more than the {max} allowed")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    #[error("the sync message's Bloom filter is malformed: {0}")]
    BadBloom(&'static str),
}

/// Decodes a sync message and checks it against the limits above.
pub fn decode_sync_message(bytes: &[u8]) -> Result<Message, SyncMessageError> {
    let message = Message::decode(bytes).map_err(|e| SyncMessageError::Decode(e.to_string()))?;
    let counts = [
        ("heads", message.heads.len(), MAX_HASHES),
        ("needed hashes", message.need.len(), MAX_HASHES),
        ("have entries", message.have.len(), MAX_HAVES),
        ("change chunks", message.changes.len(), MAX_CHUNKS),
    ];
    for (what, count, max) in counts {
        if count > max {
            return Err(SyncMessageError::TooMany { what, count, max });
        }
    }
    for have in &message.have {
        if have.last_sync.len() > MAX_HASHES {
            return Err(SyncMessageError::TooMany {
                what: "last-sync hashes",
                count: have.last_sync.len(),
                max: MAX_HASHES,
            });
        }
        check_bloom(&have.bloom.to_bytes())?;
    }
    Ok(message)
}

/// A filter's bytes are empty (no entries) or
/// `entries:leb128 | bits_per_entry:leb128 | probes:leb128 | bits`.
fn check_bloom(bytes: &[u8]) -> Result<(), SyncMessageError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let mut rest = bytes;
    let _entries = leb128(&mut rest)?;
    let bits_per_entry = leb128(&mut rest)?;
    let probes = leb128(&mut rest)?;
    if !(1..=MAX_BLOOM_BITS_PER_ENTRY).contains(&bits_per_entry) {
        return Err(SyncMessageError::BadBloom(
            "bits per entry must be between 1 and 64",
        ));
    }
    if !(1..=MAX_BLOOM_PROBES).contains(&probes) {
        return Err(SyncMessageError::BadBloom(
            "probes must be between 1 and 64",
        ));
    }
    if rest.is_empty() {
        return Err(SyncMessageError::BadBloom("it has entries but no bits"));
    }
    Ok(())
}

fn leb128(rest: &mut &[u8]) -> Result<u64, SyncMessageError> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&byte, tail) = rest
            .split_first()
            .ok_or(SyncMessageError::BadBloom("a number is cut short"))?;
        *rest = tail;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(SyncMessageError::BadBloom("a number is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;

    fn leb(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// A V1 message with no heads, no need, one `have` with the given Bloom filter
    /// bytes, and no changes.
    fn message_with_bloom(bloom: &[u8]) -> Vec<u8> {
        let mut m = vec![0x42, 0, 0, 1, 0];
        leb(&mut m, bloom.len() as u64);
        m.extend_from_slice(bloom);
        m.push(0);
        m
    }

    #[test]
    fn a_real_message_passes() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        let msg = doc
            .sync()
            .generate_sync_message(&mut automerge::sync::State::new())
            .unwrap();
        let bytes = msg.clone().encode();
        assert_eq!(decode_sync_message(&bytes).unwrap(), msg);
        // The hand-built layout below is what automerge reads.
        assert!(decode_sync_message(&message_with_bloom(&[])).is_ok());
    }

    #[test]
    fn garbage_and_cut_messages_are_refused() {
        assert!(matches!(
            decode_sync_message(b"hello"),
            Err(SyncMessageError::Decode(_))
        ));
        assert!(matches!(
            decode_sync_message(&[]),
            Err(SyncMessageError::Decode(_))
        ));
    }

    #[test]
    fn hostile_bloom_filters_are_refused_before_use() {
        let mut zero_bits = Vec::new();
        for v in [1, 0, 7] {
            leb(&mut zero_bits, v);
        }
        let e = decode_sync_message(&message_with_bloom(&zero_bits)).unwrap_err();
        assert_eq!(
            e,
            SyncMessageError::BadBloom("bits per entry must be between 1 and 64")
        );

        let mut endless = Vec::new();
        for v in [1, 10, u64::from(u32::MAX)] {
            leb(&mut endless, v);
        }
        endless.extend_from_slice(&[0xFF; 2]);
        let e = decode_sync_message(&message_with_bloom(&endless)).unwrap_err();
        assert_eq!(
            e,
            SyncMessageError::BadBloom("probes must be between 1 and 64")
        );
    }

    #[test]
    fn too_many_heads_are_refused() {
        let mut m = vec![0x42];
        leb(&mut m, (MAX_HASHES + 1) as u64);
        m.extend(std::iter::repeat_n(7u8, 32 * (MAX_HASHES + 1)));
        m.extend_from_slice(&[0, 0, 0]);
        assert_eq!(
            decode_sync_message(&m),
            Err(SyncMessageError::TooMany {
                what: "heads",
                count: MAX_HASHES + 1,
                max: MAX_HASHES
            })
        );
    }
}

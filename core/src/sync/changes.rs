//! The changes of one sync message as one stream of records (decision 0011).
//!
//! automerge 0.12 sends the changes a peer lacks either one chunk per change, each
//! naming its dependencies by 32-byte hash, or, past a third of the document, the
//! whole document. After a week offline the first sends ~40 bytes of hashes and
//! checksum per change that no compressor can shrink, the second sends what the
//! peer already holds. Here the change chunks are rewritten so that a dependency on
//! a change earlier in the same stream is a back-reference (one byte, mostly) and
//! the checksum (recomputed by the receiver) is dropped. The socket compresses the
//! records with everything else it carries (`socket_codec`, decision 0014). The
//! receiver rebuilds the exact chunks, so their hashes are the sender's, and hands
//! them to automerge as plain (uncompressed) change chunks: automerge never
//! inflates anything a peer sent.
//!
//! ```text
//! stream  = record*
//! record  = dep_count:uleb | dep* | rest_len:uleb | rest
//! dep     = 0:uleb | hash:32          a change the stream does not hold
//!         | back:uleb (> 0)           the change `back` records earlier
//! chunk   = magic:4 | sha256(1 | uleb(len) | data)[..4] | 1 | uleb(len) | data
//! data    = dep_count:uleb | hash* | rest
//! ```
//!
//! Decoding refuses, with an error and before allocating it, anything that would
//! rebuild to more than `MAX_CHANGE_BYTES` (back-references are 1 byte in and 32
//! out), more than `MAX_CHANGES` changes, or a back-reference to a change the
//! stream has not held.

use sha2::{Digest, Sha256};

/// The most bytes one message's changes may rebuild to. A 500-order day written the
/// way the server writes it is about 200 KB of changes; a week of a busy point's
/// changes about 1.5 MB.
pub const MAX_CHANGE_BYTES: usize = 32 * 1024 * 1024;
/// The most changes one message may carry.
pub const MAX_CHANGES: usize = 100_000;
/// The most dependencies one change may name (a point-day has a few writers).
pub const MAX_DEPS: usize = 1024;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHANGE_CHUNK: u8 = 1;
const HASH_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangesError {
    #[error("the changes rebuild to more than {max} bytes")]
    RebuiltTooLarge { max: usize },
    #[error("the changes hold more than {max} changes")]
    TooMany { max: usize },
    #[error("change {index} names {count} dependencies, more than the {max} allowed")]
    TooManyDeps {
        index: usize,
        count: usize,
        max: usize,
    },
    #[error("change {index} refers back {back} changes, past the start of the stream")]
    BadBackReference { index: usize, back: u64 },
    #[error("the changes end inside change {index}'s {field}")]
    Truncated { index: usize, field: &'static str },
    #[error("a chunk to send is not a plain automerge change chunk: {0}")]
    NotAChange(&'static str),
}

/// Rewrites concatenated automerge change chunks (as `Change::raw_bytes` gives
/// them) as a stream. Fails only on bytes that are not plain change chunks, which
/// is a bug on the sending side.
pub fn encode_changes(chunks: &[u8]) -> Result<Vec<u8>, ChangesError> {
    let mut records = Vec::with_capacity(chunks.len());
    let mut seen: std::collections::HashMap<[u8; HASH_LEN], usize> = Default::default();
    let mut rest = chunks;
    let mut index = 0usize;
    while !rest.is_empty() {
        let (data, tail) = split_chunk(rest)?;
        rest = tail;
        let mut r = data;
        let count_start = r;
        let count = uleb(&mut r).ok_or(ChangesError::NotAChange("no dependency count"))?;
        records.extend_from_slice(&count_start[..count_start.len() - r.len()]);
        for _ in 0..count {
            let (hash, tail) = r
                .split_first_chunk::<HASH_LEN>()
                .ok_or(ChangesError::NotAChange("cut inside a dependency"))?;
            r = tail;
            match seen.get(hash) {
                Some(at) => put_uleb(&mut records, (index - at) as u64),
                None => {
                    put_uleb(&mut records, 0);
                    records.extend_from_slice(hash);
                }
            }
        }
        put_uleb(&mut records, r.len() as u64);
        records.extend_from_slice(r);
        seen.insert(change_hash(data), index);
        index += 1;
    }
    Ok(records)
}

/// Rebuilds the concatenated change chunks from a stream, within the limits.
pub fn decode_changes(stream: &[u8]) -> Result<Vec<u8>, ChangesError> {
    let mut out = Vec::with_capacity(stream.len().saturating_mul(2).min(MAX_CHANGE_BYTES));
    let mut hashes: Vec<[u8; HASH_LEN]> = Vec::new();
    let mut r = stream;
    let mut data = Vec::new();
    while !r.is_empty() {
        let index = hashes.len();
        if index >= MAX_CHANGES {
            return Err(ChangesError::TooMany { max: MAX_CHANGES });
        }
        let cut = |field| ChangesError::Truncated { index, field };
        data.clear();
        let count_start = r;
        let count = uleb(&mut r).ok_or(cut("dependency count"))?;
        if count > MAX_DEPS as u64 {
            return Err(ChangesError::TooManyDeps {
                index,
                count: usize::try_from(count).unwrap_or(usize::MAX),
                max: MAX_DEPS,
            });
        }
        data.extend_from_slice(&count_start[..count_start.len() - r.len()]);
        for _ in 0..count {
            let back = uleb(&mut r).ok_or(cut("dependency"))?;
            if back == 0 {
                let (hash, tail) = r
                    .split_first_chunk::<HASH_LEN>()
                    .ok_or(cut("dependency hash"))?;
                r = tail;
                data.extend_from_slice(hash);
            } else {
                let at = usize::try_from(back)
                    .ok()
                    .and_then(|b| index.checked_sub(b))
                    .ok_or(ChangesError::BadBackReference { index, back })?;
                data.extend_from_slice(&hashes[at]);
            }
        }
        let len = uleb(&mut r).ok_or(cut("length"))?;
        let (body, tail) = usize::try_from(len)
            .ok()
            .and_then(|n| r.split_at_checked(n))
            .ok_or(cut("body"))?;
        r = tail;
        data.extend_from_slice(body);
        let hash = change_hash(&data);
        if out.len() + data.len() + 32 > MAX_CHANGE_BYTES {
            return Err(ChangesError::RebuiltTooLarge {
                max: MAX_CHANGE_BYTES,
            });
        }
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&hash[..4]);
        out.push(CHANGE_CHUNK);
        put_uleb(&mut out, data.len() as u64);
        out.extend_from_slice(&data);
        hashes.push(hash);
    }
    Ok(out)
}

/// The data of the first chunk (which must be a plain change) and what follows it.
fn split_chunk(bytes: &[u8]) -> Result<(&[u8], &[u8]), ChangesError> {
    let (magic, r) = bytes
        .split_first_chunk::<4>()
        .ok_or(ChangesError::NotAChange("too short for a chunk header"))?;
    if *magic != MAGIC {
        return Err(ChangesError::NotAChange("no automerge magic bytes"));
    }
    let (_checksum, r) = r
        .split_first_chunk::<4>()
        .ok_or(ChangesError::NotAChange("too short for a chunk header"))?;
    let (&kind, mut r) = r
        .split_first()
        .ok_or(ChangesError::NotAChange("too short for a chunk header"))?;
    if kind != CHANGE_CHUNK {
        return Err(ChangesError::NotAChange(
            "a document, bundle or compressed chunk",
        ));
    }
    let len = uleb(&mut r).ok_or(ChangesError::NotAChange("no chunk length"))?;
    usize::try_from(len)
        .ok()
        .and_then(|n| r.split_at_checked(n))
        .ok_or(ChangesError::NotAChange("shorter than its length"))
}

/// The change's hash as automerge computes it: over the chunk type, length and data.
fn change_hash(data: &[u8]) -> [u8; HASH_LEN] {
    let mut h = Sha256::new();
    let mut head = vec![CHANGE_CHUNK];
    put_uleb(&mut head, data.len() as u64);
    h.update(&head);
    h.update(data);
    h.finalize().into()
}

/// An unsigned LEB128 number from the front of `rest` (at most 10 bytes).
pub(super) fn uleb(rest: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let (&byte, tail) = rest.split_first()?;
        *rest = tail;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

pub(super) fn put_uleb(out: &mut Vec<u8>, mut v: u64) {
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

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;

//! The payload of a `Sync` frame: an automerge sync message, decoded with limits
//! before anything applies it, its changes carried as one stream of records
//! (`changes`, decision 0011; the socket compresses it, decision 0014).
//!
//! ```text
//! payload = header_len:uleb | automerge sync message without changes | stream?
//! ```
//!
//! automerge's own decoder checks the layout; the limits here keep a hostile peer
//! from making the receiver loop or allocate without bound (a Bloom filter's probe
//! count drives a loop and an allocation, a filter with zero bits per entry divides
//! by zero when it is read, and back-references could rebuild without end).

use automerge::sync::{ChunkList, Message, State, SyncDoc};
use automerge::AutoCommit;

use super::changes::{decode_changes, encode_changes, put_uleb, uleb, ChangesError};

/// At most this many head hashes, and as many "need" hashes, in one message.
/// (A point-day has a few writers, so its heads are a handful.)
pub const MAX_HASHES: usize = 1024;
/// automerge sends one `have` entry; a few are tolerated.
pub const MAX_HAVES: usize = 4;
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
    #[error("the sync message's changes are refused: {0}")]
    Changes(#[from] ChangesError),
    #[error("the sync message carries change chunks outside its stream of records")]
    LooseChanges,
}

/// The next message for the peer, as a payload, or `None` when there is nothing to
/// say. automerge 0.12 would send the whole document once more than a third of its
/// changes are to go (a V2 message), orders the peer already holds included; with
/// no capabilities on record for the peer it sends exactly the changes the peer
/// lacks, as change chunks, which `encode_sync_message` packs into one stream. The
/// capabilities are per connection (every received message sets them again), so
/// nothing persisted changes.
pub fn generate_sync_message(
    doc: &mut AutoCommit,
    state: &mut State,
) -> Result<Option<Vec<u8>>, SyncMessageError> {
    state.their_capabilities = None;
    doc.sync()
        .generate_sync_message(state)
        .map(encode_sync_message)
        .transpose()
}

/// A message as a payload: its changes as one stream after the rest.
pub fn encode_sync_message(mut message: Message) -> Result<Vec<u8>, SyncMessageError> {
    let chunks: Vec<u8> = message.changes.iter().flatten().copied().collect();
    message.changes = ChunkList::empty();
    let header = message.encode();
    let mut out = Vec::with_capacity(header.len() + chunks.len() / 2 + 8);
    put_uleb(&mut out, header.len() as u64);
    out.extend_from_slice(&header);
    if !chunks.is_empty() {
        out.extend_from_slice(&encode_changes(&chunks)?);
    }
    Ok(out)
}

/// Decodes a payload into the automerge message to apply, checked against the
/// limits above and `changes`' own; its changes are plain change chunks.
pub fn decode_sync_message(bytes: &[u8]) -> Result<Message, SyncMessageError> {
    let mut rest = bytes;
    let header = uleb(&mut rest)
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| rest.split_at_checked(n))
        .ok_or_else(|| SyncMessageError::Decode("the header length is cut or too long".into()))?;
    let (header, stream) = header;
    let mut message = decode_header(header)?;
    if !stream.is_empty() {
        message.changes = ChunkList::from(decode_changes(stream)?);
    }
    Ok(message)
}

fn decode_header(bytes: &[u8]) -> Result<Message, SyncMessageError> {
    let message = Message::decode(bytes).map_err(|e| SyncMessageError::Decode(e.to_string()))?;
    if !message.changes.is_empty() {
        return Err(SyncMessageError::LooseChanges);
    }
    let counts = [
        ("heads", message.heads.len(), MAX_HASHES),
        ("needed hashes", message.need.len(), MAX_HASHES),
        ("have entries", message.have.len(), MAX_HAVES),
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
    uleb(rest).ok_or(SyncMessageError::BadBloom(
        "a number is cut short or too long",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::ReadDoc;

    fn leb(out: &mut Vec<u8>, v: u64) {
        put_uleb(out, v)
    }

    /// A payload around a hand-built automerge message.
    fn payload(header: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        leb(&mut m, header.len() as u64);
        m.extend_from_slice(header);
        m
    }

    /// A V1 message with no heads, no need, one `have` with the given Bloom filter
    /// bytes, and no changes, as a payload.
    fn message_with_bloom(bloom: &[u8]) -> Vec<u8> {
        let mut m = vec![0x42, 0, 0, 1, 0];
        leb(&mut m, bloom.len() as u64);
        m.extend_from_slice(bloom);
        m.push(0);
        payload(&m)
    }

    #[test]
    fn a_real_message_passes() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        let bytes = generate_sync_message(&mut doc, &mut State::new())
            .unwrap()
            .unwrap();
        let msg = decode_sync_message(&bytes).unwrap();
        assert_eq!(msg.heads, doc.get_heads());
        // The hand-built layout below is what automerge reads.
        assert!(decode_sync_message(&message_with_bloom(&[])).is_ok());
    }

    /// Plain change chunks in concatenated chunk bytes.
    fn count_changes(mut bytes: &[u8]) -> usize {
        let mut n = 0;
        while !bytes.is_empty() {
            assert_eq!(bytes[8], 1, "a change chunk");
            let mut rest = &bytes[9..];
            let len = uleb(&mut rest).unwrap() as usize;
            bytes = &rest[len..];
            n += 1;
        }
        n
    }

    /// Syncs `a` with `b` through payloads until both are quiet; the changes that
    /// went from `a` to `b`.
    fn exchange(a: &mut AutoCommit, sa: &mut State, b: &mut AutoCommit, sb: &mut State) -> usize {
        let mut a_to_b = 0;
        for _ in 0..10 {
            let m1 = generate_sync_message(a, sa).unwrap();
            if let Some(m) = &m1 {
                let m = decode_sync_message(m).unwrap();
                a_to_b += m.changes.iter().map(count_changes).sum::<usize>();
                b.sync().receive_sync_message(sb, m).unwrap();
            }
            let m2 = generate_sync_message(b, sb).unwrap();
            if let Some(m) = &m2 {
                a.sync()
                    .receive_sync_message(sa, decode_sync_message(m).unwrap())
                    .unwrap();
            }
            if m1.is_none() && m2.is_none() {
                return a_to_b;
            }
        }
        panic!("the peers did not go quiet");
    }

    fn add(doc: &mut AutoCommit, from: usize, n: usize) {
        for i in from..from + n {
            doc.put(automerge::ROOT, format!("order-{i}"), format!("placed {i}"))
                .unwrap();
            doc.commit();
        }
    }

    #[test]
    fn a_peer_back_after_a_long_time_gets_only_what_it_lacks_and_converges() {
        let mut server = AutoCommit::new();
        add(&mut server, 0, 100);
        let mut device = AutoCommit::new();
        let (mut ss, mut ds) = (State::new(), State::new());
        assert_eq!(exchange(&mut server, &mut ss, &mut device, &mut ds), 100);
        assert_eq!(device.get_heads(), server.get_heads());
        // Both sides keep only the shared heads, as across a reconnect.
        let (mut ss, mut ds) = (
            State::decode(&ss.encode()).unwrap(),
            State::decode(&ds.encode()).unwrap(),
        );
        // Three quarters of the document are new: automerge alone would send the
        // whole document, the 100 entries the device holds included.
        add(&mut server, 100, 300);
        device.put(automerge::ROOT, "handover", "given").unwrap();
        device.commit();
        assert_eq!(exchange(&mut server, &mut ss, &mut device, &mut ds), 300);
        assert_eq!(device.get_heads(), server.get_heads());
        assert_eq!(device.length(automerge::ROOT), 401);
    }

    #[test]
    fn only_plain_change_chunks_cross_the_wire() {
        let mut server = AutoCommit::new();
        add(&mut server, 0, 50);
        let mut state = State::new();
        // A peer that advertised V2 support, as every automerge 0.12 peer does.
        state.their_capabilities = Some(vec![automerge::sync::Capability::MessageV2]);
        state.their_heads = Some(vec![]);
        state.their_have = Some(vec![automerge::sync::Have::default()]);
        state.their_need = Some(vec![]);
        let bytes = generate_sync_message(&mut server, &mut state)
            .unwrap()
            .unwrap();
        let msg = decode_sync_message(&bytes).unwrap();
        let chunks: Vec<u8> = msg.changes.iter().flatten().copied().collect();
        // Every rebuilt chunk is a change (type 1), not a document (type 0).
        assert_eq!(chunks[8], 1);
        assert_eq!(
            automerge::Automerge::load(&chunks).unwrap().get_heads(),
            server.get_heads()
        );
    }

    #[test]
    fn a_message_with_loose_change_chunks_is_refused() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "a", 1).unwrap();
        let raw = doc.sync().generate_sync_message(&mut State::new()).unwrap();
        let mut with_changes = raw.clone();
        with_changes.changes = ChunkList::from(doc.save());
        assert_eq!(
            decode_sync_message(&payload(&with_changes.encode())),
            Err(SyncMessageError::LooseChanges)
        );
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
        assert!(matches!(
            decode_sync_message(&payload(b"hello")),
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
            decode_sync_message(&payload(&m)),
            Err(SyncMessageError::TooMany {
                what: "heads",
                count: MAX_HASHES + 1,
                max: MAX_HASHES
            })
        );
    }
}

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ReadDoc};

use super::*;

/// `n` changes of one writer, each putting one order-sized value.
fn chunks(n: usize) -> (AutoCommit, Vec<u8>) {
    let mut doc = AutoCommit::new();
    for i in 0..n {
        let placed = format!(r#"{{"number":"1130-{i:04}","name":"王女士","lines":[["eggs",2]]}}"#);
        doc.put(automerge::ROOT, format!("order-{i}"), placed)
            .unwrap();
        doc.commit();
    }
    let raw = doc
        .get_changes(&[])
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    (doc, raw)
}

/// What the socket would carry for the same bytes (zstd, one frame).
fn compressed(bytes: &[u8]) -> usize {
    zstd::encode_all(bytes, 6).unwrap().len()
}

#[test]
fn changes_come_back_byte_for_byte_and_load() {
    let (mut doc, raw) = chunks(300);
    let rebuilt = decode_changes(&encode_changes(&raw).unwrap()).unwrap();
    assert_eq!(rebuilt, raw);
    let loaded = automerge::Automerge::load(&rebuilt).unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
    assert_eq!(loaded.length(automerge::ROOT), 300);
}

#[test]
fn back_references_take_the_hashes_out() {
    let (_, raw) = chunks(300);
    let ours = compressed(&encode_changes(&raw).unwrap());
    let plain = compressed(&raw);
    // 300 dependency hashes and checksums are ~10 KB that no compressor can shrink.
    assert!(
        ours * 3 < plain * 2,
        "{ours} bytes with back-references, {plain} compressed as they are"
    );
}

#[test]
fn a_dependency_outside_the_stream_travels_whole() {
    let (mut doc, _) = chunks(5);
    let heads = doc.get_heads();
    doc.put(automerge::ROOT, "late", "handover").unwrap();
    doc.commit();
    let raw: Vec<u8> = doc
        .get_changes(&heads)
        .iter()
        .flat_map(|c| c.raw_bytes().to_vec())
        .collect();
    assert_eq!(decode_changes(&encode_changes(&raw).unwrap()).unwrap(), raw);
}

#[test]
fn back_references_cannot_rebuild_past_the_limit() {
    // Each record names 1,024 copies of the change before it: 1 KB in, 32 KB out.
    let mut records = Vec::new();
    put_uleb(&mut records, 0);
    put_uleb(&mut records, 1);
    records.push(0);
    for _ in 0..1_100 {
        put_uleb(&mut records, MAX_DEPS as u64);
        records.extend(std::iter::repeat_n(1u8, MAX_DEPS));
        put_uleb(&mut records, 1);
        records.push(0);
    }
    assert_eq!(
        decode_changes(&records),
        Err(ChangesError::RebuiltTooLarge {
            max: MAX_CHANGE_BYTES
        })
    );
}

#[test]
fn hostile_records_are_refused_with_what_was_wrong() {
    let back_too_far = {
        let mut r = Vec::new();
        put_uleb(&mut r, 1);
        put_uleb(&mut r, 1);
        put_uleb(&mut r, 0);
        r
    };
    assert_eq!(
        decode_changes(&back_too_far),
        Err(ChangesError::BadBackReference { index: 0, back: 1 })
    );
    let cut = {
        let mut r = Vec::new();
        put_uleb(&mut r, 0);
        put_uleb(&mut r, 10);
        r.extend_from_slice(b"abc");
        r
    };
    assert_eq!(
        decode_changes(&cut),
        Err(ChangesError::Truncated {
            index: 0,
            field: "body"
        })
    );
    let many_deps = {
        let mut r = Vec::new();
        put_uleb(&mut r, MAX_DEPS as u64 + 1);
        r
    };
    assert!(matches!(
        decode_changes(&many_deps),
        Err(ChangesError::TooManyDeps { .. })
    ));
    assert!(matches!(
        decode_changes(&[0x05, 0xFF, 0xFF]),
        Err(ChangesError::Truncated { index: 0, .. })
    ));
    assert_eq!(decode_changes(&[]), Ok(Vec::new()));
}

#[test]
fn only_plain_change_chunks_are_sent() {
    let (mut doc, _) = chunks(3);
    assert_eq!(
        encode_changes(&doc.save()),
        Err(ChangesError::NotAChange(
            "a document, bundle or compressed chunk"
        ))
    );
    assert!(matches!(
        encode_changes(b"not a chunk at all"),
        Err(ChangesError::NotAChange(_))
    ));
}

use proptest::prelude::*;

use super::*;

const KEY: &str = "0190f1a2-3b4c-7d5e-8f60-718293a4b5c6/2026-11-22";

fn key() -> DocKey {
    DocKey::parse(KEY).unwrap()
}

/// One frame of every kind, as the session would send them.
fn samples() -> Vec<Frame> {
    vec![
        Frame::Hello {
            device: DeviceId::new(),
        },
        Frame::Challenge {
            nonce: Nonce::random(),
        },
        Frame::Proof {
            signature: ProofSignature::from_bytes([7; 64]),
        },
        Frame::Welcome {
            point: key().point(),
            docs: vec![key(), DocKey::for_day(key().point(), "2026-11-23").unwrap()],
        },
        Frame::Welcome {
            point: key().point(),
            docs: vec![],
        },
        Frame::DocAdded { doc: key() },
        Frame::Sync {
            doc: key(),
            message: vec![0x42, 1, 2, 3],
        },
        Frame::Refused {
            code: RefusalCode::ChangeNotAllowed,
            doc: Some(key()),
            reason: "设备不能修改订单".into(),
        },
        Frame::Refused {
            code: RefusalCode::RevokedDevice,
            doc: None,
            reason: String::new(),
        },
        Frame::Error {
            code: ErrorCode::Malformed,
            reason: "bad".into(),
        },
    ]
    .into_iter()
    .chain(super::super::pull::tests::pull_samples())
    .collect()
}

#[test]
fn every_kind_round_trips() {
    for f in samples() {
        let bytes = f.encode().unwrap();
        assert_eq!(bytes[0], VERSION);
        assert_eq!(Frame::decode(&bytes).unwrap(), f, "{}", f.name());
    }
}

#[test]
fn a_frame_cut_short_at_any_byte_is_never_taken_for_the_whole_frame() {
    for f in samples() {
        let bytes = f.encode().unwrap();
        for cut in 0..bytes.len() {
            match Frame::decode(&bytes[..cut]) {
                Err(_) => {}
                // Only a trailing free-length part (a sync message, a reason) can be
                // cut and still read; it then reads as a different frame.
                Ok(other) => {
                    assert_ne!(other, f, "{} cut at {cut}", f.name());
                    assert!(matches!(
                        f,
                        Frame::Sync { .. }
                            | Frame::Refused { .. }
                            | Frame::Error { .. }
                            | Frame::Pulled { .. }
                            | Frame::WithdrawAnswer { .. }
                    ));
                }
            }
        }
    }
}

#[test]
fn cut_inside_fixed_fields_names_the_field() {
    let bytes = Frame::Proof {
        signature: ProofSignature::from_bytes([1; 64]),
    }
    .encode()
    .unwrap();
    assert_eq!(
        Frame::decode(&bytes[..40]),
        Err(WireError::Truncated {
            frame: "Proof",
            field: "signature",
            needed: 64,
            left: 38
        })
    );
    let welcome = Frame::Welcome {
        point: key().point(),
        docs: vec![key(), key()],
    }
    .encode()
    .unwrap();
    let e = Frame::decode(&welcome[..welcome.len() - 1]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the Welcome frame ends before its document key (47 bytes needed, 46 left)"
    );
    assert_eq!(Frame::decode(&[]), Err(WireError::Empty));
    assert_eq!(Frame::decode(&[VERSION]), Err(WireError::NoKind));
}

#[test]
fn trailing_bytes_are_refused() {
    for f in samples() {
        if matches!(
            f,
            Frame::Sync { .. }
                | Frame::Refused { .. }
                | Frame::Error { .. }
                | Frame::Pulled { .. }
                | Frame::WithdrawAnswer { .. }
        ) {
            continue;
        }
        let mut bytes = f.encode().unwrap();
        bytes.push(0);
        assert_eq!(
            Frame::decode(&bytes),
            Err(WireError::TrailingBytes {
                frame: f.name(),
                count: 1
            })
        );
    }
}

#[test]
fn wrong_version_and_kind_are_refused() {
    let mut bytes = samples()[0].encode().unwrap();
    bytes[0] = 2;
    assert_eq!(Frame::decode(&bytes), Err(WireError::Version(2)));
    bytes[0] = VERSION;
    bytes[1] = 0x06;
    assert_eq!(Frame::decode(&bytes), Err(WireError::UnknownKind(0x06)));
    let e = Frame::decode(&[VERSION, 0x11, 200, 0]).unwrap_err();
    assert_eq!(e.to_string(), "200 is not a Refused code");
    let e = Frame::decode(&[VERSION, 0x7F, 0]).unwrap_err();
    assert_eq!(e.to_string(), "0 is not a Error code");
}

#[test]
fn oversized_frames_are_refused_both_ways() {
    let big = Frame::Sync {
        doc: key(),
        message: vec![0; MAX_FRAME_BYTES],
    };
    assert!(matches!(big.encode(), Err(WireError::TooLarge { .. })));
    let mut bytes = vec![VERSION, 0x10, 47];
    bytes.extend_from_slice(KEY.as_bytes());
    bytes.resize(MAX_FRAME_BYTES + 1, 0);
    assert_eq!(
        Frame::decode(&bytes),
        Err(WireError::TooLarge {
            len: MAX_FRAME_BYTES + 1,
            max: MAX_FRAME_BYTES
        })
    );
    // Exactly at the limit is fine.
    bytes.truncate(MAX_FRAME_BYTES);
    assert!(Frame::decode(&bytes).is_ok());

    let many = Frame::Welcome {
        point: key().point(),
        docs: vec![key(); MAX_WELCOME_DOCS + 1],
    };
    assert!(matches!(many.encode(), Err(WireError::TooManyDocs { .. })));
    let mut w = vec![VERSION, 0x04];
    w.extend_from_slice(key().point().0.as_bytes());
    w.extend_from_slice(&u16::MAX.to_be_bytes());
    assert_eq!(
        Frame::decode(&w),
        Err(WireError::TooManyDocs {
            count: u16::MAX as usize,
            max: MAX_WELCOME_DOCS
        })
    );

    let mut long = vec![VERSION, 0x7F, 1];
    long.resize(3 + MAX_REASON_BYTES + 1, b'a');
    assert!(matches!(
        Frame::decode(&long),
        Err(WireError::ReasonTooLong { .. })
    ));
    // A long reason is cut on encode, at a character boundary.
    let cut = Frame::Error {
        code: ErrorCode::Internal,
        reason: "错".repeat(MAX_REASON_BYTES),
    }
    .encode()
    .unwrap();
    match Frame::decode(&cut).unwrap() {
        Frame::Error { reason, .. } => {
            assert!(reason.len() <= MAX_REASON_BYTES && reason.len() > MAX_REASON_BYTES - 3)
        }
        other => panic!("{other:?}"),
    }
}

fn sync_with_key(raw: &[u8]) -> Vec<u8> {
    let mut b = vec![VERSION, 0x10, raw.len() as u8];
    b.extend_from_slice(raw);
    b.push(0x42);
    b
}

#[test]
fn bad_document_keys_are_refused() {
    let upper = KEY.to_uppercase();
    let e = Frame::decode(&sync_with_key(upper.as_bytes())).unwrap_err();
    assert!(
        matches!(e, WireError::BadDocKey { frame: "Sync", .. }),
        "{e}"
    );
    assert!(e.to_string().contains("one way a key is written"), "{e}");

    let e = Frame::decode(&sync_with_key(b"")).unwrap_err();
    assert_eq!(e, WireError::EmptyDocKey { frame: "Sync" });

    let mut not_utf8 = KEY.as_bytes().to_vec();
    not_utf8[3] = 0xFF;
    assert_eq!(
        Frame::decode(&sync_with_key(&not_utf8)),
        Err(WireError::DocKeyNotUtf8 { frame: "Sync" })
    );

    let e = Frame::decode(&sync_with_key(b"../../etc/passwd")).unwrap_err();
    assert!(e.to_string().contains("not 47 characters"), "{e}");

    let mut no_message = sync_with_key(KEY.as_bytes());
    no_message.pop();
    assert_eq!(Frame::decode(&no_message), Err(WireError::EmptySyncMessage));
}

#[test]
fn a_saved_500_order_day_fits_a_frame_with_room() {
    use crate::demo::{sample_day_doc, sample_orders, SampleCatalog};
    let catalog = SampleCatalog::new(1);
    let code_key = crate::pickup_code::CodeKey::from_bytes([3; 32]);
    let orders = sample_orders(
        &catalog,
        &code_key,
        crate::time::Millis(1_795_312_000_000),
        500,
        2,
    );
    let mut doc = sample_day_doc(key().point(), "2026-11-22", &orders).unwrap();
    let batched = doc.save().len();
    // As the server writes it: one change per order.
    let mut doc = crate::doc::PointDayDoc::genesis(key().point(), "2026-11-22").unwrap();
    for o in &orders {
        doc.put_order(&o.facts).unwrap();
        doc.automerge().commit();
    }
    let saved = doc.save();
    let frame = Frame::Sync {
        doc: key(),
        message: saved.clone(),
    }
    .encode()
    .unwrap();
    // Measured: see MAX_FRAME_BYTES. Room for at least 8 such days in one frame.
    assert!(frame.len() * 8 < MAX_FRAME_BYTES, "{} bytes", frame.len());
    eprintln!(
        "a saved 500-order day: {} bytes (one change per order), {batched} bytes (one change)",
        saved.len()
    );
}

fn any_key() -> impl Strategy<Value = DocKey> {
    (any::<u128>(), 0u64..(365 * 3000)).prop_map(|(p, d)| {
        let day = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(d);
        DocKey::new(PointId(uuid::Uuid::from_u128(p)), day).unwrap()
    })
}

fn any_frame() -> impl Strategy<Value = Frame> {
    let reason = "\\PC{0,200}";
    prop_oneof![
        any::<u128>().prop_map(|d| Frame::Hello {
            device: DeviceId(uuid::Uuid::from_u128(d))
        }),
        any::<[u8; 32]>().prop_map(|n| Frame::Challenge {
            nonce: Nonce::from_bytes(n)
        }),
        (any::<[u8; 32]>(), any::<[u8; 32]>()).prop_map(|(a, b)| {
            let mut s = [0u8; 64];
            s[..32].copy_from_slice(&a);
            s[32..].copy_from_slice(&b);
            Frame::Proof {
                signature: ProofSignature::from_bytes(s),
            }
        }),
        (any::<u128>(), prop::collection::vec(any_key(), 0..20)).prop_map(|(p, docs)| {
            Frame::Welcome {
                point: PointId(uuid::Uuid::from_u128(p)),
                docs,
            }
        }),
        any_key().prop_map(|doc| Frame::DocAdded { doc }),
        (any_key(), prop::collection::vec(any::<u8>(), 1..300))
            .prop_map(|(doc, message)| Frame::Sync { doc, message }),
        (
            prop::sample::select(RefusalCode::ALL),
            prop::option::of(any_key()),
            reason
        )
            .prop_map(|(code, doc, reason)| Frame::Refused { code, doc, reason }),
        (prop::sample::select(ErrorCode::ALL), reason)
            .prop_map(|(code, reason)| Frame::Error { code, reason }),
        super::super::pull::tests::any_pull_frame(),
    ]
}

proptest! {
    #[test]
    fn any_frame_round_trips(f in any_frame()) {
        let bytes = f.encode().unwrap();
        prop_assert_eq!(Frame::decode(&bytes).unwrap(), f);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Frame::decode(&bytes);
    }

    /// Random bodies behind a valid version and kind reach every field reader.
    #[test]
    fn random_bodies_of_every_kind_never_panic(
        kind in prop::sample::select(vec![0x01u8, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x7F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25]),
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = vec![VERSION, kind];
        bytes.extend_from_slice(&body);
        if let Ok(f) = Frame::decode(&bytes) {
            // Whatever decodes encodes back to the same bytes: one spelling per frame.
            prop_assert_eq!(f.encode().unwrap(), bytes);
        }
    }

    /// Flipping one byte of a valid frame gives an error or another valid frame.
    #[test]
    fn mutated_frames_never_panic(f in any_frame(), at in any::<prop::sample::Index>(), to in any::<u8>()) {
        let mut bytes = f.encode().unwrap();
        let i = at.index(bytes.len());
        bytes[i] = to;
        let _ = Frame::decode(&bytes);
    }
}

//! Everything the sessions refuse, and what they do then.

use super::*;

#[test]
fn an_unknown_device_is_refused_and_logged() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.enrolled.clear();
    w.open();
    let r = only_refusal(&w);
    assert_eq!(r.code, RefusalCode::UnknownDevice);
    assert_eq!(r.device, Some(w.device));
    assert!(w.client_store.docs.is_empty());
}

#[test]
fn a_revoked_device_is_refused_at_the_handshake_and_when_revoked_later() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.enrolled.get_mut(&w.device).unwrap().revoked = true;
    w.open();
    assert_eq!(only_refusal(&w).code, RefusalCode::RevokedDevice);

    let mut w = World::new(&["2026-11-22"], 1);
    w.open();
    w.server_event(ServerEvent::Revoked);
    assert_eq!(only_refusal(&w).code, RefusalCode::RevokedDevice);
}

#[test]
fn a_proof_with_another_key_is_refused() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.enrolled.get_mut(&w.device).unwrap().public_key = DeviceKey::generate().public();
    w.open();
    let r = only_refusal(&w);
    assert_eq!(r.code, RefusalCode::BadProof);
    assert!(w.server_store.states.is_empty() && w.client_store.docs.is_empty());
}

/// Drives a server session by hand up to the Proof, and returns the challenge.
fn server_awaiting_proof(record: DeviceRecord, device: DeviceId) -> (ServerSession, Nonce) {
    let mut s = ServerSession::new(T0);
    assert_eq!(
        s.handle(ServerEvent::Frame(Frame::Hello { device })),
        vec![ServerEffect::LookUpDevice { device }]
    );
    let effects = s.handle(ServerEvent::Device(Some(record)));
    let [ServerEffect::Send(Frame::Challenge { nonce })] = effects[..] else {
        panic!("{effects:?}")
    };
    (s, nonce)
}

fn refusal_code(effects: &[ServerEffect]) -> Option<RefusalCode> {
    effects.iter().find_map(|e| match e {
        ServerEffect::Send(Frame::Refused { code, .. }) => Some(*code),
        _ => None,
    })
}

#[test]
fn a_proof_for_another_connection_is_refused() {
    let key = DeviceKey::generate();
    let device = DeviceId::new();
    let record = DeviceRecord {
        point: PointId::new(),
        public_key: key.public(),
        revoked: false,
    };
    let (mut first, nonce) = server_awaiting_proof(record.clone(), device);
    let proof = key.prove(&nonce, device);
    let ok = first.handle(ServerEvent::Frame(Frame::Proof { signature: proof }));
    assert!(matches!(ok[..], [ServerEffect::Authenticated { .. }]));

    // Replayed on a new connection, the captured proof fails: the nonce is new.
    let (mut second, nonce2) = server_awaiting_proof(record, device);
    assert_ne!(nonce, nonce2);
    let effects = second.handle(ServerEvent::Frame(Frame::Proof { signature: proof }));
    assert_eq!(refusal_code(&effects), Some(RefusalCode::BadProof));
    assert!(effects.contains(&ServerEffect::Close {
        code: CloseCode::Policy,
        reason:
            "bad_proof: the proof does not verify: wrong key, wrong nonce or another device's id"
                .into()
    }));
}

#[test]
fn sync_before_welcome_is_refused_in_every_handshake_phase() {
    let key = DeviceKey::generate();
    let device = DeviceId::new();
    let point = PointId::new();
    let doc = DocKey::for_day(point, "2026-11-22").unwrap();
    let sync = || {
        ServerEvent::Frame(Frame::Sync {
            doc,
            message: vec![0x42],
        })
    };
    let record = DeviceRecord {
        point,
        public_key: key.public(),
        revoked: false,
    };

    let mut s = ServerSession::new(T0);
    assert_eq!(refusal_code(&s.handle(sync())), Some(RefusalCode::TooEarly));

    let (mut s, _) = server_awaiting_proof(record.clone(), device);
    let effects = s.handle(sync());
    assert_eq!(refusal_code(&effects), Some(RefusalCode::TooEarly));
    assert!(!effects
        .iter()
        .any(|e| matches!(e, ServerEffect::Receive { .. })));

    let (mut s, nonce) = server_awaiting_proof(record, device);
    s.handle(ServerEvent::Frame(Frame::Proof {
        signature: key.prove(&nonce, device),
    }));
    assert_eq!(refusal_code(&s.handle(sync())), Some(RefusalCode::TooEarly));
    assert!(s.is_closed());
    assert_eq!(s.handle(sync()), vec![], "a closed session does nothing");
}

#[test]
fn a_document_of_another_point_or_not_offered_is_refused_and_nothing_runs() {
    for (other_point, code) in [
        (true, RefusalCode::OtherPoint),
        (false, RefusalCode::UnknownDocument),
    ] {
        let mut w = World::new(&["2026-11-22"], 1);
        w.open();
        let point = if other_point { PointId::new() } else { w.point };
        let doc = DocKey::for_day(point, "2026-11-21").unwrap();
        let effects = w.server.handle(ServerEvent::Frame(Frame::Sync {
            doc,
            message: vec![0x42, 0, 0, 0, 0],
        }));
        assert_eq!(refusal_code(&effects), Some(code));
        assert!(effects.contains(&ServerEffect::Log(Refusal {
            device: Some(w.device),
            code,
            doc: Some(doc),
            reason: match code {
                RefusalCode::OtherPoint =>
                    format!("device {} belongs to point {}", w.device, w.point),
                _ => "the server did not offer this document".into(),
            },
        })));
        assert!(!effects
            .iter()
            .any(|e| matches!(e, ServerEffect::Receive { .. })));
        assert!(w.server.is_closed());
    }
}

#[test]
fn the_handshake_deadline_closes_a_slow_device() {
    let key = DeviceKey::generate();
    let device = DeviceId::new();
    let record = DeviceRecord {
        point: PointId::new(),
        public_key: key.public(),
        revoked: false,
    };
    let (mut s, _) = server_awaiting_proof(record, device);
    assert_eq!(s.handle(ServerEvent::Tick(Millis(T0.0 + 9_999))), vec![]);
    let effects = s.handle(ServerEvent::Tick(Millis(T0.0 + HANDSHAKE_DEADLINE_MS)));
    assert_eq!(refusal_code(&effects), Some(RefusalCode::HandshakeTimeout));
    assert!(s.is_closed());

    // Once ready, time no longer matters.
    let mut w = World::new(&["2026-11-22"], 1);
    w.open();
    assert_eq!(
        w.server.handle(ServerEvent::Tick(Millis(T0.0 + 60_000))),
        vec![]
    );
    assert!(!w.server.is_closed());

    // The device gives up on a server that never welcomes it.
    let mut c = ClientSession::new(device, PointId::new(), key, T0);
    c.handle(ClientEvent::Opened);
    let effects = c.handle(ClientEvent::Tick(Millis(T0.0 + HANDSHAKE_DEADLINE_MS)));
    assert!(matches!(
        effects[..],
        [ClientEffect::Close {
            code: CloseCode::Protocol,
            ..
        }]
    ));
}

#[test]
fn a_change_storage_refuses_is_refused_logged_and_alerted() {
    let mut w = World::new(&["2026-11-22"], 2);
    w.open();
    let doc = w.listed[0];
    // The server's store refuses the device's next message (as its ownership
    // check does for a device writing to `orders`).
    put_in(
        w.client_store.docs.get_mut(&doc).unwrap(),
        "orders",
        "forged",
    );
    let effects = w.client.handle(ClientEvent::DocChanged(doc));
    let [ClientEffect::Generate { doc: d }] = effects[..] else {
        panic!("{effects:?}")
    };
    let outcome = w.client_store.generate(d);
    let Some(ClientEffect::Send(Frame::Sync { message, .. })) = w
        .client
        .handle(ClientEvent::DocResult { doc, outcome })
        .pop()
    else {
        panic!("no sync message")
    };
    let effects = w
        .server
        .handle(ServerEvent::Frame(Frame::Sync { doc, message }));
    assert!(matches!(effects[..], [ServerEffect::Receive { .. }]));
    let refused = DocRefusal::Refused {
        code: RefusalCode::ChangeNotAllowed,
        reason: "a device may not write orders".into(),
    };
    for e in w.server.handle(ServerEvent::DocResult {
        doc,
        outcome: Err(refused),
    }) {
        w.server_effect(e);
    }
    w.run();
    let r = only_refusal(&w);
    assert_eq!(r.code, RefusalCode::ChangeNotAllowed);
    assert_eq!(r.doc, Some(doc));
}

#[test]
fn a_storage_failure_closes_with_1011_and_no_refusal() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.open();
    let doc = w.listed[0];
    w.server.handle(ServerEvent::DocChanged(doc));
    let effects = w.server.handle(ServerEvent::DocResult {
        doc,
        outcome: Err(DocRefusal::Failed {
            reason: "disk full".into(),
        }),
    });
    assert_eq!(
        effects,
        vec![
            ServerEffect::Send(Frame::Error {
                code: ErrorCode::Internal,
                reason: "disk full".into()
            }),
            ServerEffect::Close {
                code: CloseCode::Internal,
                reason: "disk full".into()
            }
        ]
    );
}

#[test]
fn garbage_and_out_of_turn_frames_close_with_a_protocol_error() {
    let mut s = ServerSession::new(T0);
    let e = Frame::decode(&[1, 0x66]).unwrap_err();
    let effects = s.handle(ServerEvent::Malformed(e));
    assert_eq!(
        effects[0],
        ServerEffect::Send(Frame::Error {
            code: ErrorCode::Malformed,
            reason: "0x66 is not a frame kind".into()
        })
    );
    assert!(s.is_closed());

    let mut s = ServerSession::new(T0);
    let effects = s.handle(ServerEvent::Frame(Frame::Challenge {
        nonce: Nonce::random(),
    }));
    assert_eq!(
        effects[0],
        ServerEffect::Send(Frame::Error {
            code: ErrorCode::Unexpected,
            reason: "a Challenge frame is not expected before Hello".into()
        })
    );

    let mut c = ClientSession::new(DeviceId::new(), PointId::new(), DeviceKey::generate(), T0);
    c.handle(ClientEvent::Opened);
    let effects = c.handle(ClientEvent::Frame(Frame::Hello {
        device: DeviceId::new(),
    }));
    assert!(matches!(
        effects[..],
        [
            ClientEffect::Send(Frame::Error {
                code: ErrorCode::Unexpected,
                ..
            }),
            ClientEffect::Close {
                code: CloseCode::Protocol,
                ..
            }
        ]
    ));
}

#[test]
fn a_welcome_to_another_point_is_alerted_and_closed() {
    let key = DeviceKey::generate();
    let device = DeviceId::new();
    let mine = PointId::new();
    let mut c = ClientSession::new(device, mine, key, T0);
    c.handle(ClientEvent::Opened);
    c.handle(ClientEvent::Frame(Frame::Challenge {
        nonce: Nonce::random(),
    }));
    let other = PointId::new();
    let effects = c.handle(ClientEvent::Frame(Frame::Welcome {
        point: mine,
        docs: vec![DocKey::for_day(other, "2026-11-22").unwrap()],
    }));
    assert!(matches!(
        &effects[0],
        ClientEffect::Alert(Refusal {
            code: RefusalCode::OtherPoint,
            ..
        })
    ));
    assert!(!effects
        .iter()
        .any(|e| matches!(e, ClientEffect::Generate { .. })));
    assert!(c.is_closed());
}

#[test]
fn a_garbage_message_from_the_server_stops_the_device_and_stores_nothing() {
    let mut w = World::new(&["2026-11-22"], 1);
    w.listed
        .push(DocKey::for_day(w.point, "2026-11-30").unwrap());
    w.open();
    let fresh = w.listed[1];
    w.client_store.docs.remove(&fresh);
    w.client_event(ClientEvent::Frame(Frame::Sync {
        doc: fresh,
        message: b"not automerge".to_vec(),
    }));
    assert_eq!(w.alerts.len(), 1);
    assert_eq!(w.alerts[0].code, RefusalCode::BadSyncMessage);
    assert!(!w.client_store.docs.contains_key(&fresh));
    assert_eq!(w.client_closed.map(|c| c.0), Some(CloseCode::Protocol));
}

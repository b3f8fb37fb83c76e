//! What the server does with a device that misbehaves on the wire: a document of
//! another point, garbage, truncated and oversized messages, a text message. Each
//! closes the connection with an error or refusal, stores nothing, and leaves the
//! server serving the next device.

use linli_core::ids::DeviceId;
use linli_core::replica::Replica;
use linli_core::sync::socket_codec::MAX_MESSAGE_BYTES;
use linli_core::sync::{DocKey, Frame, FrameCompressor, RefusalCode};
use linli_core::time::Millis;
use linli_tests::net::{self, Server, World};
use linli_tests::raw_socket::RawSocket;
use tokio_tungstenite::tungstenite::Message;

type Ws = RawSocket;

async fn connect(server: &Server) -> Ws {
    RawSocket::connect(server).await.unwrap()
}

async fn send(ws: &mut Ws, frame: Frame) {
    ws.send(frame).await.unwrap();
}

/// The next frame, or `None` once the server has closed.
async fn next(ws: &mut Ws) -> Option<Frame> {
    ws.next().await
}

/// The server sends nothing more and closes.
async fn closed(ws: &mut Ws) {
    assert_eq!(next(ws).await, None);
}

/// An enrolled device past the handshake; the Welcome's documents.
async fn handshake(
    server: &Server,
    w: &World,
    dir: &std::path::Path,
) -> (Ws, DeviceId, Vec<DocKey>) {
    let path = dir.join(format!("{}.sqlite3", uuid_like()));
    let replica = net::enrolled_replica(server, w.point, &path, "raw")
        .await
        .unwrap();
    let (device, key) = {
        let mut r = replica.lock().unwrap();
        (r.identity().unwrap().device, r.device_key().unwrap())
    };
    let mut ws = connect(server).await;
    send(&mut ws, Frame::Hello { device }).await;
    let Some(Frame::Challenge { nonce }) = next(&mut ws).await else {
        panic!("no challenge");
    };
    send(
        &mut ws,
        Frame::Proof {
            signature: key.prove(&nonce, device),
        },
    )
    .await;
    let Some(Frame::Welcome { docs, .. }) = next(&mut ws).await else {
        panic!("no welcome");
    };
    (ws, device, docs)
}

fn uuid_like() -> String {
    linli_core::ids::EventId::new().to_string()
}

fn chunk_rows(server: &Server) -> i64 {
    server
        .db()
        .unwrap()
        .query_row("SELECT count(*) FROM doc_chunks", [], |r| r.get(0))
        .unwrap()
}

fn refusals(server: &Server, device: DeviceId) -> Vec<String> {
    server
        .db()
        .unwrap()
        .prepare("SELECT reason FROM sync_refusals WHERE device_id = ?1")
        .unwrap()
        .query_map([device.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn setup() -> (tempfile::TempDir, Server, World, DocKey, DocKey) {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let mine = net::place(&server.store, &w, w.point, "a", Millis::now())
        .await
        .unwrap();
    let theirs = net::place(&server.store, &w, w.other_point, "b", Millis::now())
        .await
        .unwrap();
    let mine = DocKey::for_day(w.point, &mine.day).unwrap();
    let theirs = DocKey::for_day(w.other_point, &theirs.day).unwrap();
    (dir, server, w, mine, theirs)
}

/// A valid automerge sync message: the first one an empty replica sends.
fn hello_message() -> Vec<u8> {
    use linli_core::replica::DeviceIdentity;
    let dir = tempfile::tempdir().unwrap();
    let mut r = Replica::open(&dir.path().join("x.sqlite3")).unwrap();
    let point = linli_core::ids::PointId::new();
    r.enroll(DeviceIdentity {
        point,
        device: DeviceId::new(),
        leader: "x".into(),
        code_key: linli_core::pickup_code::CodeKey::from_bytes([0; 32]),
    })
    .unwrap();
    let key = DocKey::for_day(point, "2026-11-02").unwrap();
    r.generate_sync(key).unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_asking_for_another_points_document_is_refused_and_logged() {
    let (dir, server, w, mine, theirs) = setup().await;
    let (mut ws, device, docs) = handshake(&server, &w, dir.path()).await;
    assert_eq!(
        docs,
        vec![mine],
        "only its own point's documents are offered"
    );
    let before = chunk_rows(&server);
    send(
        &mut ws,
        Frame::Sync {
            doc: theirs,
            message: hello_message(),
        },
    )
    .await;
    let Some(Frame::Refused { code, doc, .. }) = next(&mut ws).await else {
        panic!("not refused");
    };
    assert_eq!((code, doc), (RefusalCode::OtherPoint, Some(theirs)));
    closed(&mut ws).await;
    assert_eq!(refusals(&server, device), vec!["other_point".to_string()]);
    assert_eq!(chunk_rows(&server), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_truncated_text_and_oversized_messages_close_the_connection() {
    let (dir, server, w, mine, _) = setup().await;
    let before = chunk_rows(&server);
    let good = FrameCompressor::new()
        .compress(
            &Frame::Sync {
                doc: mine,
                message: hello_message(),
            }
            .encode()
            .unwrap(),
        )
        .unwrap();
    // 64 MiB of zeros compress to a few KB; the server stops at a frame's limit.
    let bomb = FrameCompressor::new()
        .compress(&vec![0u8; 64 << 20])
        .unwrap();
    let bad: Vec<(&str, Message)> = vec![
        (
            "garbage",
            Message::Binary(vec![0xde, 0xad, 0xbe, 0xef].into()),
        ),
        ("empty", Message::Binary(Vec::new().into())),
        (
            "truncated",
            Message::Binary(good[..good.len() / 2].to_vec().into()),
        ),
        ("text", Message::Text("hello".into())),
        (
            "oversized",
            Message::Binary(vec![1u8; MAX_MESSAGE_BYTES + 1].into()),
        ),
        ("zip bomb", Message::Binary(bomb.into())),
    ];
    for (what, message) in bad {
        // Before the handshake…
        let mut ws = connect(&server).await;
        let _ = ws.send_raw(message.clone()).await;
        match next(&mut ws).await {
            None | Some(Frame::Error { .. }) => {}
            other => panic!("{what} before the handshake: {other:?}"),
        }
        closed(&mut ws).await;
        // …and after it.
        let (mut ws, _, _) = handshake(&server, &w, dir.path()).await;
        let _ = ws.send_raw(message).await;
        match next(&mut ws).await {
            None | Some(Frame::Error { .. }) => {}
            other => panic!("{what} after the handshake: {other:?}"),
        }
        closed(&mut ws).await;
    }
    // A Sync frame whose automerge message is garbage: refused, nothing stored.
    let (mut ws, device, _) = handshake(&server, &w, dir.path()).await;
    send(
        &mut ws,
        Frame::Sync {
            doc: mine,
            message: vec![0x42; 64],
        },
    )
    .await;
    let Some(Frame::Refused { code, .. }) = next(&mut ws).await else {
        panic!("a garbage sync message was not refused");
    };
    assert_eq!(code, RefusalCode::BadSyncMessage);
    closed(&mut ws).await;
    assert_eq!(refusals(&server, device).len(), 1);
    assert_eq!(chunk_rows(&server), before, "nothing stored");

    // The server still serves a well-behaved device.
    let replica = net::enrolled_replica(&server, w.point, &dir.path().join("ok.sqlite3"), "ok")
        .await
        .unwrap();
    let handle = linli_sync_client::SyncClient::start(
        replica.clone(),
        linli_sync_client::SyncConfig::new(server.url()),
    )
    .unwrap();
    let status = tokio::time::timeout(
        net::PATIENCE,
        handle.wait_for(|s| s.online && s.last_sync_at.is_some()),
    )
    .await
    .unwrap();
    assert!(status.blocked.is_none());
    let n = Replica::list_orders(
        &replica.lock().unwrap(),
        linli_core::replica::OrderList::All,
        None,
        10,
    )
    .unwrap()
    .len();
    assert_eq!(n, 1);
    handle.stop().await;
}

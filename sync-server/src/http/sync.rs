//! Device sync over WebSocket: `GET /api/device/sync` upgrades to one connection per
//! device, driven by `linli_core::sync::ServerSession`. This file only carries
//! bytes: frames in and out of the socket, the session's storage effects to the
//! store's sync jobs, the store's after-commit document changes to the session (how
//! a new order reaches an online counter within a second), and a clock tick for
//! the handshake deadline. Every rule is in the session or the store.

use std::collections::VecDeque;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{Days, Utc};
use futures_util::{SinkExt, StreamExt};
use linli_core::ids::DeviceId;
use linli_core::sync::session::ServerPhase;
use linli_core::sync::socket_codec::MAX_MESSAGE_BYTES;
use linli_core::sync::{
    DeviceKey, DevicePublicKey, DeviceRecord, DocKey, DocRefusal, RefusalCode, ServerEffect,
    ServerEvent, ServerSession, SocketStreams, WireError,
};
use linli_core::time::Millis;
use tokio::sync::broadcast::error::RecvError;

use super::sync_pulls::{answer_pull, answer_withdrawal, pull_change};
use super::AppState;
use crate::store::{RefusalRecord, Store, SyncRefusal, SyncSession};

/// The path devices connect to.
pub const SYNC_PATH: &str = "/api/device/sync";
/// Days before today (UTC) whose point-day documents a device still syncs: long
/// enough for a late handover or after-sale intake, short enough that a Welcome
/// stays small.
pub const SYNC_WINDOW_DAYS: u64 = 21;
/// How often the session hears the clock (the handshake deadline).
const TICK: Duration = Duration::from_secs(1);

pub fn routes<S: Store>() -> Router<AppState<S>> {
    Router::new().route(SYNC_PATH, get(upgrade::<S>))
}

async fn upgrade<S: Store>(State(state): State<AppState<S>>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let mut conn = Connection::new(state.store);
            conn.serve(socket).await;
        })
}

struct Connection<S> {
    store: S,
    session: ServerSession,
    /// The store's per-connection automerge sync states, made once the device proved
    /// who it is.
    sync: Option<SyncSession>,
    /// The store logs refusals of its own jobs; the session's `Log` for the same
    /// refusal is then skipped.
    logged_by_store: bool,
    /// One zstd stream per direction (decision 0014).
    socket: SocketStreams,
}

impl<S: Store> Connection<S> {
    fn new(store: S) -> Self {
        Connection {
            store,
            session: ServerSession::new(Millis::now()),
            sync: None,
            logged_by_store: false,
            socket: SocketStreams::new(),
        }
    }

    async fn serve(&mut self, socket: WebSocket) {
        metrics::gauge!("linli_sync_connections").increment(1.0);
        let (mut tx, mut rx) = socket.split();
        // Subscribed before the documents are listed, so no change is missed.
        let mut changes = self.store.doc_changes();
        let mut tick = tokio::time::interval(TICK);
        while !self.session.is_closed() {
            let events = tokio::select! {
                msg = rx.next() => match msg {
                    Some(Ok(Message::Binary(bytes))) => match self.socket.unpack(&bytes) {
                        Ok(Some(frame)) => vec![ServerEvent::Frame(frame)],
                        // The device's stream ended; nothing for the session.
                        Ok(None) => continue,
                        Err(e) => vec![ServerEvent::Malformed(e)],
                    },
                    Some(Ok(Message::Text(_))) => vec![ServerEvent::Malformed(WireError::TextMessage)],
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => vec![ServerEvent::Closed],
                    Some(Err(e)) => {
                        // Oversized messages and broken framing end here: the socket is
                        // unusable, nothing was handed to the store.
                        tracing::info!(device = ?self.session.device(), error = %e, "sync socket failed");
                        vec![ServerEvent::Closed]
                    }
                },
                change = changes.recv() => self.changed(change),
                _ = tick.tick() => {
                    if let Err(e) = self.end_idle_stream(&mut tx).await {
                        tracing::info!(device = ?self.session.device(), error = %e, "sync socket closed while sending");
                        self.session.handle(ServerEvent::Closed);
                        break;
                    }
                    vec![ServerEvent::Tick(Millis::now())]
                }
            };
            for event in events {
                if let Err(e) = self.handle(event, &mut tx).await {
                    tracing::info!(device = ?self.session.device(), error = %e, "sync socket closed while sending");
                    self.session.handle(ServerEvent::Closed);
                    break;
                }
            }
        }
        let _ = tx.close().await;
        metrics::gauge!("linli_sync_connections").decrement(1.0);
    }

    /// Ends the outgoing stream once nothing was sent for `IDLE_MS`, so an idle
    /// device's connection holds no compressor (decision 0014).
    async fn end_idle_stream<W>(&mut self, tx: &mut W) -> Result<(), axum::Error>
    where
        W: futures_util::Sink<Message, Error = axum::Error> + Unpin,
    {
        if let Some(end) = self.socket.end_if_idle() {
            tx.send(Message::Binary(end.into())).await?;
        }
        Ok(())
    }

    /// A committed change from the store, as events for this session: only for the
    /// device's point, and only once the handshake has reached the document list.
    fn changed(&self, change: Result<String, RecvError>) -> Vec<ServerEvent> {
        let (point, docs) = match self.session.phase() {
            ServerPhase::AwaitDocs { point, .. } => (*point, None),
            ServerPhase::Ready { point, docs, .. } => (*point, Some(docs)),
            _ => return vec![],
        };
        match change {
            // A pull of this point went stale; only a welcomed device pulls.
            Ok(key) if key.starts_with(crate::store::PULL_CHANGE_PREFIX) => {
                match pull_change(&key, point) {
                    Some(what) if docs.is_some() => vec![ServerEvent::PullChanged(what)],
                    _ => vec![],
                }
            }
            Ok(key) => match DocKey::parse(&key) {
                Ok(doc) if doc.point() == point => {
                    vec![ServerEvent::DocAdded(doc), ServerEvent::DocChanged(doc)]
                }
                _ => vec![],
            },
            // Fell behind: every document may have changed.
            Err(RecvError::Lagged(_)) => docs
                .map(|d| d.iter().map(|k| ServerEvent::DocChanged(*k)).collect())
                .unwrap_or_default(),
            Err(RecvError::Closed) => vec![ServerEvent::Closed],
        }
    }

    /// Feeds one event to the session and carries out its effects, and those of the
    /// events the effects answer, in order.
    async fn handle<W>(&mut self, event: ServerEvent, tx: &mut W) -> Result<(), axum::Error>
    where
        W: futures_util::Sink<Message, Error = axum::Error> + Unpin,
    {
        let mut effects: VecDeque<ServerEffect> = self.session.handle(event).into();
        while let Some(effect) = effects.pop_front() {
            let answer = match effect {
                ServerEffect::Send(frame) => {
                    match self.socket.pack(&frame) {
                        Ok(message) => tx.send(Message::Binary(message.into())).await?,
                        Err(e) => {
                            tracing::error!(error = %e, frame = frame.name(), "could not encode a frame")
                        }
                    }
                    None
                }
                ServerEffect::Close { code, reason } => {
                    let reason: String = reason.chars().take(100).collect();
                    tx.send(Message::Close(Some(CloseFrame {
                        code: code.as_u16(),
                        reason: reason.into(),
                    })))
                    .await?;
                    None
                }
                ServerEffect::Log(refusal) => {
                    if !std::mem::take(&mut self.logged_by_store) {
                        let record = RefusalRecord {
                            device: refusal.device,
                            point: self.sync.as_ref().map(|s| s.device().point),
                            doc_key: refusal.doc.map(|d| d.to_string()),
                            reason: refusal.code.as_str().to_string(),
                            detail: refusal.reason,
                            at: Millis::now(),
                        };
                        if let Err(e) = self.store.record_sync_refusal(record).await {
                            tracing::error!(error = %e, "could not log a sync refusal");
                        }
                    }
                    None
                }
                ServerEffect::LookUpDevice { device } => Some(self.look_up(device).await),
                ServerEffect::Authenticated { device, point } => {
                    Some(self.documents(device, point).await)
                }
                ServerEffect::Receive {
                    device: _,
                    doc,
                    message,
                } => Some(self.receive(doc, message).await),
                ServerEffect::Generate { device: _, doc } => Some(self.generate(doc).await),
                ServerEffect::Pull {
                    device: _,
                    point,
                    what,
                    since,
                } => Some(ServerEvent::Answer(
                    answer_pull(&self.store, point, what, since).await,
                )),
                ServerEffect::Withdraw {
                    device,
                    point,
                    request,
                    amount,
                } => Some(ServerEvent::Answer(
                    answer_withdrawal(&self.store, point, device, request, amount).await,
                )),
            };
            if let Some(event) = answer {
                effects.extend(self.session.handle(event));
            }
        }
        Ok(())
    }

    async fn look_up(&mut self, device: DeviceId) -> ServerEvent {
        match self.store.device_for_sync(device).await {
            Ok(d) => match DevicePublicKey::from_bytes(&d.public_key) {
                Ok(public_key) => {
                    let record = DeviceRecord {
                        point: d.point,
                        public_key,
                        revoked: false,
                    };
                    self.sync = Some(SyncSession::new(d));
                    ServerEvent::Device(Some(record))
                }
                Err(e) => {
                    tracing::error!(%device, error = %e, "stored device key is unusable");
                    ServerEvent::Device(None)
                }
            },
            Err(SyncRefusal::UnknownDevice(_)) => ServerEvent::Device(None),
            // Only `revoked` is read on this path; the key is a stand-in.
            Err(SyncRefusal::Revoked(_)) => ServerEvent::Device(Some(DeviceRecord {
                point: linli_core::ids::PointId(uuid::Uuid::nil()),
                public_key: DeviceKey::from_secret_bytes(&[1; 32]).public(),
                revoked: true,
            })),
            Err(e) => {
                tracing::error!(%device, error = %e, "device look-up failed");
                ServerEvent::Closed
            }
        }
    }

    async fn documents(
        &mut self,
        device: DeviceId,
        point: linli_core::ids::PointId,
    ) -> ServerEvent {
        let from = Utc::now()
            .date_naive()
            .checked_sub_days(Days::new(SYNC_WINDOW_DAYS))
            .unwrap_or_default();
        match self.store.point_documents(point, from).await {
            Ok(keys) => {
                tracing::info!(%device, %point, docs = keys.len(), "device connected for sync");
                ServerEvent::Docs(keys.iter().filter_map(|k| DocKey::parse(k).ok()).collect())
            }
            Err(e) => {
                tracing::error!(%device, error = %e, "could not list the point's documents");
                ServerEvent::Closed
            }
        }
    }

    async fn receive(&mut self, doc: DocKey, message: Vec<u8>) -> ServerEvent {
        let Some(sync) = self.sync.as_mut() else {
            return ServerEvent::Closed;
        };
        let outcome = self
            .store
            .receive_device_sync(sync, doc.to_string(), message)
            .await;
        metrics::counter!("linli_sync_messages_received").increment(1);
        ServerEvent::DocResult {
            doc,
            outcome: self.outcome(outcome),
        }
    }

    async fn generate(&mut self, doc: DocKey) -> ServerEvent {
        let Some(sync) = self.sync.as_mut() else {
            return ServerEvent::Closed;
        };
        let outcome = self.store.generate_device_sync(sync, doc.to_string()).await;
        ServerEvent::DocResult {
            doc,
            outcome: self.outcome(outcome),
        }
    }

    /// The store's answer as the session's: refusals of what the device sent are
    /// refusals (the store has logged them), the server's own failures are failures.
    fn outcome(
        &mut self,
        r: Result<Option<Vec<u8>>, SyncRefusal>,
    ) -> Result<Option<Vec<u8>>, DocRefusal> {
        r.map_err(|e| {
            if !e.is_device_fault() {
                return DocRefusal::Failed {
                    reason: e.to_string(),
                };
            }
            self.logged_by_store = true;
            let code = match &e {
                SyncRefusal::UnknownDevice(_) => RefusalCode::UnknownDevice,
                SyncRefusal::Revoked(_) => RefusalCode::RevokedDevice,
                SyncRefusal::OtherPoint(_) => RefusalCode::OtherPoint,
                SyncRefusal::BadDocKey(_) | SyncRefusal::UnknownDocument(_) => {
                    RefusalCode::UnknownDocument
                }
                SyncRefusal::BadMessage(_) | SyncRefusal::Panicked => RefusalCode::BadSyncMessage,
                SyncRefusal::Malformed(_)
                | SyncRefusal::Ownership(_)
                | SyncRefusal::NotCounterFact(_) => RefusalCode::ChangeNotAllowed,
                SyncRefusal::Store(_) => RefusalCode::BadSyncMessage,
            };
            DocRefusal::Refused {
                code,
                reason: e.to_string(),
            }
        })
    }
}

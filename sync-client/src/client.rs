//! The sync loop: one task per device that connects, runs a `ClientSession` over the
//! socket, and reconnects with back-off. Replica calls run on tokio's blocking
//! threads; the app reads the status from a watch channel.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use linli_core::ids::{DeviceId, PointId};
use linli_core::replica::{pull_outcome, sync_outcome, Replica, ReplicaError};
use linli_core::sync::socket_codec::MAX_MESSAGE_BYTES;
use linli_core::sync::{
    ClientEffect, ClientEvent, ClientSession, CloseCode, DeviceKey, DocKey, DocKeyError, Frame,
    SocketStreams, WireError,
};
use linli_core::time::Millis;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as WsCloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::backoff::Backoff;
use crate::status::{self, SyncProgress, SyncStatus};
use crate::{lock, SharedReplica};

/// The server's sync endpoint, relative to its base URL.
pub const SYNC_PATH: &str = "/api/device/sync";
/// How often the session hears the clock.
const TICK: Duration = Duration::from_secs(1);
/// Connecting (TCP and WebSocket upgrade) gives up after this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where and how to sync.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    /// The server's base URL, `http://host:port` (or `ws://`; `https://`/`wss://`
    /// need a TLS build and normally a reverse proxy in front of the server).
    pub server: String,
    /// First reconnect delay (jittered), doubling up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// A ping goes out after this long without a frame; a server silent for twice
    /// as long is taken as gone and the connection is dropped.
    pub ping_every: Duration,
}

impl SyncConfig {
    /// Defaults: back-off 0.5 s → 30 s, ping every 30 s.
    pub fn new(server: impl Into<String>) -> Self {
        SyncConfig {
            server: server.into(),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            ping_every: Duration::from_secs(30),
        }
    }

    /// The WebSocket URL of the sync endpoint.
    pub fn sync_url(&self) -> String {
        let base = self.server.trim_end_matches('/');
        let base = if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            base.to_string()
        };
        format!("{base}{SYNC_PATH}")
    }
}

#[derive(Debug)]
enum Command {
    LocalChange(DocKey),
    WithdrawalQueued,
    SyncNow,
    Stop,
}

/// Why the loop could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("this device is not enrolled yet; enroll it with a code from the platform first")]
    NotEnrolled,
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}

/// The running sync loop, as the app holds it.
pub struct SyncHandle {
    point: PointId,
    status: watch::Receiver<SyncStatus>,
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl SyncHandle {
    /// The current status snapshot.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// A receiver that wakes on every status change (for pushing it to the UI).
    pub fn watch(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Waits until the status satisfies `f` and returns it (or the last status, if
    /// the loop has ended).
    pub async fn wait_for(&self, f: impl FnMut(&SyncStatus) -> bool) -> SyncStatus {
        let mut rx = self.status.clone();
        if let Ok(s) = rx.wait_for(f).await {
            return s.clone();
        }
        let last = rx.borrow().clone();
        last
    }

    /// Call after a counter action committed a change to the day `day`
    /// (`YYYY-MM-DD`): it is pushed at once when online, and the pending badge
    /// updates either way.
    pub fn local_change(&self, day: &str) -> Result<(), DocKeyError> {
        let key = DocKey::for_day(self.point, day)?;
        let _ = self.commands.send(Command::LocalChange(key));
        Ok(())
    }

    /// Call after the app queued a withdrawal request in the replica: it is sent at
    /// once when online, else after the next handshake.
    pub fn withdrawal_queued(&self) {
        let _ = self.commands.send(Command::WithdrawalQueued);
    }

    /// Reconnects now instead of waiting out the back-off, and resumes after a
    /// refusal once someone has dealt with it.
    pub fn sync_now(&self) {
        let _ = self.commands.send(Command::SyncNow);
    }

    /// Closes the connection and ends the loop.
    pub async fn stop(self) {
        let _ = self.commands.send(Command::Stop);
        let _ = self.task.await;
    }
}

/// The loop's state; see the module doc.
pub struct SyncClient {
    replica: SharedReplica,
    config: SyncConfig,
    device: DeviceId,
    point: PointId,
    key: DeviceKey,
    status: watch::Sender<SyncStatus>,
    commands: mpsc::UnboundedReceiver<Command>,
    /// This connection's zstd streams, one per direction (decision 0014).
    socket: SocketStreams,
}

/// How a connection ended.
enum End {
    /// The server could not be reached; reconnect after the back-off.
    Unreachable(String),
    /// The connection broke or the server closed it; reconnect after the back-off.
    Lost(String),
    /// The server refused this device or a change (`code` is the refusal's wire
    /// code): wait for `sync_now`.
    Blocked {
        code: &'static str,
        why: String,
    },
    Stop,
}

impl SyncClient {
    /// Starts the loop on the current tokio runtime for the enrolled `replica`.
    pub fn start(replica: SharedReplica, config: SyncConfig) -> Result<SyncHandle, StartError> {
        let (device, point, key) = {
            let mut r = lock(&replica);
            let identity = r.identity().ok_or(StartError::NotEnrolled)?.clone();
            (identity.device, identity.point, r.device_key()?)
        };
        let (status_tx, status_rx) = watch::channel(SyncStatus::default());
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let client = SyncClient {
            replica,
            config,
            device,
            point,
            key,
            status: status_tx,
            commands: cmd_rx,
            socket: SocketStreams::new(),
        };
        let task = tokio::spawn(client.run());
        Ok(SyncHandle {
            point,
            status: status_rx,
            commands: cmd_tx,
            task,
        })
    }

    async fn run(mut self) {
        let mut backoff = Backoff::new(self.config.backoff_min, self.config.backoff_max);
        self.refresh(None).await;
        loop {
            let end = match self.connect().await {
                Ok(socket) => self.connection(socket, &mut backoff).await,
                Err(e) => End::Unreachable(e),
            };
            self.status.send_modify(|s| {
                s.online = false;
                s.progress = None;
            });
            let wait = match end {
                End::Stop => return,
                End::Blocked { code, why } => {
                    tracing::error!(reason = %why, "sync refused by the server; waiting for sync_now");
                    self.status.send_modify(|s| {
                        s.blocked = Some(why.clone());
                        s.last_error = Some(why);
                        s.last_error_code = Some(code);
                        s.retry_in_ms = None;
                    });
                    None
                }
                End::Unreachable(why) => Some(self.retry_later(&mut backoff, "unreachable", why)),
                End::Lost(why) => Some(self.retry_later(&mut backoff, "lost", why)),
            };
            if !self.wait(wait, &mut backoff).await {
                return;
            }
        }
    }

    /// After a failed or broken connection: the next attempt's delay, with the
    /// failure in the status.
    fn retry_later(&self, backoff: &mut Backoff, code: &'static str, why: String) -> Duration {
        let delay = backoff.next_delay();
        tracing::info!(reason = %why, retry_in = ?delay, "sync connection lost");
        self.status.send_modify(|s| {
            s.last_error = Some(why);
            s.last_error_code = Some(code);
            s.retry_in_ms = Some(delay.as_millis() as u64);
        });
        delay
    }

    /// Waits out a delay (or, with `None`, until `sync_now`), refreshing the badge
    /// on local changes. False when the loop is to stop.
    async fn wait(&mut self, delay: Option<Duration>, backoff: &mut Backoff) -> bool {
        let until = delay.map(|d| tokio::time::Instant::now() + d);
        loop {
            let sleep = async {
                match until {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = sleep => return true,
                cmd = self.commands.recv() => match cmd {
                    Some(Command::LocalChange(_)) => self.refresh(None).await,
                    Some(Command::WithdrawalQueued) => {}
                    Some(Command::SyncNow) => {
                        backoff.reset();
                        self.status.send_modify(|s| s.blocked = None);
                        return true;
                    }
                    Some(Command::Stop) | None => return false,
                },
            }
        }
    }

    async fn connect(&self) -> Result<Socket, String> {
        let url = self.config.sync_url();
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let connecting =
            tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true);
        match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok((socket, _))) => Ok(socket),
            Ok(Err(e)) => Err(format!("could not connect to {url}: {e}")),
            Err(_) => Err(format!(
                "could not connect to {url} within {CONNECT_TIMEOUT:?}"
            )),
        }
    }

    async fn connection(&mut self, socket: Socket, backoff: &mut Backoff) -> End {
        let (mut tx, mut rx) = socket.split();
        self.blocking(|r| {
            r.begin_sync_session();
            Ok(())
        })
        .await
        .ok();
        self.status.send_modify(|s| {
            s.bytes_sent = 0;
            s.bytes_received = 0;
            s.retry_in_ms = None;
        });
        self.socket = SocketStreams::new();
        let mut conn = Conn {
            session: ClientSession::new(
                self.device,
                self.point,
                DeviceKey::from_secret_bytes(&self.key.secret_bytes()),
                Millis::now(),
            ),
            docs: BTreeSet::new(),
            heard: BTreeSet::new(),
            end: None,
        };
        let mut tick = tokio::time::interval(TICK);
        let mut last_heard = Instant::now();
        let mut last_ping = Instant::now();
        if let Some(end) = self
            .step(&mut conn, ClientEvent::Opened, &mut tx, backoff)
            .await
        {
            return end;
        }
        loop {
            let event = tokio::select! {
                msg = rx.next() => {
                    last_heard = Instant::now();
                    match msg {
                        Some(Ok(WsMessage::Binary(bytes))) => {
                            self.status.send_modify(|s| s.bytes_received += bytes.len() as u64);
                            match self.socket.unpack(&bytes) {
                                Ok(Some(frame)) => ClientEvent::Frame(frame),
                                // The server's stream ended; nothing for the session.
                                Ok(None) => continue,
                                Err(e) => ClientEvent::Malformed(e),
                            }
                        }
                        Some(Ok(WsMessage::Text(_))) => ClientEvent::Malformed(WireError::TextMessage),
                        Some(Ok(WsMessage::Close(frame))) => {
                            let why = frame.map(|f| format!("the server closed the connection ({}): {}", u16::from(f.code), f.reason))
                                .unwrap_or_else(|| "the server closed the connection".into());
                            conn.end.get_or_insert(End::Lost(why));
                            ClientEvent::Closed
                        }
                        Some(Ok(_)) => continue,
                        Some(Err(e)) => {
                            conn.end.get_or_insert(End::Lost(format!("the connection failed: {e}")));
                            ClientEvent::Closed
                        }
                        None => ClientEvent::Closed,
                    }
                }
                cmd = self.commands.recv() => match cmd {
                    Some(Command::LocalChange(doc)) => ClientEvent::DocChanged(doc),
                    Some(Command::WithdrawalQueued) => ClientEvent::WithdrawalQueued,
                    Some(Command::SyncNow) => continue,
                    Some(Command::Stop) | None => {
                        let _ = tx.send(WsMessage::Close(Some(CloseFrame {
                            code: WsCloseCode::Normal,
                            reason: "the device is stopping".into(),
                        }))).await;
                        return End::Stop;
                    }
                },
                _ = tick.tick() => {
                    if last_heard.elapsed() > self.config.ping_every * 2 {
                        return End::Lost("the server stopped answering".into());
                    }
                    if last_heard.elapsed() >= self.config.ping_every
                        && last_ping.elapsed() >= self.config.ping_every
                    {
                        last_ping = Instant::now();
                        if let Err(e) = tx.send(WsMessage::Ping(Vec::new().into())).await {
                            return End::Lost(format!("the connection failed: {e}"));
                        }
                    }
                    if let Err(e) = self.end_idle_stream(&mut tx).await {
                        return End::Lost(e);
                    }
                    ClientEvent::Tick(Millis::now())
                }
            };
            if let Some(end) = self.step(&mut conn, event, &mut tx, backoff).await {
                return end;
            }
        }
    }

    /// Handles one event; `Some` when the connection is over.
    async fn step<W>(
        &mut self,
        conn: &mut Conn,
        event: ClientEvent,
        tx: &mut W,
        backoff: &mut Backoff,
    ) -> Option<End>
    where
        W: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        if let Err(e) = self.handle(conn, event, tx, backoff).await {
            return Some(End::Lost(e));
        }
        if conn.session.is_closed() {
            let _ = tx.close().await;
            return Some(
                conn.end
                    .take()
                    .unwrap_or_else(|| End::Lost("the connection closed".into())),
            );
        }
        None
    }

    /// Feeds one event to the session and carries out its effects (and those of the
    /// storage answers they lead to), then refreshes the status if documents moved.
    async fn handle<W>(
        &mut self,
        conn: &mut Conn,
        event: ClientEvent,
        tx: &mut W,
        backoff: &mut Backoff,
    ) -> Result<(), String>
    where
        W: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        let mut refresh = matches!(event, ClientEvent::DocChanged(_));
        let mut effects: std::collections::VecDeque<ClientEffect> =
            conn.session.handle(event).into();
        while let Some(effect) = effects.pop_front() {
            let answer = match effect {
                ClientEffect::Send(frame) => {
                    self.send(tx, frame).await?;
                    None
                }
                ClientEffect::Close { code, reason } => {
                    let _ = tx
                        .send(WsMessage::Close(Some(CloseFrame {
                            code: WsCloseCode::from(code.as_u16()),
                            reason: reason.chars().take(100).collect::<String>().into(),
                        })))
                        .await;
                    if code != CloseCode::Normal || conn.end.is_none() {
                        conn.end.get_or_insert(End::Lost(reason));
                    }
                    None
                }
                ClientEffect::Alert(refusal) => {
                    let doc = refusal.doc.map(|d| format!(" ({d})")).unwrap_or_default();
                    conn.end = Some(End::Blocked {
                        code: refusal.code.as_str(),
                        why: format!("{}{doc}: {}", refusal.code.as_str(), refusal.reason),
                    });
                    None
                }
                ClientEffect::Ready { point: _, docs } => {
                    backoff.reset();
                    conn.docs = docs.iter().copied().collect();
                    self.status.send_modify(|s| {
                        s.online = true;
                        s.last_error = None;
                        s.last_error_code = None;
                        s.blocked = None;
                        s.progress = Some(SyncProgress {
                            docs_total: docs.len(),
                            docs_done: 0,
                        });
                    });
                    refresh = true;
                    None
                }
                ClientEffect::Receive { doc, message } => {
                    let outcome = self.blocking(move |r| r.receive_sync(doc, &message)).await;
                    if outcome.is_ok() {
                        conn.heard.insert(doc);
                        refresh = true;
                    }
                    Some(ClientEvent::DocResult {
                        doc,
                        outcome: sync_outcome(outcome),
                    })
                }
                ClientEffect::Generate { doc } => {
                    let outcome = self.blocking(move |r| r.generate_sync(doc)).await;
                    Some(ClientEvent::DocResult {
                        doc,
                        outcome: sync_outcome(outcome),
                    })
                }
                other => self.pull_effect(other, tx).await?,
            };
            if let Some(event) = answer {
                effects.extend(conn.session.handle(event));
            }
        }
        if refresh && !conn.session.is_closed() {
            self.refresh(Some(conn)).await;
        }
        Ok(())
    }

    /// Carries out a pull or withdrawal effect (decision 0010): the frames go out
    /// with what the replica holds, the answers are stored in it.
    async fn pull_effect<W>(
        &mut self,
        effect: ClientEffect,
        tx: &mut W,
    ) -> Result<Option<ClientEvent>, String>
    where
        W: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        match effect {
            ClientEffect::Pull { what } => {
                match self.blocking(move |r| r.pulled_version(what)).await {
                    Ok(since) => self.send(tx, Frame::Pull { what, since }).await?,
                    Err(e) => {
                        return Ok(Some(ClientEvent::PullStored {
                            what,
                            outcome: pull_outcome(Err(e)),
                        }))
                    }
                }
                Ok(None)
            }
            ClientEffect::StorePull {
                what,
                version,
                body,
            } => {
                let outcome = self
                    .blocking(move |r| r.store_pull(what, version, &body))
                    .await;
                Ok(Some(ClientEvent::PullStored {
                    what,
                    outcome: pull_outcome(outcome),
                }))
            }
            ClientEffect::SendWithdrawals => {
                let queued = self
                    .blocking(|r| r.queued_withdrawals())
                    .await
                    .map_err(|e| format!("could not read the queued withdrawals: {e}"))?;
                for (request, amount) in queued {
                    let amount = amount.0;
                    self.send(tx, Frame::Withdraw { request, amount }).await?;
                }
                Ok(None)
            }
            ClientEffect::WithdrawalAnswered {
                request,
                verdict,
                reason,
            } => {
                self.blocking(move |r| r.withdrawal_answered(request, verdict, &reason))
                    .await
                    .map_err(|e| format!("could not record a withdrawal answer: {e}"))?;
                Ok(None)
            }
            other => Err(format!(
                "the session asked for {other:?}, which this driver does not know"
            )),
        }
    }

    async fn send<W>(&mut self, tx: &mut W, frame: Frame) -> Result<(), String>
    where
        W: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        let message = self
            .socket
            .pack(&frame)
            .map_err(|e| format!("could not send a {} frame: {e}", frame.name()))?;
        self.send_message(tx, message).await
    }

    async fn send_message<W>(&self, tx: &mut W, message: Vec<u8>) -> Result<(), String>
    where
        W: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        let n = message.len() as u64;
        tx.send(WsMessage::Binary(message.into()))
            .await
            .map_err(|e| format!("the connection failed: {e}"))?;
        self.status.send_modify(|s| s.bytes_sent += n);
        Ok(())
    }

    /// Ends the outgoing stream once nothing was sent for `IDLE_MS`, so the
    /// server holds no decompressor for an idle counter (decision 0014).
    async fn end_idle_stream<W>(&mut self, tx: &mut W) -> Result<(), String>
    where
        W: futures_util::Sink<WsMessage, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
    {
        match self.socket.end_if_idle() {
            Some(end) => self.send_message(tx, end).await,
            None => Ok(()),
        }
    }

    /// Re-reads pending documents and conflicts from the replica; with a live
    /// connection also the progress and, when the server holds everything, the
    /// time of the last successful sync.
    async fn refresh(&self, conn: Option<&Conn>) {
        match self.blocking(status::from_replica).await {
            Ok((pending, conflicts)) => self.status.send_modify(|s| {
                if let Some(c) = conn {
                    let done = c
                        .docs
                        .iter()
                        .filter(|d| c.heard.contains(d) && !pending.contains(&d.to_string()))
                        .count();
                    if let Some(p) = s.progress.as_mut() {
                        p.docs_done = done;
                    }
                    if s.online && pending.is_empty() && done == c.docs.len() {
                        s.last_sync_at = Some(Millis::now());
                    }
                }
                s.pending = pending;
                s.conflicts = conflicts;
            }),
            Err(e) => tracing::warn!(error = %e, "could not read the sync status from the replica"),
        }
    }

    /// Runs a replica call on a blocking thread.
    async fn blocking<T, F>(&self, f: F) -> Result<T, ReplicaError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Replica) -> Result<T, ReplicaError> + Send + 'static,
    {
        let replica = self.replica.clone();
        match tokio::task::spawn_blocking(move || f(&mut lock(&replica))).await {
            Ok(r) => r,
            Err(e) => Err(ReplicaError::BadRow(format!(
                "the replica task failed: {e}"
            ))),
        }
    }
}

/// One connection's state.
struct Conn {
    session: ClientSession,
    /// The documents the server offered.
    docs: BTreeSet<DocKey>,
    /// Those the server has sent at least one message about on this connection.
    heard: BTreeSet<DocKey>,
    end: Option<End>,
}

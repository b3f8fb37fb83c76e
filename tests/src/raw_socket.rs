//! A device's sync socket driven frame by frame, for tests that send what the real
//! client never would. Frames go through the socket's zstd streams (decision 0014)
//! like the client's; `send_raw` puts a message on the wire untouched.

use futures_util::{SinkExt, StreamExt};
use linli_core::sync::{Frame, SocketStreams};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::net::{Server, PATIENCE};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct RawSocket {
    ws: Ws,
    streams: SocketStreams,
}

impl RawSocket {
    /// Connects with the client's own size limits lifted, so that the server's are
    /// what a test meets.
    pub async fn connect(server: &Server) -> anyhow::Result<Self> {
        let config = WebSocketConfig::default()
            .max_message_size(None)
            .max_frame_size(None);
        let url = format!("ws://{}/api/device/sync", server.addr);
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true).await?;
        Ok(RawSocket {
            ws,
            streams: SocketStreams::new(),
        })
    }

    pub async fn send(&mut self, frame: Frame) -> anyhow::Result<()> {
        let message = self.streams.pack(&frame)?;
        self.send_raw(Message::Binary(message.into())).await
    }

    /// Bytes that claim to be a frame (a test's malformed ones), compressed as the
    /// client would.
    pub async fn send_frame_bytes(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let message = self.streams.pack_bytes(bytes)?;
        self.send_raw(Message::Binary(message.into())).await
    }

    /// A message exactly as given, past the socket's streams.
    pub async fn send_raw(&mut self, message: Message) -> anyhow::Result<()> {
        Ok(self.ws.send(message).await?)
    }

    /// The next frame, or `None` once the server has closed (or said nothing for
    /// `PATIENCE`).
    pub async fn next(&mut self) -> Option<Frame> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .ok()??;
            match message {
                Ok(Message::Binary(b)) => match self.streams.unpack(&b) {
                    Ok(Some(frame)) => return Some(frame),
                    Ok(None) => continue,
                    Err(e) => panic!("the server sent a message that does not unpack: {e}"),
                },
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }
}

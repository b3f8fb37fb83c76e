//! Enrollment: the device exchanges a one-time code from staff for its place at a
//! pickup point. The key pair is drawn (and kept) by the replica; only the public
//! half travels. The answer (device id, point, the point's pickup-code key) is stored
//! in the replica, after which `SyncClient` can connect.

use linli_core::ids::{DeviceId, PointId};
use linli_core::pickup_code::CodeKey;
use linli_core::replica::DeviceIdentity;
use linli_core::time::Millis;
use serde::{Deserialize, Serialize};

use crate::{lock, SharedReplica};

/// The enroll endpoint, relative to the server's base URL.
pub const ENROLL_PATH: &str = "/api/device/enroll";

/// What enrollment gave this device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub device: DeviceId,
    pub point: PointId,
    pub point_name: String,
    /// The server's clock at enrollment (UTC ms).
    pub server_time: Millis,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    /// The server turned the code (or key) down; `message` is meant for the leader
    /// (e.g. "this enrollment code has expired; ask for a new code").
    #[error("{message}")]
    Refused {
        status: u16,
        field: Option<String>,
        message: String,
    },
    #[error("the server could not be reached: {0}")]
    Network(String),
    #[error("the server answered something this app does not understand: {0}")]
    BadAnswer(String),
    #[error("this device is already enrolled at point {0}; it cannot move to another point")]
    OtherPoint(PointId),
    #[error(transparent)]
    Replica(#[from] linli_core::replica::ReplicaError),
}

#[derive(Serialize)]
struct Request<'a> {
    code: &'a str,
    public_key: String,
    label: &'a str,
}

#[derive(Deserialize)]
struct Answer {
    device: DeviceId,
    point: PointId,
    point_name: String,
    code_key: String,
    server_time: Millis,
}

#[derive(Deserialize)]
struct Problem {
    message: Option<String>,
    #[serde(default)]
    fields: Vec<FieldProblem>,
}

#[derive(Deserialize)]
struct FieldProblem {
    field: String,
    reason: Option<String>,
}

/// Enrolls this device with `code` at the server `server` (e.g.
/// `http://192.168.1.5:8080`), labelled `label` in staff's device list, with `leader`
/// as the name stamped on counter events. On success the replica knows its point
/// and device id, and `SyncClient` can start.
pub async fn enroll(
    server: &str,
    code: &str,
    label: &str,
    leader: &str,
    replica: &SharedReplica,
) -> Result<Enrolled, EnrollError> {
    let public_key = {
        let r = replica.clone();
        tokio::task::spawn_blocking(move || lock(&r).device_key().map(|k| k.public().to_bytes()))
            .await
            .map_err(|e| EnrollError::BadAnswer(format!("key task failed: {e}")))??
    };
    let url = format!("{}{ENROLL_PATH}", server.trim_end_matches('/'));
    let resp = reqwest::Client::new()
        .post(&url)
        .json(&Request {
            code,
            public_key: hex::encode(public_key),
            label,
        })
        .send()
        .await
        .map_err(|e| EnrollError::Network(e.to_string()))?;
    let status = resp.status().as_u16();
    let body = resp
        .bytes()
        .await
        .map_err(|e| EnrollError::Network(e.to_string()))?;
    if !(200..300).contains(&status) {
        let problem: Option<Problem> = serde_json::from_slice(&body).ok();
        let (message, field) = match problem {
            Some(p) => {
                let field = p.fields.first().map(|f| f.field.clone());
                let message = p
                    .fields
                    .first()
                    .and_then(|f| f.reason.clone())
                    .or(p.message)
                    .unwrap_or_else(|| format!("the server answered {status}"));
                (message, field)
            }
            None => (format!("the server answered {status}"), None),
        };
        return Err(EnrollError::Refused {
            status,
            field,
            message,
        });
    }
    let answer: Answer =
        serde_json::from_slice(&body).map_err(|e| EnrollError::BadAnswer(e.to_string()))?;
    let key: [u8; 32] = hex::decode(&answer.code_key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| EnrollError::BadAnswer("code_key is not 32 bytes of hex".into()))?;
    let identity = DeviceIdentity {
        point: answer.point,
        device: answer.device,
        leader: leader.to_string(),
        code_key: CodeKey::from_bytes(key),
    };
    let r = replica.clone();
    tokio::task::spawn_blocking(move || lock(&r).enroll(identity))
        .await
        .map_err(|e| EnrollError::BadAnswer(format!("replica task failed: {e}")))?
        .map_err(|e| match e {
            linli_core::replica::ReplicaError::WrongPoint(p) => EnrollError::OtherPoint(p),
            e => EnrollError::Replica(e),
        })?;
    tracing::info!(device = %answer.device, point = %answer.point, "enrolled");
    Ok(Enrolled {
        device: answer.device,
        point: answer.point,
        point_name: answer.point_name,
        server_time: answer.server_time,
    })
}

//! Device sync for the app: enrollment from the First run screen, the sync loop
//! (started after enrolling, and at start-up against the saved server), and the
//! state the sync badge and Sync screen show. The commands wrap these.

use linli_core::app::AppError;
use linli_sync_client::{EnrollError, Enrolled, SyncClient, SyncConfig, SyncStatus};
use serde::{Deserialize, Serialize};

use crate::counter::Counter;

/// What the First run screen sends.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollRequest {
    pub server: String,
    pub code: String,
    pub device_name: String,
    pub leader: String,
}

impl EnrollRequest {
    /// Trimmed and checked; a bare `host:port` gets `http://`.
    pub fn checked(&self) -> Result<EnrollRequest, AppError> {
        let server = self.server.trim().trim_end_matches('/');
        if server.is_empty() || server.contains(char::is_whitespace) {
            return Err(AppError::new(
                "enroll_server",
                "请填写同步服务器地址，例如 http://192.168.1.5:8080",
                "Enter the sync server's address, e.g. http://192.168.1.5:8080",
            ));
        }
        let server = if server.contains("://") {
            server.to_string()
        } else {
            format!("http://{server}")
        };
        let code = self.code.trim().to_uppercase();
        if code.is_empty() {
            return Err(AppError::new(
                "enroll_code",
                "请填写平台发放的绑定码",
                "Enter the enrollment code the platform gave you",
            ));
        }
        let leader = self.leader.trim();
        if leader.is_empty() {
            return Err(AppError::new(
                "enroll_leader",
                "请填写团长姓名（记录在每次核销上）",
                "Enter the leader's name (it is recorded on every handover)",
            ));
        }
        let device_name = match self.device_name.trim() {
            "" => "收银台电脑",
            name => name,
        };
        Ok(EnrollRequest {
            server,
            code,
            device_name: device_name.to_string(),
            leader: leader.to_string(),
        })
    }
}

/// The sync badge's and Sync screen's view.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    /// The replica has a point and device id (enrolled, or a demo seed).
    pub enrolled: bool,
    pub server: String,
    /// The running loop's snapshot; `None` when no loop runs (no server saved).
    pub status: Option<SyncStatus>,
}

/// The server's refusal in both languages, with its own words kept.
pub fn enroll_error(server: &str, e: EnrollError) -> AppError {
    match e {
        EnrollError::Refused { message, .. } => {
            let zh = if message.contains("no such enrollment code") {
                "没有这个绑定码，请核对输入或向平台索取新码"
            } else if message.contains("expired") {
                "绑定码已过期，请向平台索取新码"
            } else if message.contains("already used") {
                "绑定码已被使用，请向平台索取新码"
            } else {
                "服务器拒绝了绑定"
            };
            AppError::new(
                "enroll_refused",
                format!("{zh}（服务器：{message}）"),
                format!("The server refused the enrollment: {message}"),
            )
        }
        EnrollError::Network(why) => AppError::new(
            "server_unreachable",
            format!("无法连接同步服务器 {server}，请检查地址和网络（{why}）"),
            format!("The sync server {server} could not be reached; check the address and the network ({why})"),
        ),
        EnrollError::BadAnswer(why) => AppError::new(
            "server_answer",
            format!("{server} 的回答无法识别，这可能不是邻里同步服务器（{why}）"),
            format!("{server} answered something this app does not understand; it may not be a Linli sync server ({why})"),
        ),
        EnrollError::OtherPoint(point) => AppError::new(
            "other_point",
            format!("本机已绑定自提点 {point}，不能改绑到其他自提点"),
            format!("This device is already enrolled at point {point}; it cannot move to another point"),
        ),
        EnrollError::Replica(e) => e.into(),
    }
}

/// Why the loop could not start (not enrolled, or the replica failed).
fn start_error(e: impl std::fmt::Display) -> AppError {
    AppError::new(
        "sync_start",
        format!("同步无法启动：{e}"),
        format!("Sync could not start: {e}"),
    )
}

/// Enrolls with the First run screen's answers, saves the server, starts syncing.
pub async fn enroll(counter: &Counter, request: &EnrollRequest) -> Result<Enrolled, AppError> {
    let r = request.checked()?;
    let enrolled = linli_sync_client::enroll(
        &r.server,
        &r.code,
        &r.device_name,
        &r.leader,
        &counter.shared_replica(),
    )
    .await
    .map_err(|e| enroll_error(&r.server, e))?;
    let mut settings = counter.settings()?.clone();
    settings.server = r.server.clone();
    settings.point_name = enrolled.point_name.clone();
    settings.save(&counter.data_dir)?;
    *counter.settings()? = settings;
    start(counter, &r.server)?;
    Ok(enrolled)
}

/// Starts (or restarts) the sync loop against `server`; on the tokio runtime.
pub fn start(counter: &Counter, server: &str) -> Result<(), AppError> {
    let handle = SyncClient::start(counter.shared_replica(), SyncConfig::new(server))
        .map_err(start_error)?;
    counter.status_events.follow(&handle, server);
    if let Some(old) = counter.sync()?.replace(handle) {
        tokio_spawn_stop(old);
    }
    Ok(())
}

fn tokio_spawn_stop(old: linli_sync_client::SyncHandle) {
    tauri::async_runtime::spawn(old.stop());
}

/// At start-up: an enrolled app syncs with its saved server.
pub fn start_saved(counter: &Counter) -> Result<(), AppError> {
    let server = counter.settings()?.server.clone();
    let enrolled = counter.replica()?.identity().is_some();
    if enrolled && !server.is_empty() {
        start(counter, &server)?;
    }
    Ok(())
}

/// After Settings saved a server address: an enrolled app syncs with the new one
/// (or stops syncing when the address was cleared).
pub fn server_saved(counter: &Counter, old: &str, new: &str) -> Result<(), AppError> {
    if old == new || counter.replica()?.identity().is_none() {
        return Ok(());
    }
    if new.is_empty() {
        if let Some(old) = counter.sync()?.take() {
            tokio_spawn_stop(old);
        }
        counter.status_events.stopped(true);
        return Ok(());
    }
    start(counter, new)
}

pub fn state(counter: &Counter) -> Result<SyncState, AppError> {
    Ok(SyncState {
        enrolled: counter.replica()?.identity().is_some(),
        server: counter.settings()?.server.clone(),
        status: counter.sync()?.as_ref().map(|s| s.status()),
    })
}

pub fn sync_now(counter: &Counter) -> Result<(), AppError> {
    if let Some(s) = counter.sync()?.as_ref() {
        s.sync_now();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(server: &str, code: &str, leader: &str) -> EnrollRequest {
        EnrollRequest {
            server: server.into(),
            code: code.into(),
            device_name: " ".into(),
            leader: leader.into(),
        }
    }

    #[test]
    fn the_first_run_answers_are_trimmed_and_checked() {
        let r = request(" 192.168.1.5:8080/ ", " k7qm4-xr2pd ", " 李姐 ")
            .checked()
            .unwrap();
        assert_eq!(r.server, "http://192.168.1.5:8080");
        assert_eq!(r.code, "K7QM4-XR2PD");
        assert_eq!(r.leader, "李姐");
        assert_eq!(r.device_name, "收银台电脑");
        let reason = |r: EnrollRequest| r.checked().unwrap_err().reason;
        assert_eq!(reason(request("", "K7QM4", "李姐")), "enroll_server");
        assert_eq!(reason(request("http://x", " ", "李姐")), "enroll_code");
        assert_eq!(reason(request("http://x", "K7QM4", "")), "enroll_leader");
    }

    #[test]
    fn an_enrolled_app_with_a_saved_server_starts_syncing_at_start_up() {
        use linli_core::app::{delivery_check, demo_seed};
        let dir = tempfile::tempdir().unwrap();
        let counter = Counter::open(dir.path()).unwrap();
        let seed = dir.path().join("seed");
        demo_seed::seed(&mut counter.replica().unwrap(), "2026-11-22", 2, &seed).unwrap();
        tauri::async_runtime::block_on(async { start_saved(&counter) }).unwrap();
        assert!(state(&counter).unwrap().status.is_none(), "no server saved");
        // Nothing listens on port 9 of loopback: the loop runs, offline.
        counter.settings().unwrap().server = "http://127.0.0.1:9".into();
        tauri::async_runtime::block_on(async { start_saved(&counter) }).unwrap();
        counter
            .write(|r| delivery_check::accept(r, "2026-11-22"))
            .unwrap();
        let mut status = None;
        for _ in 0..100 {
            let s = state(&counter).unwrap().status.unwrap();
            if s.last_error.is_some() && !s.pending.is_empty() {
                status = Some(s);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let status = status.expect("the loop tried the saved server");
        assert!(!status.online);
        assert_eq!(status.last_error_code, Some("unreachable"));
        assert!(status.pending.iter().any(|k| k.ends_with("/2026-11-22")));
    }

    #[test]
    fn the_servers_words_are_kept_in_both_languages() {
        let e = enroll_error(
            "http://s",
            EnrollError::Refused {
                status: 422,
                field: Some("code".into()),
                message: "this enrollment code has expired; ask for a new code".into(),
            },
        );
        assert!(e.zh.starts_with("绑定码已过期"), "{}", e.zh);
        assert!(e.zh.contains("has expired"));
        assert!(e.en.contains("has expired"));
        let used = enroll_error(
            "http://s",
            EnrollError::Refused {
                status: 422,
                field: None,
                message: "this enrollment code was already used; ask for a new code".into(),
            },
        );
        assert!(used.zh.starts_with("绑定码已被使用"), "{}", used.zh);
    }
}

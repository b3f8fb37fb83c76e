//! Errors as the counter shows them: a stable reason code for the UI's logic and
//! the sentence in both languages, Chinese first.

use serde::Serialize;

use crate::delivery::CheckError;
use crate::handover::HandoverLineError;
use crate::lang::Lang;
use crate::pickup::PickupRefusal;
use crate::pickup_qr::PickupQrError;
use crate::replica::ReplicaError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{en}")]
pub struct AppError {
    /// e.g. `unknown`, `other_point`, `already_picked_up`, `not_arrived`.
    pub reason: String,
    pub zh: String,
    pub en: String,
}

impl AppError {
    pub fn new(reason: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        AppError {
            reason: reason.to_string(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl From<PickupRefusal> for AppError {
    fn from(r: PickupRefusal) -> Self {
        let reason = match &r {
            PickupRefusal::Malformed(_) => "malformed",
            PickupRefusal::Unknown => "unknown",
            PickupRefusal::OtherPoint => "other_point",
            PickupRefusal::AlreadyPickedUp { .. } => "already_picked_up",
            PickupRefusal::Cancelled { .. } => "cancelled",
            PickupRefusal::Refunded { .. } => "refunded",
            PickupRefusal::NotArrived => "not_arrived",
            PickupRefusal::NothingDue => "nothing_due",
        };
        AppError::new(reason, r.message(Lang::ZhCn), r.message(Lang::En))
    }
}

impl From<PickupQrError> for AppError {
    fn from(e: PickupQrError) -> Self {
        AppError::new("bad_qr", e.message_zh(), e.to_string())
    }
}

impl From<HandoverLineError> for AppError {
    fn from(e: HandoverLineError) -> Self {
        let zh = match &e {
            HandoverLineError::NothingLeft => "该订单已没有可提的商品".to_string(),
            HandoverLineError::NoLinesChosen => "请至少选择一行商品".to_string(),
            HandoverLineError::NotInOrder(_) => "该订单没有所选商品".to_string(),
            HandoverLineError::ZeroQuantity(_) => "数量不能为0".to_string(),
            HandoverLineError::MoreThanLeft { asked, left, .. } => {
                format!("要提{asked}件，但该行只剩{left}件")
            }
            HandoverLineError::Repeated(_) => "同一行商品选了两次".to_string(),
        };
        AppError::new("handover_lines", zh, e.to_string())
    }
}

impl From<CheckError> for AppError {
    fn from(e: CheckError) -> Self {
        let zh = match &e {
            CheckError::AbsurdReceived(n) => format!("实收数量 {n} 不合理，请检查"),
            CheckError::DamagedExceedsReceived { received, damaged } => {
                format!("破损数量 {damaged} 多于实收数量 {received}")
            }
            CheckError::NotExpected => "该商品不在今日商品汇总表上".to_string(),
        };
        AppError::new("check", zh, e.to_string())
    }
}

impl From<ReplicaError> for AppError {
    fn from(e: ReplicaError) -> Self {
        match e {
            ReplicaError::Pickup(r) => r.into(),
            ReplicaError::Handover(h) => h.into(),
            ReplicaError::Check(c) => c.into(),
            ReplicaError::NotEnrolled => AppError::new(
                "not_enrolled",
                "本机尚未绑定自提点，请先完成首次设置",
                e.to_string(),
            ),
            ReplicaError::NoSuchDay(ref day) => AppError::new(
                "no_such_day",
                format!("本自提点没有 {day} 的配送"),
                e.to_string(),
            ),
            ReplicaError::Resolution(ref r) => {
                use crate::resolution::ResolutionError as R;
                let (reason, zh) = match r {
                    R::NoSuchOrder(_) => ("no_such_order", "这一天没有这笔订单".to_string()),
                    R::NotOpen { .. } => (
                        "conflict_not_open",
                        "这条冲突已经处理过了，或已不存在".to_string(),
                    ),
                    R::NoteTooLong(n) => (
                        "note_too_long",
                        format!(
                            "备注太长（{n} 字，最多 {} 字）",
                            crate::resolution::MAX_NOTE_CHARS
                        ),
                    ),
                };
                AppError::new(reason, zh, e.to_string())
            }
            ReplicaError::AlreadyAccepted(ref day) => AppError::new(
                "already_accepted",
                format!("{day} 的配送已经验收过了"),
                e.to_string(),
            ),
            other => AppError::new(
                "storage",
                format!("本机数据出错：{other}"),
                format!("Local data error: {other}"),
            ),
        }
    }
}

#[cfg(feature = "print")]
impl From<crate::print::PrintError> for AppError {
    fn from(e: crate::print::PrintError) -> Self {
        if let crate::print::PrintError::NothingToPrint { .. } = e {
            return AppError::new("nothing_to_print", "没有可打印的内容", e.to_string());
        }
        AppError::new("print", format!("无法生成打印文件：{e}"), e.to_string())
    }
}

#[cfg(feature = "scanner")]
impl From<crate::scanner::FrameError> for AppError {
    fn from(e: crate::scanner::FrameError) -> Self {
        AppError::new(
            "camera",
            format!("摄像头无法使用：{e}。可以直接输入7位提货码。"),
            format!("The camera failed: {e}. Type the 7-digit code instead."),
        )
    }
}

//! What each platform role may do (平台角色权限). The server checks every staff
//! request against `permits`; the admin web asks the server for the same list
//! (`permissions`) and shows only the buttons it contains. One table, so the
//! screen and the API can never disagree.
//!
//! Admins may do everything. Operators run the day: points, devices, routes,
//! catalog, cutoff, orders, claims. Finance handles money after the fact: the
//! ledger, settlement periods, withdrawals. Refunds move money a consumer sees,
//! so both operators (customer service) and finance may issue them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including staff accounts and the audit log.
    Admin,
    /// Points, devices, regions and routes, catalog, cutoff, orders, claims.
    Operator,
    /// Commission, settlement, withdrawals, refunds.
    Finance,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Operator, Role::Finance];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Finance => "finance",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role's name as staff read it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Operator => "运营",
            Role::Finance => "财务",
        }
    }
}

/// Something a member of staff does. Reading a screen's data is an action too,
/// so a role that may not see finance never receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The overview, reports, and every read-only list of the day's business
    /// (points, routes, catalog, waves, orders, claims, exceptions).
    ViewBusiness,
    /// Approve or reject leader applications, edit and suspend points.
    ManagePoints,
    /// Issue enrollment codes, revoke devices.
    ManageDevices,
    /// Regions, routes and the order of their stops.
    ManageRoutes,
    /// Products, categories, suppliers, product images.
    ManageCatalog,
    /// Close a region's ordering for a day now.
    RunCutoff,
    /// Cancel an order before it ships.
    CancelOrder,
    /// Refund an order, whole or by line, through the payment provider.
    RefundOrder,
    /// Approve or reject after-sale claims (approving refunds).
    DecideClaims,
    /// Close an exception with a resolution note.
    CloseExceptions,
    /// Record a handover on a counter's behalf (a counter that cannot sync).
    RecordHandover,
    /// Promoters of a point.
    ManagePromoters,
    /// Commission ledgers, settlement periods, statements, withdrawal lists.
    ViewFinance,
    /// Close a settlement period.
    ClosePeriods,
    /// Request a withdrawal on a leader's behalf, approve, reject, mark paid.
    DecideWithdrawals,
    /// Staff accounts: create, change role, disable, reset password.
    ManageStaff,
    /// Read the audit log.
    ViewAudit,
}

impl Action {
    pub const ALL: [Action; 17] = [
        Action::ViewBusiness,
        Action::ManagePoints,
        Action::ManageDevices,
        Action::ManageRoutes,
        Action::ManageCatalog,
        Action::RunCutoff,
        Action::CancelOrder,
        Action::RefundOrder,
        Action::DecideClaims,
        Action::CloseExceptions,
        Action::RecordHandover,
        Action::ManagePromoters,
        Action::ViewFinance,
        Action::ClosePeriods,
        Action::DecideWithdrawals,
        Action::ManageStaff,
        Action::ViewAudit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::ViewBusiness => "view_business",
            Action::ManagePoints => "manage_points",
            Action::ManageDevices => "manage_devices",
            Action::ManageRoutes => "manage_routes",
            Action::ManageCatalog => "manage_catalog",
            Action::RunCutoff => "run_cutoff",
            Action::CancelOrder => "cancel_order",
            Action::RefundOrder => "refund_order",
            Action::DecideClaims => "decide_claims",
            Action::CloseExceptions => "close_exceptions",
            Action::RecordHandover => "record_handover",
            Action::ManagePromoters => "manage_promoters",
            Action::ViewFinance => "view_finance",
            Action::ClosePeriods => "close_periods",
            Action::DecideWithdrawals => "decide_withdrawals",
            Action::ManageStaff => "manage_staff",
            Action::ViewAudit => "view_audit",
        }
    }

    /// What the action is, for a refusal's message.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            Action::ViewBusiness => ("查看业务数据", "view business data"),
            Action::ManagePoints => ("管理团长和自提点", "manage leaders and pickup points"),
            Action::ManageDevices => ("管理收银设备", "manage counter devices"),
            Action::ManageRoutes => ("管理区域和路线", "manage regions and routes"),
            Action::ManageCatalog => ("管理商品", "manage the catalog"),
            Action::RunCutoff => ("截单", "run a cutoff"),
            Action::CancelOrder => ("取消订单", "cancel orders"),
            Action::RefundOrder => ("退款", "refund orders"),
            Action::DecideClaims => ("处理售后", "decide after-sale claims"),
            Action::CloseExceptions => ("关闭异常", "close exceptions"),
            Action::RecordHandover => ("代记核销", "record handovers"),
            Action::ManagePromoters => ("管理推广人员", "manage promoters"),
            Action::ViewFinance => ("查看财务", "view finance"),
            Action::ClosePeriods => ("结算周期", "close settlement periods"),
            Action::DecideWithdrawals => ("处理提现", "decide withdrawals"),
            Action::ManageStaff => ("管理员工账号", "manage staff accounts"),
            Action::ViewAudit => ("查看操作日志", "view the audit log"),
        }
    }
}

/// The one rule: may `role` do `action`?
pub fn permits(role: Role, action: Action) -> bool {
    use Action::*;
    match role {
        Role::Admin => true,
        Role::Operator => matches!(
            action,
            ViewBusiness
                | ManagePoints
                | ManageDevices
                | ManageRoutes
                | ManageCatalog
                | RunCutoff
                | CancelOrder
                | RefundOrder
                | DecideClaims
                | CloseExceptions
                | RecordHandover
                | ManagePromoters
        ),
        Role::Finance => matches!(
            action,
            ViewBusiness
                | RefundOrder
                | CloseExceptions
                | ViewFinance
                | ClosePeriods
                | DecideWithdrawals
        ),
    }
}

/// Everything `role` may do, in `Action::ALL` order (what the admin web shows).
pub fn permissions(role: Role) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| permits(role, *a))
        .collect()
}

/// A staff account as far as the lock-out rule cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    pub role: Role,
    pub disabled: bool,
}

impl Account {
    fn is_working_admin(self) -> bool {
        self.role == Role::Admin && !self.disabled
    }
}

/// Why a change to a staff account is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountRefusal {
    #[error(
        "you cannot disable your own account or take away your own admin role; ask another admin"
    )]
    OwnAccount,
    #[error("this is the last enabled admin account; make another admin first")]
    LastAdmin,
}

impl AccountRefusal {
    pub fn message_zh(self) -> &'static str {
        match self {
            AccountRefusal::OwnAccount => {
                "不能停用自己的账号或取消自己的管理员角色；请另一位管理员操作"
            }
            AccountRefusal::LastAdmin => "这是最后一个启用的管理员账号；请先设置另一位管理员",
        }
    }
}

/// May an account go from `before` to `after`? Nobody locks themselves out, and
/// the platform always keeps one enabled admin (`working_admins` counts them now,
/// the target included), so staff accounts can always be managed.
pub fn check_account_change(
    own_account: bool,
    before: Account,
    after: Account,
    working_admins: u32,
) -> Result<(), AccountRefusal> {
    let loses_admin = before.is_working_admin() && !after.is_working_admin();
    if !loses_admin {
        return Ok(());
    }
    if own_account {
        return Err(AccountRefusal::OwnAccount);
    }
    if working_admins <= 1 {
        return Err(AccountRefusal::LastAdmin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: Account = Account {
        role: Role::Admin,
        disabled: false,
    };

    #[test]
    fn nobody_locks_themselves_out_and_one_admin_always_stays() {
        let demoted = Account {
            role: Role::Operator,
            ..ADMIN
        };
        let disabled = Account {
            disabled: true,
            ..ADMIN
        };
        assert_eq!(
            check_account_change(true, ADMIN, disabled, 3),
            Err(AccountRefusal::OwnAccount)
        );
        assert_eq!(
            check_account_change(true, ADMIN, demoted, 3),
            Err(AccountRefusal::OwnAccount)
        );
        assert_eq!(
            check_account_change(false, ADMIN, demoted, 1),
            Err(AccountRefusal::LastAdmin)
        );
        assert_eq!(check_account_change(false, ADMIN, disabled, 2), Ok(()));
        // Renaming oneself, or changing an operator, is never a lock-out.
        assert_eq!(check_account_change(true, ADMIN, ADMIN, 1), Ok(()));
        let op = Account {
            role: Role::Operator,
            disabled: false,
        };
        let op_off = Account {
            disabled: true,
            ..op
        };
        assert_eq!(check_account_change(false, op, op_off, 1), Ok(()));
        // Enabling an admin again adds one.
        assert_eq!(check_account_change(false, disabled, ADMIN, 1), Ok(()));
    }

    #[test]
    fn admins_may_do_everything() {
        assert_eq!(permissions(Role::Admin), Action::ALL.to_vec());
    }

    #[test]
    fn only_admins_manage_staff_and_read_the_audit_log() {
        for role in [Role::Operator, Role::Finance] {
            assert!(!permits(role, Action::ManageStaff), "{role:?}");
            assert!(!permits(role, Action::ViewAudit), "{role:?}");
        }
    }

    #[test]
    fn finance_handles_money_and_operators_run_the_day() {
        assert!(permits(Role::Finance, Action::DecideWithdrawals));
        assert!(permits(Role::Finance, Action::ClosePeriods));
        assert!(!permits(Role::Finance, Action::ManageCatalog));
        assert!(!permits(Role::Finance, Action::RunCutoff));
        assert!(permits(Role::Operator, Action::RunCutoff));
        assert!(!permits(Role::Operator, Action::ViewFinance));
        assert!(!permits(Role::Operator, Action::DecideWithdrawals));
        // Both may refund: customer service and finance.
        assert!(permits(Role::Operator, Action::RefundOrder));
        assert!(permits(Role::Finance, Action::RefundOrder));
    }

    #[test]
    fn every_role_sees_the_business() {
        for role in Role::ALL {
            assert!(permits(role, Action::ViewBusiness));
        }
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
        for a in Action::ALL {
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.as_str()));
        }
    }
}

//! What a point's devices pull read-only over their sync connection (decision
//! 0010): the catalog, the team and the withdrawals as snapshots, and withdrawal
//! requests made on a device. The ledger pull is `LedgerStore::ledger_since`.

use std::future::Future;

use linli_core::ids::{DeviceId, PointId};
use linli_core::money::Fen;
use linli_core::sync::pull::{CatalogSnapshot, TeamSnapshot, WithdrawalsSnapshot};
use linli_core::sync::WithdrawalVerdict;
use linli_core::time::Millis;

use super::StoreError;

pub trait PullStore {
    /// Every product, by sku, without stock.
    fn catalog_snapshot(&self) -> impl Future<Output = Result<CatalogSnapshot, StoreError>> + Send;
    /// The point's promoters (oldest first) with the consumers each brought and
    /// their orders at this point that are neither cancelled nor refunded.
    fn team_snapshot(
        &self,
        point: PointId,
    ) -> impl Future<Output = Result<TeamSnapshot, StoreError>> + Send;
    fn withdrawals_snapshot(
        &self,
        point: PointId,
    ) -> impl Future<Output = Result<WithdrawalsSnapshot, StoreError>> + Send;
    /// A withdrawal asked for on a device: stored as a pending request under the
    /// device's own id, so a retry after a lost answer stores nothing twice.
    fn device_withdrawal(
        &self,
        point: PointId,
        request: uuid::Uuid,
        amount: Fen,
        device: DeviceId,
        at: Millis,
    ) -> impl Future<Output = Result<(WithdrawalVerdict, String), StoreError>> + Send;
}

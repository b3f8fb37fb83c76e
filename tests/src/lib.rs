//! Cross-crate scenarios live in `tests/tests/`; the programs they drive in `src/bin/`;
//! what both share here.

/// The fixed point-day that the crash tests' counter works through.
pub mod torture {
    use linli_core::demo::{sample_day_doc, sample_orders, SampleCatalog, SampleOrder};
    use linli_core::doc::PointDayDoc;
    use linli_core::ids::{DeviceId, PointId};
    use linli_core::pickup_code::CodeKey;
    use linli_core::replica::DeviceIdentity;
    use linli_core::time::Millis;

    pub const DAY: &str = "2026-11-22";

    fn point() -> PointId {
        PointId(uuid_from(0x11))
    }

    fn uuid_from(n: u128) -> linli_core::ids::Uuid {
        linli_core::ids::Uuid::from_u128(n)
    }

    fn key() -> CodeKey {
        CodeKey::from_bytes([3; 32])
    }

    pub fn identity() -> DeviceIdentity {
        DeviceIdentity {
            point: point(),
            device: DeviceId(uuid_from(0x22)),
            leader: "压力测试".into(),
            code_key: key(),
        }
    }

    pub fn orders(n: usize) -> Vec<SampleOrder> {
        sample_orders(
            &SampleCatalog::new(11),
            &key(),
            Millis(1_795_312_000_000),
            n,
            12,
        )
    }

    pub fn day_doc(orders: &[SampleOrder]) -> anyhow::Result<PointDayDoc> {
        Ok(sample_day_doc(point(), DAY, orders)?)
    }
}

/// A real sync server on loopback and the platform set-up the sync scenarios share.
pub mod net;
/// A sync socket driven frame by frame, for tests of what a hostile device sends.
pub mod raw_socket;
/// The server's report sums against its orders, for scenarios that move orders.
pub mod report_sums;
/// A busy point's week offline, then reconnect: the test's and the bench's set-up.
pub mod week;

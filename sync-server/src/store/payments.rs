//! Taking the consumer's money: a charge when an order is placed, a refund when it
//! is cancelled before shipment. The provider is chosen by configuration; the store
//! calls it inside the same atomic step that places or cancels the order and keeps
//! what it answered in `payments`, so a declined charge leaves no order and no
//! reserved stock, and a cancelled order's refund is on file with the cancellation.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use linli_core::ids::{ConsumerId, OrderId};
use linli_core::money::Fen;

use super::PaymentMethod;

/// What a provider confirmed: one money movement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentReceipt {
    /// The provider's id for the movement (shown to support staff).
    pub reference: String,
    pub amount: Fen,
}

/// The order a charge is for.
#[derive(Clone, Copy, Debug)]
pub struct ChargeRequest {
    pub order: OrderId,
    pub consumer: ConsumerId,
    pub amount: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payment was declined: {0}")]
    Declined(String),
    #[error("the payment provider failed: {0}")]
    Provider(String),
}

/// A payment provider. Calls are made on the store's writer inside the order's
/// transaction, so they must answer quickly; a provider that talks to a network
/// would authorise here and settle asynchronously.
pub trait Payments: Send + Sync + 'static {
    /// How orders paid through this provider are marked.
    fn method(&self) -> PaymentMethod;
    /// Charges for a new order. `None`: nothing was charged (pay at pickup).
    fn charge(&self, request: &ChargeRequest) -> Result<Option<PaymentReceipt>, PaymentError>;
    /// Gives back a charge in full. `None`: nothing to give back.
    fn refund(
        &self,
        order: OrderId,
        charge: &PaymentReceipt,
    ) -> Result<Option<PaymentReceipt>, PaymentError>;
}

/// The consumer pays the leader when collecting: nothing is charged online.
#[derive(Clone, Copy, Debug, Default)]
pub struct PayAtPickup;

impl Payments for PayAtPickup {
    fn method(&self) -> PaymentMethod {
        PaymentMethod::PayAtPickup
    }

    fn charge(&self, _: &ChargeRequest) -> Result<Option<PaymentReceipt>, PaymentError> {
        Ok(None)
    }

    fn refund(
        &self,
        _: OrderId,
        _: &PaymentReceipt,
    ) -> Result<Option<PaymentReceipt>, PaymentError> {
        Ok(None)
    }
}

/// A provider for tests and demos: every charge succeeds and is recorded (in the
/// `payments` table, by the store) unless it was told to decline the next ones.
#[derive(Debug, Default)]
pub struct TestProvider {
    decline_next: AtomicU32,
    serial: AtomicU64,
}

impl TestProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declines the next `n` charges (each as if the card were refused).
    pub fn decline_next_charges(&self, n: u32) {
        self.decline_next.store(n, Ordering::SeqCst);
    }

    fn reference(&self, kind: &str) -> String {
        format!(
            "test-{kind}-{}",
            self.serial.fetch_add(1, Ordering::SeqCst) + 1
        )
    }
}

impl Payments for TestProvider {
    fn method(&self) -> PaymentMethod {
        PaymentMethod::TestProvider
    }

    fn charge(&self, request: &ChargeRequest) -> Result<Option<PaymentReceipt>, PaymentError> {
        let declined = self
            .decline_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if declined {
            return Err(PaymentError::Declined(
                "the test provider was told to decline this charge".into(),
            ));
        }
        Ok(Some(PaymentReceipt {
            reference: self.reference("charge"),
            amount: request.amount,
        }))
    }

    fn refund(
        &self,
        _: OrderId,
        charge: &PaymentReceipt,
    ) -> Result<Option<PaymentReceipt>, PaymentError> {
        Ok(Some(PaymentReceipt {
            reference: self.reference("refund"),
            amount: charge.amount,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ChargeRequest {
        ChargeRequest {
            order: OrderId::new(),
            consumer: ConsumerId::new(),
            amount: Fen(2_390),
        }
    }

    #[test]
    fn the_test_provider_declines_exactly_as_many_charges_as_told() {
        let p = TestProvider::new();
        p.decline_next_charges(2);
        assert!(p.charge(&request()).is_err());
        assert!(p.charge(&request()).is_err());
        let ok = p.charge(&request()).unwrap().unwrap();
        assert_eq!(ok.amount, Fen(2_390));
        let back = p.refund(OrderId::new(), &ok).unwrap().unwrap();
        assert_eq!(back.amount, ok.amount);
        assert_ne!(back.reference, ok.reference);
    }

    #[test]
    fn pay_at_pickup_moves_no_money() {
        let receipt = PaymentReceipt {
            reference: "x".into(),
            amount: Fen(1),
        };
        assert_eq!(PayAtPickup.charge(&request()).unwrap(), None);
        assert_eq!(PayAtPickup.refund(OrderId::new(), &receipt).unwrap(), None);
    }
}

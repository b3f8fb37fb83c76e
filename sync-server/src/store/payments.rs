//! Taking the consumer's money: a charge when an order is placed, a refund when it
//! is cancelled before shipment. The provider is chosen by configuration; the store
//! calls it inside the same atomic step that places or cancels the order and keeps
//! what it answered in `payments`, so a declined charge leaves no order and no
//! reserved stock, and a cancelled order's refund is on file with the cancellation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

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
    /// Gives back `amount` of a charge (all of it or part). `refund` names this
    /// refund to the provider, which honours one refund per name: asked again
    /// (a retry after a crash) it answers the first refund, moving no more money
    /// — how a real provider's refund number (e.g. `out_refund_no`) works.
    /// `None`: nothing to give back (nothing was charged online).
    fn refund(
        &self,
        order: OrderId,
        charge: &PaymentReceipt,
        amount: Fen,
        refund: &str,
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
        _: Fen,
        _: &str,
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
    /// Refunds made, by the caller's name for each, and what each charge has
    /// given back: a provider refuses to give back more than it took.
    refunds: Mutex<TestRefunds>,
}

#[derive(Debug, Default)]
struct TestRefunds {
    by_name: HashMap<String, PaymentReceipt>,
    given_back: HashMap<String, Fen>,
}

impl TestProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declines the next `n` charges (each as if the card were refused).
    pub fn decline_next_charges(&self, n: u32) {
        self.decline_next.store(n, Ordering::SeqCst);
    }

    /// How many distinct refunds moved money (a replayed one does not count).
    pub fn refunds_made(&self) -> usize {
        self.refunds.lock().map_or(0, |r| r.by_name.len())
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
        amount: Fen,
        refund: &str,
    ) -> Result<Option<PaymentReceipt>, PaymentError> {
        let mut r = self
            .refunds
            .lock()
            .map_err(|_| PaymentError::Provider("the test provider's books are poisoned".into()))?;
        if let Some(first) = r.by_name.get(refund) {
            return Ok(Some(first.clone()));
        }
        let given = r
            .given_back
            .get(&charge.reference)
            .copied()
            .unwrap_or(Fen::ZERO);
        if given + amount > charge.amount {
            return Err(PaymentError::Declined(format!(
                "a refund of {amount} would give back more than the charge of {}",
                charge.amount
            )));
        }
        let receipt = PaymentReceipt {
            reference: self.reference("refund"),
            amount,
        };
        r.given_back
            .insert(charge.reference.clone(), given + amount);
        r.by_name.insert(refund.to_string(), receipt.clone());
        Ok(Some(receipt))
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
        let back = p
            .refund(OrderId::new(), &ok, Fen(390), "r1")
            .unwrap()
            .unwrap();
        assert_eq!(back.amount, Fen(390));
        assert_ne!(back.reference, ok.reference);
        // The same refund asked again moves nothing more; more than is left is refused.
        assert_eq!(
            p.refund(OrderId::new(), &ok, Fen(390), "r1")
                .unwrap()
                .unwrap(),
            back
        );
        assert!(p.refund(OrderId::new(), &ok, Fen(2_001), "r2").is_err());
        assert!(p
            .refund(OrderId::new(), &ok, Fen(2_000), "r3")
            .unwrap()
            .is_some());
        assert_eq!(p.refunds_made(), 2);
    }

    #[test]
    fn pay_at_pickup_moves_no_money() {
        let receipt = PaymentReceipt {
            reference: "x".into(),
            amount: Fen(1),
        };
        assert_eq!(PayAtPickup.charge(&request()).unwrap(), None);
        assert_eq!(
            PayAtPickup
                .refund(OrderId::new(), &receipt, Fen(1), "r")
                .unwrap(),
            None
        );
    }
}

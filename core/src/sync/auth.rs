//! A device proves who it is with an ed25519 key pair born on the device (CSPRNG);
//! the server keeps only the public key, from enrollment. Each connection the server
//! sends a fresh 32-byte nonce and the device signs
//! `"linli-sync/1" | nonce | device id`: the context string keeps the signature from
//! being valid for anything else, the nonce makes it single use, and the device id
//! ties it to the identity the device claimed in `Hello`.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand::rngs::OsRng;
use rand::RngCore;

use crate::ids::DeviceId;

/// What every proof starts with: the protocol and its version.
pub const PROOF_CONTEXT: &[u8] = b"linli-sync/1";
pub const NONCE_LEN: usize = 32;
pub const SIGNATURE_LEN: usize = 64;
pub const PUBLIC_KEY_LEN: usize = 32;
pub const SECRET_KEY_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("a device public key is {PUBLIC_KEY_LEN} bytes, not {0}")]
    PublicKeyLength(usize),
    #[error("the device public key is not a valid ed25519 point")]
    PublicKeyInvalid,
    #[error("the device public key is a weak (small-order) key and would accept forged proofs")]
    WeakPublicKey,
    #[error("the proof does not verify: wrong key, wrong nonce or another device's id")]
    BadProof,
}

/// The server's per-connection challenge.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    /// A fresh nonce from the operating system's CSPRNG.
    pub fn random() -> Self {
        let mut bytes = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut bytes);
        Nonce(bytes)
    }

    pub fn from_bytes(bytes: [u8; NONCE_LEN]) -> Self {
        Nonce(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; NONCE_LEN] {
        &self.0
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", hex(&self.0))
    }
}

/// A device's signature over the challenge.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ProofSignature([u8; SIGNATURE_LEN]);

impl ProofSignature {
    pub fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        ProofSignature(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

impl fmt::Debug for ProofSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofSignature({})", hex(&self.0))
    }
}

/// The device's key pair. The secret never leaves the device; it is stored in the
/// replica so the device keeps its identity across restarts.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A new key pair from the operating system's CSPRNG.
    pub fn generate() -> Self {
        DeviceKey(SigningKey::generate(&mut OsRng))
    }

    pub fn from_secret_bytes(secret: &[u8; SECRET_KEY_LEN]) -> Self {
        DeviceKey(SigningKey::from_bytes(secret))
    }

    /// The secret, for storing on this device only.
    pub fn secret_bytes(&self) -> [u8; SECRET_KEY_LEN] {
        self.0.to_bytes()
    }

    /// What enrollment sends to the server.
    pub fn public(&self) -> DevicePublicKey {
        DevicePublicKey(self.0.verifying_key())
    }

    /// The answer to a challenge.
    pub fn prove(&self, nonce: &Nonce, device: DeviceId) -> ProofSignature {
        ProofSignature(self.0.sign(&proof_message(nonce, device)).to_bytes())
    }
}

impl fmt::Debug for DeviceKey {
    // Never print the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DeviceKey(public {})",
            hex(self.0.verifying_key().as_bytes())
        )
    }
}

/// A device's public key as the server stores it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DevicePublicKey(VerifyingKey);

impl DevicePublicKey {
    /// Reads a stored or enrolled key; refuses wrong lengths, non-points and weak keys.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuthError> {
        let bytes: &[u8; PUBLIC_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| AuthError::PublicKeyLength(bytes.len()))?;
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| AuthError::PublicKeyInvalid)?;
        if key.is_weak() {
            return Err(AuthError::WeakPublicKey);
        }
        Ok(DevicePublicKey(key))
    }

    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    /// Checks a proof with `verify_strict`, which also refuses non-canonical
    /// signatures, so one proof has exactly one valid encoding.
    pub fn verify_proof(
        &self,
        nonce: &Nonce,
        device: DeviceId,
        proof: &ProofSignature,
    ) -> Result<(), AuthError> {
        let signature = Signature::from_bytes(proof.as_bytes());
        self.0
            .verify_strict(&proof_message(nonce, device), &signature)
            .map_err(|_| AuthError::BadProof)
    }
}

impl fmt::Debug for DevicePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DevicePublicKey({})", hex(self.0.as_bytes()))
    }
}

/// `"linli-sync/1" | nonce | device id`: fixed-length parts, so no two different
/// (nonce, device) pairs give the same bytes.
fn proof_message(nonce: &Nonce, device: DeviceId) -> Vec<u8> {
    let mut m = Vec::with_capacity(PROOF_CONTEXT.len() + NONCE_LEN + 16);
    m.extend_from_slice(PROOF_CONTEXT);
    m.extend_from_slice(nonce.as_bytes());
    m.extend_from_slice(device.0.as_bytes());
    m
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_verifies_with_the_devices_own_key_nonce_and_id() {
        let key = DeviceKey::generate();
        let device = DeviceId::new();
        let nonce = Nonce::random();
        let proof = key.prove(&nonce, device);
        assert_eq!(key.public().verify_proof(&nonce, device, &proof), Ok(()));
    }

    #[test]
    fn a_proof_fails_with_another_key_nonce_or_device() {
        let key = DeviceKey::generate();
        let device = DeviceId::new();
        let nonce = Nonce::random();
        let proof = key.prove(&nonce, device);
        let other_key = DeviceKey::generate().public();
        assert_eq!(
            other_key.verify_proof(&nonce, device, &proof),
            Err(AuthError::BadProof)
        );
        assert_eq!(
            key.public().verify_proof(&Nonce::random(), device, &proof),
            Err(AuthError::BadProof)
        );
        assert_eq!(
            key.public().verify_proof(&nonce, DeviceId::new(), &proof),
            Err(AuthError::BadProof)
        );
        let mut flipped = *proof.as_bytes();
        flipped[10] ^= 1;
        assert_eq!(
            key.public()
                .verify_proof(&nonce, device, &ProofSignature::from_bytes(flipped)),
            Err(AuthError::BadProof)
        );
    }

    #[test]
    fn the_secret_survives_storage_and_gives_the_same_identity() {
        let key = DeviceKey::generate();
        let again = DeviceKey::from_secret_bytes(&key.secret_bytes());
        assert_eq!(again.public(), key.public());
        let nonce = Nonce::random();
        let device = DeviceId::new();
        assert_eq!(
            key.public()
                .verify_proof(&nonce, device, &again.prove(&nonce, device)),
            Ok(())
        );
        assert!(!format!("{key:?}").contains(&hex(&key.secret_bytes())));
    }

    #[test]
    fn two_generated_keys_differ() {
        assert_ne!(
            DeviceKey::generate().public(),
            DeviceKey::generate().public()
        );
    }

    #[test]
    fn stored_public_keys_are_checked() {
        let good = DeviceKey::generate().public();
        assert_eq!(DevicePublicKey::from_bytes(&good.to_bytes()), Ok(good));
        assert_eq!(
            DevicePublicKey::from_bytes(&[1; 31]),
            Err(AuthError::PublicKeyLength(31))
        );
        // The identity point (all zero but the first byte 1) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            DevicePublicKey::from_bytes(&identity),
            Err(AuthError::WeakPublicKey)
        );
        // y = 2 is not on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert_eq!(
            DevicePublicKey::from_bytes(&off_curve),
            Err(AuthError::PublicKeyInvalid)
        );
    }
}

//! The sync server's API tests, one binary: each module drives the real router over
//! a real SQLite file on loopback (`common::TestServer`). One binary rather than one
//! per file, because linking each against the whole server costs more than the tests.

mod common;
mod consumer;
mod demo;
mod devices;
mod edits;
mod ledger;
mod ops;
mod ordering;
mod platform;
mod promoters;
mod waves;

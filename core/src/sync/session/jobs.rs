//! Per-document bookkeeping of storage jobs, shared by both sessions. Receives are
//! never merged (each message must be applied, in order), but generate requests are:
//! while a job of a document runs, further changes only set a flag, and one
//! `Generate` follows when the last job answers. A burst of a hundred orders is one
//! job, not a hundred.

use std::collections::BTreeMap;

use crate::sync::doc_key::DocKey;

#[derive(Default)]
struct Jobs {
    running: u32,
    nudged: bool,
}

#[derive(Default)]
pub(super) struct DocJobs {
    docs: BTreeMap<DocKey, Jobs>,
}

impl DocJobs {
    /// The document changed: true if a `Generate` is to be sent now.
    pub(super) fn nudge(&mut self, doc: DocKey) -> bool {
        let jobs = self.docs.entry(doc).or_default();
        if jobs.running == 0 {
            jobs.running = 1;
            true
        } else {
            jobs.nudged = true;
            false
        }
    }

    /// A `Receive` is being sent.
    pub(super) fn receive(&mut self, doc: DocKey) {
        self.docs.entry(doc).or_default().running += 1;
    }

    /// A job answered: true if a `Generate` is to be sent now for a change that
    /// came in meanwhile.
    pub(super) fn finished(&mut self, doc: DocKey) -> bool {
        let Some(jobs) = self.docs.get_mut(&doc) else {
            return false;
        };
        jobs.running = jobs.running.saturating_sub(1);
        if jobs.running == 0 && jobs.nudged {
            jobs.nudged = false;
            jobs.running = 1;
            return true;
        }
        false
    }
}

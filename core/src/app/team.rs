//! The Team screen (团队): the point's promoters by referral — each under the one
//! who recruited them — with the consumers each brought and what those ordered,
//! from the pulled team snapshot.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::AppError;
use crate::money::Fen;
use crate::replica::Replica;
use crate::sync::pull::{TeamConsumer, TeamPromoter};
use crate::sync::PullKind;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TeamRow {
    /// 0 for a promoter nobody recruited, 1 for one they recruited, and so on.
    pub depth: u32,
    pub id: String,
    pub name: String,
    pub phone: String,
    pub referral_code: String,
    pub recruited_by: Option<String>,
    pub consumers: Vec<TeamConsumer>,
    pub orders: u32,
    pub amount: Fen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TeamView {
    /// Depth first: each promoter, then those they recruited.
    pub rows: Vec<TeamRow>,
    pub consumers: u32,
    pub orders: u32,
    pub amount: Fen,
    /// False until the first team pull has arrived.
    pub pulled: bool,
}

pub fn team(replica: &Replica) -> Result<TeamView, AppError> {
    let promoters = replica.team()?;
    let pulled = replica.pulled_version(PullKind::Team)? != 0;
    let rows = referral_order(promoters);
    Ok(TeamView {
        consumers: rows.iter().map(|r| r.consumers.len() as u32).sum(),
        orders: rows.iter().map(|r| r.orders).sum(),
        amount: Fen(rows.iter().map(|r| r.amount.0).sum()),
        rows,
        pulled,
    })
}

/// Promoters in referral order. One whose recruiter is not listed is a root, and a
/// loop (which the server never makes) cannot hide anyone: every promoter appears
/// exactly once.
pub fn referral_order(promoters: Vec<TeamPromoter>) -> Vec<TeamRow> {
    let ids: HashSet<String> = promoters.iter().map(|p| p.id.clone()).collect();
    let mut children: BTreeMap<Option<String>, Vec<TeamPromoter>> = BTreeMap::new();
    for p in promoters {
        let parent = p
            .recruited_by
            .clone()
            .filter(|r| ids.contains(r) && *r != p.id);
        children.entry(parent).or_default().push(p);
    }
    let mut rows = Vec::with_capacity(ids.len());
    let mut stack: Vec<(u32, TeamPromoter)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|p| (0, p))
        .collect();
    loop {
        while let Some((depth, p)) = stack.pop() {
            if let Some(kids) = children.remove(&Some(p.id.clone())) {
                stack.extend(kids.into_iter().rev().map(|k| (depth + 1, k)));
            }
            rows.push(row(depth, p));
        }
        // Whatever is left sits in a loop: show it from its first member.
        let Some((_, mut left)) = children.pop_first() else {
            break;
        };
        stack.extend(left.drain(..).rev().map(|p| (0, p)));
    }
    rows
}

fn row(depth: u32, p: TeamPromoter) -> TeamRow {
    TeamRow {
        depth,
        orders: p.consumers.iter().map(|c| c.orders).sum(),
        amount: Fen(p.consumers.iter().map(|c| c.amount.0).sum()),
        id: p.id,
        name: p.name,
        phone: p.phone,
        referral_code: p.referral_code,
        recruited_by: p.recruited_by,
        consumers: p.consumers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;

    fn p(id: &str, by: Option<&str>, amounts: &[i64]) -> TeamPromoter {
        TeamPromoter {
            id: id.into(),
            name: id.into(),
            phone: "17700000000".into(),
            referral_code: "AAAAAA".into(),
            recruited_by: by.map(Into::into),
            joined_at: Millis(0),
            consumers: amounts
                .iter()
                .map(|a| TeamConsumer {
                    name: "c".into(),
                    phone_tail: "0000".into(),
                    orders: 1,
                    amount: Fen(*a),
                })
                .collect(),
        }
    }

    #[test]
    fn recruits_follow_their_recruiter_depth_first() {
        let rows = referral_order(vec![
            p("a", None, &[100]),
            p("b", None, &[]),
            p("a1", Some("a"), &[5, 7]),
            p("a1x", Some("a1"), &[]),
            p("a2", Some("a"), &[]),
        ]);
        let order: Vec<(&str, u32)> = rows.iter().map(|r| (r.id.as_str(), r.depth)).collect();
        assert_eq!(
            order,
            [("a", 0), ("a1", 1), ("a1x", 2), ("a2", 1), ("b", 0)]
        );
        assert_eq!((rows[1].orders, rows[1].amount), (2, Fen(12)));
    }

    #[test]
    fn an_unknown_recruiter_or_a_loop_hides_nobody() {
        let rows = referral_order(vec![
            p("x", Some("gone"), &[]),
            p("l1", Some("l2"), &[]),
            p("l2", Some("l1"), &[]),
            p("me", Some("me"), &[]),
        ]);
        let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["l1", "l2", "me", "x"]);
    }
}

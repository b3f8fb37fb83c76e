//! A delivery route's stops (线路站点): the driving order staff set. Frozen
//! waves keep the order they were cut off with; a new order applies from the
//! next cutoff.

use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StopOrderError {
    #[error("point {0} is not on this route")]
    NotOnRoute(String),
    #[error("point {0} is listed twice")]
    Twice(String),
    #[error("point {0} is on this route but missing from the new order")]
    Missing(String),
}

impl StopOrderError {
    pub fn message_zh(&self) -> String {
        match self {
            StopOrderError::NotOnRoute(p) => format!("自提点 {p} 不在这条线路上"),
            StopOrderError::Twice(p) => format!("自提点 {p} 出现了两次"),
            StopOrderError::Missing(p) => format!("线路上的自提点 {p} 不在新顺序里"),
        }
    }
}

/// A new driving order must name every point now on the route, each once.
pub fn check_stop_order(on_route: &[String], asked: &[String]) -> Result<(), StopOrderError> {
    let known: BTreeSet<&str> = on_route.iter().map(String::as_str).collect();
    let mut seen = BTreeSet::new();
    for p in asked {
        if !known.contains(p.as_str()) {
            return Err(StopOrderError::NotOnRoute(p.clone()));
        }
        if !seen.insert(p.as_str()) {
            return Err(StopOrderError::Twice(p.clone()));
        }
    }
    match on_route.iter().find(|p| !seen.contains(p.as_str())) {
        Some(p) => Err(StopOrderError::Missing(p.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_new_order_names_every_stop_once() {
        let on = v(&["a", "b", "c"]);
        assert_eq!(check_stop_order(&on, &v(&["c", "a", "b"])), Ok(()));
        assert_eq!(
            check_stop_order(&on, &v(&["c", "a"])),
            Err(StopOrderError::Missing("b".into()))
        );
        assert_eq!(
            check_stop_order(&on, &v(&["c", "a", "a", "b"])),
            Err(StopOrderError::Twice("a".into()))
        );
        assert_eq!(
            check_stop_order(&on, &v(&["c", "a", "b", "x"])),
            Err(StopOrderError::NotOnRoute("x".into()))
        );
        assert_eq!(check_stop_order(&[], &[]), Ok(()));
    }
}

//! The audit log's one rule beyond storage: what changed between a record's
//! before and after (操作日志的变更). The server keeps both whole records as JSON
//! with every staff action that changes data; readers are shown only the fields
//! that differ, each with its old and new value, so "price 1290 → 990" is what an
//! auditor reads rather than two documents to compare by eye.

use serde::Serialize;
use serde_json::Value;

/// One field that differs between the record before and after an action.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldChange {
    /// The field's name; nested objects are compared whole under their top-level name.
    pub field: String,
    /// `null` when the field did not exist (or the record was created).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub before: Value,
    /// `null` when the field was removed (or the record deleted).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: Value,
}

/// The fields that differ, in field-name order. A record created (`before` absent)
/// lists every field of `after`; one removed lists every field of `before`. Values
/// that are not JSON objects are compared whole under the field name `value`.
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let as_map = |v: Option<&Value>| -> Option<serde_json::Map<String, Value>> {
        match v {
            None | Some(Value::Null) => Some(empty.clone()),
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => None,
        }
    };
    let (Some(b), Some(a)) = (as_map(before), as_map(after)) else {
        let (b, a) = (
            before.cloned().unwrap_or(Value::Null),
            after.cloned().unwrap_or(Value::Null),
        );
        return if b == a {
            Vec::new()
        } else {
            vec![FieldChange {
                field: "value".into(),
                before: b,
                after: a,
            }]
        };
    };
    let mut names: Vec<&String> = b.keys().chain(a.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let old = b.get(name).cloned().unwrap_or(Value::Null);
            let new = a.get(name).cloned().unwrap_or(Value::Null);
            (old != new).then(|| FieldChange {
                field: name.clone(),
                before: old,
                after: new,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_fields_that_differ_are_listed() {
        let before = json!({"price": 1290, "stock": 40, "name": "鸡蛋", "window": {"opens": 1}});
        let after = json!({"price": 990, "stock": 40, "name": "鸡蛋", "window": {"opens": 2}});
        let got = changes(Some(&before), Some(&after));
        assert_eq!(
            got,
            vec![
                FieldChange {
                    field: "price".into(),
                    before: json!(1290),
                    after: json!(990)
                },
                FieldChange {
                    field: "window".into(),
                    before: json!({"opens": 1}),
                    after: json!({"opens": 2})
                },
            ]
        );
        assert!(changes(Some(&after), Some(&after)).is_empty());
    }

    #[test]
    fn a_created_record_lists_every_field_and_a_removed_field_shows_null() {
        let after = json!({"b": 2, "a": 1});
        let got = changes(None, Some(&after));
        assert_eq!(
            got.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(got.iter().all(|c| c.before.is_null()));
        let got = changes(Some(&json!({"note": "x"})), Some(&json!({})));
        assert_eq!(got[0].after, Value::Null);
    }

    #[test]
    fn values_that_are_not_objects_compare_whole() {
        let got = changes(Some(&json!("open")), Some(&json!("closed")));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].field, "value");
        assert!(changes(Some(&json!(3)), Some(&json!(3))).is_empty());
    }
}

//! Paged, filtered lists in SQL: the conditions a list's filters set, as bound
//! parameters (only fixed column names and SQL written here are spliced into the
//! text), and one page of rows with the total count. Every admin list uses it.

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, Row};

use super::platform_store::PageRequest;
use super::StoreError;

/// `WHERE … AND …` over the filters that are set.
#[derive(Default)]
pub(super) struct Filter {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    fn bind(&mut self, v: Value) -> String {
        self.values.push(v);
        format!("?{}", self.values.len())
    }

    /// `column = value` when the value is set.
    pub fn eq(mut self, column: &'static str, value: Option<impl Into<Value>>) -> Self {
        if let Some(v) = value {
            let p = self.bind(v.into());
            self.parts.push(format!("{column} = {p}"));
        }
        self
    }

    /// `column >= value` when set.
    pub fn at_least(mut self, column: &'static str, value: Option<impl Into<Value>>) -> Self {
        if let Some(v) = value {
            let p = self.bind(v.into());
            self.parts.push(format!("{column} >= {p}"));
        }
        self
    }

    /// `column < value` when set.
    pub fn before(mut self, column: &'static str, value: Option<impl Into<Value>>) -> Self {
        if let Some(v) = value {
            let p = self.bind(v.into());
            self.parts.push(format!("{column} < {p}"));
        }
        self
    }

    /// A fixed condition of our own (no caller text in it) when `on`.
    pub fn when(mut self, on: bool, sql: &'static str) -> Self {
        if on {
            self.parts.push(sql.to_string());
        }
        self
    }

    /// Free-text search: any of `exact` equals the text, or any of `prefix`
    /// starts with it, or any of `contains` contains it (LIKE with the text's
    /// own `%` and `_` escaped). Blank text filters nothing.
    pub fn search(
        mut self,
        text: Option<&str>,
        exact: &[&'static str],
        prefix: &[&'static str],
        contains: &[&'static str],
    ) -> Self {
        let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return self;
        };
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut any = Vec::new();
        if !exact.is_empty() {
            let p = self.bind(Value::Text(t.to_string()));
            any.extend(exact.iter().map(|c| format!("{c} = {p}")));
        }
        if !prefix.is_empty() {
            let p = self.bind(Value::Text(format!("{escaped}%")));
            any.extend(prefix.iter().map(|c| format!("{c} LIKE {p} ESCAPE '\\'")));
        }
        if !contains.is_empty() {
            let p = self.bind(Value::Text(format!("%{escaped}%")));
            any.extend(contains.iter().map(|c| format!("{c} LIKE {p} ESCAPE '\\'")));
        }
        if !any.is_empty() {
            self.parts.push(format!("({})", any.join(" OR ")));
        }
        self
    }

    pub fn sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.parts.join(" AND "))
        }
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

/// One page of `SELECT {columns} FROM {from} {filter} ORDER BY {order}` and the
/// number of rows matching the filter; `row` maps a row (it may refuse stored
/// data it cannot read).
pub(super) fn page<T>(
    conn: &Connection,
    from: &str,
    columns: &str,
    order: &str,
    filter: &Filter,
    page: PageRequest,
    row: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<(Vec<T>, u64), StoreError> {
    page_counting(conn, from, from, columns, order, filter, page, row)
}

/// `page`, counting the total over `count_from`: the same rows with only the
/// joins the filter needs (SQLite does not leave an unread join out of a count,
/// and over a million orders the joins are most of its time).
#[allow(clippy::too_many_arguments)]
pub(super) fn page_counting<T>(
    conn: &Connection,
    from: &str,
    count_from: &str,
    columns: &str,
    order: &str,
    filter: &Filter,
    page: PageRequest,
    row: impl Fn(&Row<'_>) -> Result<T, StoreError>,
) -> Result<(Vec<T>, u64), StoreError> {
    let cond = filter.sql();
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM {count_from} {cond}"))?
        .query_row(params_from_iter(filter.values().iter()), |r| r.get(0))?;
    let mut values = filter.values().to_vec();
    values.push(Value::Integer(page.limit.into()));
    values.push(Value::Integer(page.offset.into()));
    let n = values.len();
    let sql = format!(
        "SELECT {columns} FROM {from} {cond} ORDER BY {order} LIMIT ?{} OFFSET ?{n}",
        n - 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(values.iter()))?;
    let mut items = Vec::new();
    while let Some(r) = rows.next()? {
        items.push(row(r)?);
    }
    Ok((items, total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (id INTEGER, name TEXT, phone TEXT);
             INSERT INTO t VALUES (1, '王_记', '13800001234'), (2, '李记', '13900005678'),
                                  (3, '100%鲜', '13700001234');",
        )
        .unwrap();
        c
    }

    fn ids(c: &Connection, f: Filter) -> (Vec<i64>, u64) {
        page(c, "t", "id", "id", &f, PageRequest::new(None, None), |r| {
            Ok(r.get(0)?)
        })
        .unwrap()
    }

    #[test]
    fn filters_that_are_set_narrow_and_the_rest_do_not() {
        let c = db();
        assert_eq!(ids(&c, Filter::new()).0, [1, 2, 3]);
        assert_eq!(ids(&c, Filter::new().eq("id", Some(2))).0, [2]);
        assert_eq!(ids(&c, Filter::new().eq("id", None::<i64>)).1, 3);
        assert_eq!(
            ids(
                &c,
                Filter::new().at_least("id", Some(2)).before("id", Some(3))
            )
            .0,
            [2]
        );
    }

    #[test]
    fn search_escapes_like_wildcards_and_matches_tails() {
        let c = db();
        let s = |q| Filter::new().search(Some(q), &["name"], &[], &["name", "phone"]);
        assert_eq!(
            ids(&c, s("_")).0,
            [1],
            "an underscore is a character, not a wildcard"
        );
        assert_eq!(ids(&c, s("%")).0, [3]);
        assert_eq!(ids(&c, s("1234")).0, [1, 3]);
        assert_eq!(ids(&c, s("  ")).1, 3, "blank filters nothing");
        assert_eq!(
            ids(&c, Filter::new().search(Some("139"), &[], &["phone"], &[])).0,
            [2]
        );
    }

    #[test]
    fn a_page_counts_every_match() {
        let c = db();
        let (items, total) = page(
            &c,
            "t",
            "id",
            "id DESC",
            &Filter::new(),
            PageRequest::new(Some(1), Some(1)),
            |r| Ok(r.get::<_, i64>(0)?),
        )
        .unwrap();
        assert_eq!((items, total), (vec![2], 3));
    }
}

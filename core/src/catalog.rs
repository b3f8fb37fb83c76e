//! The platform's catalog: products (SKUs) as the server keeps them. Devices receive
//! a read-only copy by versioned pull; only the server validates and writes them.

use serde::{Deserialize, Serialize};

use crate::ids::{SkuId, SupplierId};
use crate::money::{Fen, Rate};
use crate::time::Millis;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: SkuId,
    pub name: String,
    pub category: String,
    /// "500g", "30枚", "1.8L": what one unit is.
    pub spec: String,
    pub image_urls: Vec<String>,
    pub price: Fen,
    pub supplier: SupplierId,
    /// Returnable after shipment, within `return_window_days` of the handover.
    pub returnable: bool,
    pub return_window_days: u32,
    /// Earns loyalty points (1 per yuan paid).
    pub points_eligible: bool,
    /// Most units one consumer may buy while the sale window is open.
    pub purchase_limit: Option<u32>,
    /// When the product can be ordered; `None` is always.
    pub sale_window: Option<SaleWindow>,
    /// Overrides the category's commission rate.
    pub commission_rate: Option<Rate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleWindow {
    pub opens: Millis,
    pub closes: Millis,
}

impl SaleWindow {
    pub fn is_open(&self, at: Millis) -> bool {
        self.opens <= at && at < self.closes
    }
}

/// One field that is wrong and why: what a 422 answer lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    /// In English: logs, tests and callers that ask for `en`.
    pub reason: String,
    /// The same in Chinese, shown to staff and consumers who read zh-CN; an error
    /// without it is shown in English to everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_zh: Option<String>,
}

impl FieldError {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            reason: reason.into(),
            reason_zh: None,
        }
    }

    /// The reason in Chinese as well.
    pub fn zh(mut self, reason: impl Into<String>) -> Self {
        self.reason_zh = Some(reason.into());
        self
    }

    /// The reason in `lang`, English when there is no Chinese.
    pub fn reason_in(&self, lang: crate::lang::Lang) -> &str {
        match (lang, &self.reason_zh) {
            (crate::lang::Lang::ZhCn, Some(zh)) => zh,
            _ => &self.reason,
        }
    }
}

/// Longest return window the platform accepts.
pub const MAX_RETURN_WINDOW_DAYS: u32 = 30;

impl Product {
    /// Every problem with the product, so a form can mark all fields at once.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        let text = |errs: &mut Vec<FieldError>, field: &str, v: &str, max: usize| {
            if v.trim().is_empty() {
                errs.push(FieldError::new(field, "must not be empty"));
            } else if v.chars().count() > max {
                errs.push(FieldError::new(field, format!("at most {max} characters")));
            }
        };
        text(&mut errs, "name", &self.name, 60);
        text(&mut errs, "category", &self.category, 20);
        text(&mut errs, "spec", &self.spec, 30);
        if self.price <= Fen::ZERO || self.price > Fen(10_000_000) {
            errs.push(FieldError::new(
                "price",
                "must be between ¥0.01 and ¥100,000.00",
            ));
        }
        if self.image_urls.len() > 9 {
            errs.push(FieldError::new("image_urls", "at most 9 images"));
        }
        for (i, u) in self.image_urls.iter().enumerate() {
            if !(u.starts_with("https://") || u.starts_with("/")) || u.len() > 500 {
                errs.push(FieldError::new(
                    &format!("image_urls[{i}]"),
                    "must be an https:// URL or a path on this server, at most 500 characters",
                ));
            }
        }
        if self.returnable && self.return_window_days == 0 {
            errs.push(FieldError::new(
                "return_window_days",
                "a returnable product needs a window of at least 1 day",
            ));
        }
        if self.return_window_days > MAX_RETURN_WINDOW_DAYS {
            errs.push(FieldError::new(
                "return_window_days",
                format!("at most {MAX_RETURN_WINDOW_DAYS} days"),
            ));
        }
        if self.purchase_limit == Some(0) {
            errs.push(FieldError::new(
                "purchase_limit",
                "must be at least 1 (or absent for no limit)",
            ));
        }
        if let Some(w) = self.sale_window {
            if w.closes <= w.opens {
                errs.push(FieldError::new("sale_window", "must close after it opens"));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn product(price: i64) -> Product {
        Product {
            sku: SkuId::new(),
            name: "本地土鸡蛋".into(),
            category: "蛋品".into(),
            spec: "30枚".into(),
            image_urls: vec!["https://img.example/eggs.jpg".into()],
            price: Fen(price),
            supplier: SupplierId::new(),
            returnable: false,
            return_window_days: 0,
            points_eligible: true,
            purchase_limit: None,
            sale_window: None,
            commission_rate: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::product;
    use super::*;

    #[test]
    fn a_plain_product_is_valid() {
        assert_eq!(product(2_390).validate(), Ok(()));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut p = product(0);
        p.name = " ".into();
        p.returnable = true;
        p.purchase_limit = Some(0);
        p.image_urls = vec!["javascript:alert(1)".into()];
        p.sale_window = Some(SaleWindow {
            opens: Millis(10),
            closes: Millis(5),
        });
        let fields: Vec<String> = p
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "price",
                "image_urls[0]",
                "return_window_days",
                "purchase_limit",
                "sale_window"
            ]
        );
    }
}

//! Whole-number query parameters with a range, refused with a sentence that names the
//! range (poem-openapi's own integers answer `-1` with "invalid digit found in string").

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::strict::raw_self;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult, ToJSON, Type};
use serde_json::Value;

/// The range and default of a [`Bounded`] parameter.
pub trait Bound: Send + Sync + 'static {
    /// Smallest value.
    const MIN: u64;
    /// Largest value.
    const MAX: u64;
    /// Value when the parameter is left out.
    const DEFAULT: u64;
}

/// A whole number in `B`'s range.
pub struct Bounded<B>(pub u64, PhantomData<fn() -> B>);

impl<B: Bound> Bounded<B> {
    fn new(v: u64) -> Self {
        Self(v, PhantomData)
    }

    fn rule() -> String {
        format!("must be a whole number from {} to {}", B::MIN, B::MAX)
    }
}

impl<B: Bound> Default for Bounded<B> {
    fn default() -> Self {
        Self::new(B::DEFAULT)
    }
}

impl<B> std::fmt::Debug for Bounded<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<B: Bound> Type for Bounded<B> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "integer(uint64)".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(B::MIN as f64),
            maximum: Some(B::MAX as f64),
            ..MetaSchema::new_with_format("integer", "uint64")
        }))
    }

    raw_self!();
}

impl<B: Bound> ParseFromParameter for Bounded<B> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        match value.parse::<u64>() {
            Ok(v) if (B::MIN..=B::MAX).contains(&v) => Ok(Self::new(v)),
            _ => Err(ParseError::custom(Self::rule())),
        }
    }
}

impl<B: Bound> ToJSON for Bounded<B> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

/// `offset` of a leaderboard page.
pub struct Offset;

impl Bound for Offset {
    const MIN: u64 = 0;
    const MAX: u64 = 1_000_000_000;
    const DEFAULT: u64 = 0;
}

/// `limit` of a leaderboard page.
pub struct Limit;

impl Bound for Limit {
    const MIN: u64 = 1;
    const MAX: u64 = 100;
    const DEFAULT: u64 = 10;
}

/// `limit` of a library page.
pub struct LibraryLimit;

impl Bound for LibraryLimit {
    const MIN: u64 = 1;
    const MAX: u64 = quiz_core::ports::MAX_SEARCH_LIMIT;
    const DEFAULT: u64 = 20;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_range_whole_numbers_only() {
        assert_eq!(
            Bounded::<Limit>::parse_from_parameter("1")
                .map(|b| b.0)
                .ok(),
            Some(1)
        );
        assert_eq!(
            Bounded::<Limit>::parse_from_parameter("100")
                .map(|b| b.0)
                .ok(),
            Some(100)
        );
        for bad in [
            "0",
            "101",
            "-1",
            "1.5",
            "",
            "ten",
            "99999999999999999999999",
        ] {
            let e = Bounded::<Limit>::parse_from_parameter(bad)
                .err()
                .map(|e| e.into_message());
            assert!(
                e.as_deref()
                    .is_some_and(|m| m.ends_with("must be a whole number from 1 to 100")),
                "{bad}: {e:?}"
            );
        }
        assert_eq!(Bounded::<Offset>::default().0, 0);
        assert_eq!(Bounded::<Limit>::default().0, 10);
    }
}

//! Strings that must match a regular expression, checked with a regex compiled once.
//!
//! poem-openapi's `pattern` validator compiles its regex on every check (`Regex::new` in
//! `Validator::check`): about 50 µs for an id pattern and 90 µs for the name pattern on
//! this project's machines, on every request that names a quiz and on every join, where an
//! answer costs the server about 9 µs. [`Matching`] states the same pattern in the OpenAPI
//! schema (the committed contract is unchanged) and checks it with a regex built on first
//! use.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::LazyLock;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use regex::Regex;
use serde_json::Value;

use crate::strict::Text;
use crate::strict::raw_self;

/// A regular expression a [`Matching`] string must match.
pub trait Pattern: Send + Sync + 'static {
    /// The expression, as stated in the schema.
    const PATTERN: &'static str;
    /// What a matching value looks like, for the error message of one that does not.
    const MESSAGE: &'static str;
    /// The expression, compiled once.
    fn regex() -> &'static Regex;
}

/// Declares a [`Pattern`] type.
macro_rules! pattern {
    ($(#[$doc:meta])* $name:ident = $re:expr, $message:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name;

        impl Pattern for $name {
            const PATTERN: &'static str = $re;
            const MESSAGE: &'static str = $message;
            fn regex() -> &'static Regex {
                static RE: LazyLock<Regex> = LazyLock::new(|| {
                    // The expression is a constant checked by this module's tests, so this
                    // cannot fail at run time.
                    #[allow(clippy::expect_used)]
                    Regex::new($name::PATTERN).expect("a valid constant pattern")
                });
                &RE
            }
        }
    };
}

/// Quiz, question and player ids: 1–64 of `A-Z a-z 0-9 _ -`.
const ID: &str = "^[A-Za-z0-9_-]{1,64}$";

pattern!(
    /// A quiz id.
    QuizIdPattern = ID,
    "a quiz id is 1 to 64 characters of A-Z a-z 0-9 _ -"
);

pattern!(
    /// A player id.
    PlayerIdPattern = ID,
    "a player id is 1 to 64 characters of A-Z a-z 0-9 _ -"
);

pattern!(
    /// Display names: no control characters and at least one that is not white space.
    NamePattern =
        r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
    "a name is 1 to 32 characters, not blank, with no control characters"
);

/// A string matching `P`: from a JSON string (nothing else: numbers and booleans are not
/// turned into text) or from a path parameter.
pub struct Matching<P>(pub String, PhantomData<fn() -> P>);

impl<P> Matching<P> {
    fn new(s: String) -> Self {
        Self(s, PhantomData)
    }
}

impl<P> std::fmt::Debug for Matching<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<P> std::ops::Deref for Matching<P> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<P> AsRef<str> for Matching<P> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<P: Pattern> Matching<P> {
    fn check(s: String) -> ParseResult<Self> {
        if P::regex().is_match(&s) {
            Ok(Self::new(s))
        } else {
            Err(ParseError::custom(P::MESSAGE))
        }
    }
}

impl<P: Pattern> Type for Matching<P> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            pattern: Some(P::PATTERN.to_owned()),
            ..MetaSchema::new("string")
        }))
    }

    raw_self!();

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<P: Pattern> ParseFromJSON for Matching<P> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        // JSON strings only, as for every string in a request body.
        let Text(s) = Text::parse_from_json(value).map_err(ParseError::propagate)?;
        Self::check(s)
    }
}

impl<P: Pattern> ToJSON for Matching<P> {
    fn to_json(&self) -> Option<Value> {
        Text(self.0.clone()).to_json()
    }
}

impl<P: Pattern> ParseFromParameter for Matching<P> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::check(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_compile_and_check_like_the_domain() {
        for ok in ["a", "Quiz_1-x", &"z".repeat(64)] {
            assert!(
                Matching::<QuizIdPattern>::parse_from_parameter(ok).is_ok(),
                "{ok}"
            );
            assert!(quiz_core::QuizId::parse(ok).is_ok());
        }
        for bad in ["", "a b", "é", &"z".repeat(65), "a/b"] {
            assert!(
                Matching::<QuizIdPattern>::parse_from_parameter(bad).is_err(),
                "{bad}"
            );
            assert!(quiz_core::QuizId::parse(bad).is_err());
        }
        for ok in ["Ann", " Ann ", "Ann \"the\" ⚡"] {
            assert!(
                Matching::<NamePattern>::parse_from_parameter(ok).is_ok(),
                "{ok}"
            );
        }
        for bad in ["", "   ", "a\u{7}b", "\t", "x\u{85}"] {
            assert!(
                Matching::<NamePattern>::parse_from_parameter(bad).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn only_json_strings_parse() {
        assert!(
            Matching::<QuizIdPattern>::parse_from_json(Some(Value::String("a".into()))).is_ok()
        );
        assert!(Matching::<QuizIdPattern>::parse_from_json(Some(Value::Bool(false))).is_err());
        assert!(Matching::<QuizIdPattern>::parse_from_json(Some(serde_json::json!(1))).is_err());
        assert!(Matching::<QuizIdPattern>::parse_from_json(None).is_err());
    }

    #[test]
    fn the_schema_states_the_pattern() {
        let MetaSchemaRef::Inline(s) = Matching::<QuizIdPattern>::schema_ref() else {
            panic!("inline schema expected");
        };
        assert_eq!(s.ty, "string");
        assert_eq!(s.pattern.as_deref(), Some(QuizIdPattern::PATTERN));
    }
}

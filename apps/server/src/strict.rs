//! A string type for request bodies that accepts only JSON strings.
//!
//! poem-openapi's `String` silently turns JSON numbers and booleans into text (`false` →
//! `"false"`), so a client sending the wrong type would get a quiz titled "false" instead
//! of an error. [`Text`] has the same OpenAPI schema (`type: string`) but refuses anything
//! that is not a JSON string.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// The two `Type` methods of a type that is its own raw value (one element: itself), which
/// poem-openapi requires of every custom type.
macro_rules! raw_self {
    () => {
        fn as_raw_value(&self) -> Option<&Self::RawValueType> {
            Some(self)
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            Box::new(std::iter::once(self))
        }
    };
}
pub(crate) use raw_self;

/// A JSON string, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    raw_self!();

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value.unwrap_or_default() {
            Value::String(s) => Ok(Self(s)),
            other => Err(ParseError::expected_type(other)),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_may_be_left_out_but_not_null() {
        assert_eq!(
            Absent::<Text>::parse_from_json(None).ok(),
            Some(Absent(None))
        );
        assert!(Absent::<Text>::parse_from_json(Some(Value::Null)).is_err());
        assert_eq!(
            Absent::<Text>::parse_from_json(Some(Value::String("x".into()))).ok(),
            Some(Absent(Some(Text("x".into()))))
        );
    }

    #[test]
    fn only_json_strings_parse() {
        assert_eq!(
            Text::parse_from_json(Some(Value::String("a".into()))).ok(),
            Some(Text("a".into()))
        );
        assert!(Text::parse_from_json(Some(Value::Bool(false))).is_err());
        assert!(Text::parse_from_json(Some(serde_json::json!(1))).is_err());
        assert!(Text::parse_from_json(None).is_err());
    }
}

/// An optional body field that may be left out but not sent as `null` (the schema does not
/// allow `null`, and poem-openapi's `Option` would quietly accept it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absent<T>(pub Option<T>);

impl<T: Type> Type for Absent<T> {
    const IS_REQUIRED: bool = false;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("optional_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(v) => v.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }

    fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Absent<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            None => Ok(Self(None)),
            Some(Value::Null) => Err(ParseError::custom(
                "null is not allowed; leave the field out instead",
            )),
            Some(v) => Ok(Self(Some(
                T::parse_from_json(Some(v)).map_err(ParseError::propagate)?,
            ))),
        }
    }
}

impl<T: ToJSON> ToJSON for Absent<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().and_then(ToJSON::to_json)
    }
}

//! Strict JSON: what the server accepts from clients, in HTTP bodies and WebSocket frames.
//!
//! serde_json on its own keeps the last of two equal keys (`{"option":1,"option":2}` is
//! read as option 2, which another reader may take as 1) and nests up to 128 levels.
//! [`parse`] builds the same [`Value`] but refuses a repeated key and nesting deeper than
//! the configured limit, naming the problem and where it is. Its cost is linear in the
//! input, which the size limits bound.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Default deepest nesting of arrays and objects a client may send. The deepest document
/// the API takes (a quiz definition) nests 4 levels.
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// Why a text is not acceptable JSON: a sentence for people, with the line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError(pub String);

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses `text` as one JSON value, refusing repeated keys and nesting deeper than
/// `max_depth`.
///
/// # Errors
/// [`JsonError`] naming the problem and its position.
pub fn parse(text: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = Strict(Depth::top(max_depth))
        .deserialize(&mut de)
        .map_err(describe)?;
    de.end().map_err(describe)?;
    Ok(value)
}

/// Checks that `text` is one JSON value by the same rules as [`parse`], without building
/// it: only each object's keys are held while it is read, so checking costs little memory
/// beyond the input (for request bodies, which the API then parses itself).
///
/// # Errors
/// [`JsonError`] naming the problem and its position.
pub fn check(text: &[u8], max_depth: usize) -> Result<(), JsonError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    Check(Depth::top(max_depth))
        .deserialize(&mut de)
        .map_err(describe)?;
    de.end().map_err(describe)
}

/// serde_json's error in words for people (its own wording for syntax, ours for the rules
/// above), with the position it reports.
fn describe(e: serde_json::Error) -> JsonError {
    use serde_json::error::Category;
    let at = format!("line {} column {}", e.line(), e.column());
    let text = e.to_string();
    // serde_json appends " at line L column C"; keep only what comes before.
    let what = text.split(" at line ").next().unwrap_or(&text);
    JsonError(match e.classify() {
        Category::Eof => format!("the JSON ends too early ({at})"),
        Category::Syntax => format!("not valid JSON: {what} ({at})"),
        Category::Data | Category::Io => format!("{what} ({at})"),
    })
}

struct Strict(Depth);

/// How deep the value being read is, and how deep values may go.
#[derive(Clone, Copy)]
struct Depth {
    depth: usize,
    max_depth: usize,
}

impl Depth {
    fn top(max_depth: usize) -> Self {
        Self {
            depth: 0,
            max_depth,
        }
    }

    /// One level down, or the nesting error.
    fn deeper<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= self.max_depth {
            return Err(E::custom(format!(
                "arrays and objects nest deeper than {} levels",
                self.max_depth
            )));
        }
        Ok(Self {
            depth: self.depth + 1,
            max_depth: self.max_depth,
        })
    }
}

/// The visitor of [`check`]: [`Strict`]'s rules, keeping nothing but the keys of the object
/// being read.
struct Check(Depth);

impl<'de> DeserializeSeed<'de> for Check {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Check {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.0.deeper()?;
        while seq.next_element_seed(Check(inner))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.0.deeper()?;
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key.clone()) {
                return Err(de::Error::custom(format!("the key {key:?} appears twice")));
            }
            map.next_value_seed(Check(inner))?;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.0.deeper()?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict(inner))? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.0.deeper()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("the key {key:?} appears twice")));
            }
            let v = map.next_value_seed(Strict(inner))?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_what_serde_json_accepts_without_repeats() {
        let text = br#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":"d"}"#;
        let want: Value = serde_json::from_slice(text).unwrap_or_default();
        assert_eq!(parse(text, 8), Ok(want));
    }

    #[test]
    fn refuses_repeated_keys_at_any_depth() {
        let e = parse(br#"{"type":"ping","type":"answer"}"#, 8).unwrap_err();
        assert!(e.0.contains("\"type\" appears twice"), "{e}");
        assert!(e.0.contains("line 1"), "{e}");
        assert!(parse(br#"{"a":{"b":1,"b":1}}"#, 8).is_err());
        assert!(
            parse(br#"{"a":1,"b":{"a":1}}"#, 8).is_ok(),
            "same key, other object"
        );
    }

    #[test]
    fn refuses_nesting_past_the_limit() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(deep(4).as_bytes(), 4).is_ok());
        let e = parse(deep(5).as_bytes(), 4).unwrap_err();
        assert!(e.0.contains("deeper than 4 levels"), "{e}");
        // Far past serde_json's own recursion limit: refused, not overflowed.
        assert!(parse(deep(100_000).as_bytes(), DEFAULT_MAX_DEPTH).is_err());
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = parse(b"{\"a\":", 8).unwrap_err();
        assert!(e.0.starts_with("the JSON ends too early"), "{e}");
        let e = parse(b"{\"a\" 1}", 8).unwrap_err();
        assert!(e.0.starts_with("not valid JSON"), "{e}");
        assert!(parse(b"{} {}", 8).is_err(), "one value only");
    }

    proptest! {
        #[test]
        fn never_panics_and_agrees_with_serde_json(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let parsed = parse(&bytes, DEFAULT_MAX_DEPTH);
            // `check` says yes exactly when `parse` does, with the same reason.
            prop_assert_eq!(check(&bytes, DEFAULT_MAX_DEPTH).err(), parsed.clone().err());
            if let Ok(v) = parsed {
                let plain: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                prop_assert_eq!(v, plain);
            }
        }
    }

    #[test]
    fn check_applies_the_same_rules() {
        assert_eq!(check(br#"{"a":[1,{"b":2}]}"#, 8), Ok(()));
        assert!(check(br#"{"a":1,"a":2}"#, 8).is_err());
        assert!(check(b"[[[[[]]]]]", 4).is_err());
        assert!(check(b"{", 4).is_err());
    }
}

//! Parameter and model documents read strictly: a key repeated in one mapping, or a number that is not
//! finite (YAML's `.nan`, `.inf`), is an error rather than silently the last value or `null`.
//!
//! `serde_json::Value` keeps the last of repeated keys and cannot hold NaN (a YAML `.nan` would become
//! `null`, which a parameter file reads as "the default"); [`StrictValue`] is deserialised by a visitor
//! that refuses both, for JSON and YAML alike.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value deserialised without repeated keys or non-finite numbers.
pub(crate) struct StrictValue(pub Value);

struct StrictVisitor;

fn finite<E: de::Error>(x: f64) -> Result<Value, E> {
    Number::from_f64(x)
        .map(Value::Number)
        .ok_or_else(|| E::custom(format!("the number {x} is not finite")))
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<StrictValue, E> {
        i64::try_from(v)
            .map(|v| StrictValue(Value::from(v)))
            .map_err(|_| E::custom(format!("the whole number {v} is out of range")))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<StrictValue, E> {
        u64::try_from(v)
            .map(|v| StrictValue(Value::from(v)))
            .map_err(|_| E::custom(format!("the whole number {v} is out of range")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrictValue, E> {
        finite(v).map(StrictValue)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }
    fn visit_none<E: de::Error>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_unit<E: de::Error>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<StrictValue, D::Error> {
        StrictValue::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(StrictValue(Value::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictValue, A::Error> {
        let mut out = Map::new();
        while let Some(StrictValue(k)) = map.next_key()? {
            let key = match k {
                Value::String(s) => s,
                // YAML allows other scalars as keys; they are read by their text, as serde_json does.
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => "null".to_string(),
                other => {
                    return Err(de::Error::custom(format!(
                        "a mapping key must be a scalar, got {other}"
                    )))
                }
            };
            let StrictValue(v) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key '{key}' appears twice in one mapping"
                )));
            }
            out.insert(key, v);
        }
        Ok(StrictValue(Value::Object(out)))
    }
}

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StrictValue, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

/// Parses JSON text strictly.
pub(crate) fn from_json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str::<StrictValue>(text).map(|v| v.0)
}

/// Parses YAML text strictly.
pub(crate) fn from_yaml(text: &str) -> Result<Value, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str::<StrictValue>(text).map(|v| v.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_in_json_and_yaml() {
        let e = from_json(r#"{"a": 1, "b": {"c": 1, "c": 2}}"#).unwrap_err();
        assert!(e.to_string().contains("'c' appears twice"), "{e}");
        // serde_yaml_ng refuses these itself or through the visitor: either way, an error.
        assert!(from_yaml("a: 1\na: 2\n").is_err());
    }

    #[test]
    fn non_finite_numbers_are_refused() {
        for t in ["x: .nan", "x: .inf", "x: -.inf", "x: [1, .nan]"] {
            let e = from_yaml(t).unwrap_err();
            assert!(e.to_string().contains("not finite"), "{t}: {e}");
        }
        assert_eq!(from_yaml("x: 1.5").unwrap()["x"], 1.5);
        assert_eq!(from_json("[1, 2.5, null]").unwrap()[1], 2.5);
    }
}

//! Checking a JSON body against its schema while reading it, without building a
//! `serde_json::Value` first: a `DeserializeSeed` that walks the schema beside the document and
//! applies the same rules as [`super::check_value`].

use std::{borrow::Cow, cell::RefCell, fmt};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Field, Shape, check_enum, check_items, check_len, check_range, check_shape};
use crate::{Error, Result, spec::Rules};

/// Checks `body` against `rules`; the error names the first field at fault.
pub(super) fn check(rules: &Rules, body: &[u8]) -> Result<()> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(body);
    let root = Field::Root("body");
    let read = Checker {
        rules: Some(rules),
        field: &root,
        found: &found,
    }
    .deserialize(&mut de)
    .and_then(|_| de.end());
    // A rule broken stops the reading with a placeholder error; the real one is kept aside.
    if let Some(e) = found.into_inner() {
        return Err(e);
    }
    read.map_err(|e| Error::invalid("body", format!("is not JSON: {e}")))
}

/// `rules` is `None` for a value the description leaves open (e.g. array items without a schema).
struct Checker<'a> {
    rules: Option<&'a Rules>,
    field: &'a Field<'a>,
    found: &'a RefCell<Option<Error>>,
}

impl<'a> Checker<'a> {
    fn at(&self, rules: Option<&'a Rules>, field: &'a Field<'a>) -> Checker<'a> {
        Checker {
            rules,
            field,
            found: self.found,
        }
    }

    /// Applies `rule` to the rules; a broken rule is kept aside and stops the reading.
    fn rule<E: de::Error>(&self, rule: impl FnOnce(&Rules) -> Result<()>) -> Result<(), E> {
        let Some(rules) = self.rules else {
            return Ok(());
        };
        rule(rules).map_err(|e| {
            *self.found.borrow_mut() = Some(e);
            E::custom("a value breaks a rule of the description")
        })
    }

    fn scalar<E: de::Error>(&self, value: Value, shape: Shape) -> Result<bool, E> {
        self.rule(|s| {
            check_shape(s, shape, self.field, || value.to_string())?;
            check_enum(s, &value, self.field)?;
            match &value {
                Value::Number(n) => check_range(s, n, self.field),
                _ => Ok(()),
            }
        })?;
        Ok(false)
    }
}

/// The value is `true` when the JSON value was `null` (a required field must not be).
impl<'de> DeserializeSeed<'de> for Checker<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checker<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(true)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        self.scalar(Value::Bool(v), Shape::Bool)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<bool, E> {
        self.scalar(Value::from(v), Shape::Int)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<bool, E> {
        self.scalar(Value::from(v), Shape::Int)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<bool, E> {
        self.scalar(Value::from(v), Shape::Num)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        self.rule(|s| {
            check_shape(s, Shape::Str, self.field, || Value::from(v).to_string())?;
            if s.allowed.is_some() {
                check_enum(s, &Value::from(v), self.field)?;
            }
            check_len(s, v, self.field)
        })?;
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        self.rule(|s| check_shape(s, Shape::Arr, self.field, || "an array".to_owned()))?;
        let items = self.rules.and_then(|r| r.items.as_deref());
        let mut count = 0;
        loop {
            let field = Field::Item(self.field, count);
            if seq.next_element_seed(self.at(items, &field))?.is_none() {
                break;
            }
            count += 1;
        }
        self.rule(|s| check_items(s, count, self.field))?;
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        self.rule(|s| check_shape(s, Shape::Obj, self.field, || "an object".to_owned()))?;
        let required: &[String] = self.rules.map_or(&[], |r| &r.required);
        let mut present = vec![false; required.len()];
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.rules.and_then(|r| r.property(&key)) {
                Some(prop) => {
                    let field = Field::Member(self.field, &key);
                    let null = map.next_value_seed(self.at(Some(prop), &field))?;
                    if let Some(i) = required.iter().position(|r| *r == key) {
                        present[i] = !null;
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(i) = present.iter().position(|p| !p) {
            let missing = &required[i];
            self.rule(|_| {
                Err(Error::invalid(
                    Field::Member(self.field, missing).to_string(),
                    "is required",
                ))
            })?;
        }
        Ok(false)
    }
}

//! The one walker of the input checks: a `DeserializeSeed` that walks a value's schema beside
//! it, so that a JSON body is checked while it is read (no `serde_json::Value` built first), and
//! a parameter, read as the scalar its schema describes, goes through the very same rules.

use std::{borrow::Cow, cell::RefCell, fmt};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{
    Field, Seen, Shape, check_cross, check_enum, check_items, check_len, check_range, check_shape,
};
use crate::{Error, Result, spec::Rules};

/// Checks a JSON body against `rules`; the error names the first field at fault.
pub(super) fn check_json(rules: &Rules, body: &[u8]) -> Result<()> {
    let mut de = serde_json::Deserializer::from_slice(body);
    run(rules, "body", |checker| {
        checker.deserialize(&mut de).and_then(|_| de.end())
    })
    .map_err(|e| e.unwrap_or_else(|e| Error::invalid("body", format!("is not JSON: {e}"))))
}

/// Checks a parameter's value against `rules`.
pub(super) fn check_value<'de, D>(rules: &Rules, value: D, name: &str) -> Result<()>
where
    D: de::Deserializer<'de, Error = serde_json::Error>,
{
    run(rules, name, |checker| checker.deserialize(value).map(drop))
        .map_err(|e| e.unwrap_or_else(|e| Error::invalid(name, e.to_string())))
}

/// Walks with a fresh checker; `Err(Ok(_))` is a broken rule, `Err(Err(_))` unreadable input.
fn run(
    rules: &Rules,
    root: &str,
    walk: impl FnOnce(Checker<'_>) -> Result<(), serde_json::Error>,
) -> Result<(), Result<Error, serde_json::Error>> {
    let found = RefCell::new(None);
    let root = Field::Root(root);
    let read = walk(Checker {
        rules: Some(rules),
        field: &root,
        found: &found,
    });
    // A rule broken stops the reading with a placeholder error; the real one is kept aside.
    if let Some(e) = found.into_inner() {
        return Err(Ok(e));
    }
    read.map_err(Err)
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

    fn scalar<E: de::Error>(&self, value: Value, shape: Shape) -> Result<Seen, E> {
        self.rule(|s| {
            check_shape(s, shape, self.field, || value.to_string())?;
            check_enum(s, &value, self.field)?;
            match &value {
                Value::Number(n) => check_range(s, n, self.field),
                _ => Ok(()),
            }
        })?;
        Ok(if value == Value::Bool(true) {
            Seen::True
        } else {
            Seen::Other
        })
    }
}

impl<'de> DeserializeSeed<'de> for Checker<'_> {
    type Value = Seen;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Seen, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checker<'_> {
    type Value = Seen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Seen, E> {
        self.scalar(Value::Bool(v), Shape::Bool)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Seen, E> {
        self.scalar(Value::from(v), Shape::Int)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seen, E> {
        self.scalar(Value::from(v), Shape::Int)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Seen, E> {
        self.scalar(Value::from(v), Shape::Num)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Seen, E> {
        self.rule(|s| {
            check_shape(s, Shape::Str, self.field, || Value::from(v).to_string())?;
            if s.allowed.is_some() {
                check_enum(s, &Value::from(v), self.field)?;
            }
            check_len(s, v, self.field)
        })?;
        Ok(if v.is_empty() {
            Seen::Other
        } else {
            Seen::Filled
        })
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Seen, E> {
        self.visit_str(&v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
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
        Ok(if count > 0 { Seen::Filled } else { Seen::Other })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        self.rule(|s| check_shape(s, Shape::Obj, self.field, || "an object".to_owned()))?;
        let required: &[String] = self.rules.map_or(&[], |r| &r.required);
        let cross = self.rules.and_then(|r| r.cross);
        let mut present = vec![false; required.len()];
        let mut seen: Vec<(Cow<'de, str>, Seen)> = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.rules.and_then(|r| r.property(&key)) {
                Some(prop) => {
                    let field = Field::Member(self.field, &key);
                    let got = map.next_value_seed(self.at(Some(prop), &field))?;
                    if let Some(i) = required.iter().position(|r| *r == key) {
                        present[i] = got != Seen::Null;
                    }
                    if cross.is_some() {
                        seen.push((key, got));
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
        if let Some(rule) = cross {
            let lookup = |name: &str| {
                seen.iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map_or(Seen::Null, |(_, s)| *s)
            };
            self.rule(|_| check_cross(rule, self.field, &lookup))?;
        }
        Ok(Seen::Other)
    }
}

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
    // Text checked once as a whole is faster to read than bytes checked string by string.
    let read = |checker: Checker<'_>| match std::str::from_utf8(body) {
        Ok(text) => {
            let mut de = serde_json::Deserializer::from_str(text);
            checker.deserialize(&mut de).and_then(|_| de.end())
        }
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            checker.deserialize(&mut de).and_then(|_| de.end())
        }
    };
    run(rules, "body", read)
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
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
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

/// A member's name, borrowed from the input when it can be (serde's own `Cow` always copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::check_json;
    use crate::spec::{Kind, Rules};

    fn text(min: Option<u64>, max: Option<u64>) -> Rules {
        Rules {
            kind: Some(Kind::String),
            min_length: min,
            max_length: max,
            ..Rules::default()
        }
    }

    fn object(name: &str, rules: Rules) -> Rules {
        Rules {
            kind: Some(Kind::Object),
            properties: vec![(name.to_owned(), rules)],
            required: vec![name.to_owned()],
            ..Rules::default()
        }
    }

    /// Lengths are in characters, whether or not the byte length alone can tell.
    #[test]
    fn lengths_count_characters() {
        let at_most_3 = object("n", text(None, Some(3)));
        assert!(check_json(&at_most_3, r#"{"n":"ééé"}"#.as_bytes()).is_ok());
        let e = check_json(&at_most_3, r#"{"n":"éééé"}"#.as_bytes()).unwrap_err();
        assert!(
            e.to_string()
                .contains("body.n must be at most 3 characters long (got 4)"),
            "{e}"
        );
        let at_least_2 = object("n", text(Some(2), None));
        let e = check_json(&at_least_2, r#"{"n":"é"}"#.as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("at least 2 characters long (got 1)"),
            "{e}"
        );
        assert!(check_json(&at_least_2, br#"{"n":"ab"}"#).is_ok());
        let exactly_2 = object("n", text(Some(2), Some(2)));
        assert!(check_json(&exactly_2, r#"{"n":"中文"}"#.as_bytes()).is_ok());
        assert!(check_json(&exactly_2, br#"{"n":"abc"}"#).is_err());
    }

    /// A member name written with escapes is the same member; a body that is not UTF-8 is
    /// still read (and refused as not JSON).
    #[test]
    fn escaped_names_and_bytes_that_are_not_text() {
        let rules = object("name", text(None, Some(2)));
        let e = check_json(&rules, br#"{"na\u006de":"abc"}"#).unwrap_err();
        assert!(e.to_string().contains("body.name must be at most 2"), "{e}");
        let e = check_json(&rules, b"{\"name\":\"a\xff\"}").unwrap_err();
        assert!(e.to_string().contains("is not JSON"), "{e}");
        let e = check_json(&rules, br#"{"other":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("body.name is required"), "{e}");
    }
}

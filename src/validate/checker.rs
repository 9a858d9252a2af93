//! The one walker of the input checks: a `serde::Serializer` that walks a value's schema beside
//! it. A typed body is checked as it would be serialized, without writing or reading JSON; a
//! parameter goes through the very same rules as the scalar its schema describes; and a JSON
//! body (the fake server's) is checked once parsed.
//!
//! On the way, the walk adds up the length of the JSON serde_json will write for the value,
//! escapes aside, so that the body is written into a buffer of that size
//! (`pipeline::json`) rather than one that grows as it is written.

use std::{borrow::Cow, cell::Cell, fmt};

use serde::ser::{self, Impossible, Serialize};
use serde_json::Value;

use super::{
    Field, Seen, Shape, check_cross, check_enum, check_items, check_len, check_range, check_shape,
    dot_segment,
};
use crate::{Error, Result, spec::Rules};

/// What the walk of a value that keeps to its rules found.
#[derive(Clone, Copy, Debug)]
pub(super) struct Walked {
    /// What the value was (`null` or `None`, `true`, filled…), for the required inputs.
    pub seen: Seen,
    /// The length of the value's JSON as serde_json writes it, but for two things: the escapes
    /// a string may need are not counted, and a number with a fraction counts as the 24 bytes
    /// it may take. So it is exact for text without a character to escape and for integers.
    pub json_len: usize,
}

/// Checks `value` against `rules`; `root` names it in errors (`body`, or a parameter's name).
pub(super) fn check<T: Serialize + ?Sized>(rules: &Rules, root: &str, value: &T) -> Result<Walked> {
    let (field, len) = (Field::Root(root), Cell::new(0));
    match value.serialize(Checker {
        rules: Some(rules),
        field: &field,
        len: &len,
    }) {
        Ok(seen) => Ok(Walked {
            seen,
            json_len: len.get(),
        }),
        Err(stop) => Err(stop.into_error(root)),
    }
}

/// Checks a JSON body against `rules`; the error names the first field at fault.
#[cfg(any(feature = "fake", test))]
pub(super) fn check_json(rules: &Rules, body: &[u8]) -> Result<()> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => check(rules, "body", &value).map(drop),
        Err(e) => Err(Error::invalid("body", format!("is not JSON: {e}"))),
    }
}

/// Why a walk stopped. Boxed, so that every step of the walk, which serde's derived code and
/// the walker's own `?`s repeat for each member, moves one word on the way out rather than a
/// whole [`Error`].
#[derive(Debug)]
pub(super) struct Stop(Box<Why>);

/// What [`Stop`] holds: a rule is broken, or the value is not one JSON could carry.
#[derive(Debug)]
enum Why {
    Rule(Error),
    Other(String),
}

impl Stop {
    #[cold]
    fn rule(error: Error) -> Stop {
        Stop(Box::new(Why::Rule(error)))
    }

    #[cold]
    fn other(why: String) -> Stop {
        Stop(Box::new(Why::Other(why)))
    }

    /// The error of the walk of the value `root` names.
    fn into_error(self, root: &str) -> Error {
        match *self.0 {
            Why::Rule(e) => e,
            Why::Other(why) => Error::invalid(root, why),
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Why::Rule(e) => e.fmt(f),
            Why::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Stop::other(msg.to_string())
    }
}

/// `rules` is `None` for a value the description leaves open (e.g. array items without a schema).
#[derive(Clone, Copy)]
struct Checker<'a> {
    rules: Option<&'a Rules>,
    field: &'a Field<'a>,
    /// The length of the JSON walked so far (see [`Walked::json_len`]).
    len: &'a Cell<usize>,
}

impl<'a> Checker<'a> {
    /// `n` more bytes of JSON.
    #[inline]
    fn wrote(&self, n: usize) {
        self.len.set(self.len.get() + n);
    }

    /// The same walk, one level down.
    #[inline]
    fn at<'b>(&self, rules: Option<&'b Rules>, field: &'b Field<'b>) -> Checker<'b>
    where
        'a: 'b,
    {
        Checker {
            rules,
            field,
            len: self.len,
        }
    }

    #[inline]
    fn rule(&self, rule: impl FnOnce(&Rules) -> Result<()>) -> Result<(), Stop> {
        match self.rules {
            Some(rules) => rule(rules).map_err(Stop::rule),
            None => Ok(()),
        }
    }

    /// A boolean or a number (`number`, as compared with the bounds); `value` makes the JSON
    /// value only for an `enum` or a message.
    #[inline]
    fn scalar(
        &self,
        shape: Shape,
        number: Option<f64>,
        value: impl Fn() -> Value,
    ) -> Result<(), Stop> {
        self.rule(|s| {
            check_shape(s, shape, self.field, || value().to_string())?;
            if s.allowed.is_some() {
                check_enum(s, &value(), self.field)?;
            }
            match number {
                Some(n) => check_range(s, n, self.field, &value),
                None => Ok(()),
            }
        })
    }

    #[inline]
    fn string(&self, v: &str) -> Result<Seen, Stop> {
        // The quotes; what needs escaping only adds to it.
        self.wrote(v.len() + 2);
        self.rule(|s| {
            check_shape(s, Shape::Str, self.field, || Value::from(v).to_string())?;
            // A string is compared with the allowed ones as it is; the JSON value is made only
            // for the message.
            if let Some(allowed) = &s.allowed
                && !allowed.iter().any(|a| a.as_str() == Some(v))
            {
                check_enum(s, &Value::from(v), self.field)?;
            }
            check_len(s, v, self.field)?;
            if s.segment && matches!(v, "." | "..") {
                return Err(dot_segment(self.field));
            }
            Ok(())
        })?;
        Ok(if v.is_empty() {
            Seen::Other
        } else {
            Seen::Filled
        })
    }

    fn items(self) -> Result<Items<'a>, Stop> {
        self.rule(|s| check_shape(s, Shape::Arr, self.field, || "an array".to_owned()))?;
        self.wrote(2);
        Ok(Items {
            items: self.rules.and_then(|r| r.items.as_deref()),
            checker: self,
            count: 0,
        })
    }

    fn members(self) -> Result<Members<'a>, Stop> {
        self.rule(|s| check_shape(s, Shape::Obj, self.field, || "an object".to_owned()))?;
        self.wrote(2);
        let required = self.rules.map_or(0, |r| r.required.len());
        Ok(Members {
            checker: self,
            missing: (1 << required.min(63)) - 1,
            seen: Vec::new(),
            key: None,
            next: 0,
            written: false,
        })
    }

    fn variant(&self, variant: &str) -> Stop {
        Stop::other(format!(
            "holds {variant}, a variant with fields, which the checks cannot read"
        ))
    }
}

/// The elements of an array.
struct Items<'a> {
    checker: Checker<'a>,
    items: Option<&'a Rules>,
    count: usize,
}

impl Items<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let field = Field::Item(self.checker.field, self.count);
        // The comma before every element but the first.
        self.checker.wrote(usize::from(self.count > 0));
        value.serialize(self.checker.at(self.items, &field))?;
        self.count += 1;
        Ok(())
    }

    fn done(self) -> Result<Seen, Stop> {
        let count = self.count;
        self.checker
            .rule(|s| check_items(s, count, self.checker.field))?;
        Ok(if count > 0 { Seen::Filled } else { Seen::Other })
    }
}

/// The members of an object: a struct's fields or a map's entries.
struct Members<'a> {
    checker: Checker<'a>,
    /// A bit for each required member not given yet, or given as `null` (the descriptions
    /// require a few members at most; a test holds them to fewer than 64).
    missing: u64,
    /// What each member was, for the cross-field rules (kept only when there is one).
    seen: Vec<(Cow<'static, str>, Seen)>,
    /// A map's key, until its value comes.
    key: Option<String>,
    /// Where to look for the next member's rules first (see [`Rules::property`]).
    next: usize,
    /// A member was walked: the next one follows a comma.
    written: bool,
}

impl Members<'_> {
    fn member<T: Serialize + ?Sized>(
        &mut self,
        name: Cow<'static, str>,
        value: &T,
    ) -> Result<(), Stop> {
        // `"name":`, and the comma before every member but the first.
        self.checker
            .wrote(name.len() + 3 + usize::from(self.written));
        self.written = true;
        let rules = self.checker.rules;
        let prop = rules.and_then(|r| r.property(&name, &mut self.next));
        let field = Field::Member(self.checker.field, &name);
        // A member the description does not name is walked for its length alone: no rule
        // applies to it.
        let got = value.serialize(self.checker.at(prop, &field))?;
        let (Some(rules), Some(_)) = (rules, prop) else {
            return Ok(());
        };
        if let Some(i) = rules.required.iter().position(|r| *r == name)
            && i < 63
        {
            match got {
                Seen::Null => self.missing |= 1 << i,
                _ => self.missing &= !(1 << i),
            }
        }
        if rules.cross.is_some() {
            self.seen.push((name, got));
        }
        Ok(())
    }

    fn done(self) -> Result<Seen, Stop> {
        let Members {
            checker,
            missing,
            seen,
            ..
        } = self;
        let Some(rules) = checker.rules else {
            return Ok(Seen::Other);
        };
        if missing != 0 {
            let i = missing.trailing_zeros() as usize;
            let missing = Field::Member(checker.field, &rules.required[i]).to_string();
            return Err(Stop::rule(Error::invalid(missing, "is required")));
        }
        if let Some(rule) = rules.cross {
            let lookup = |name: &str| {
                seen.iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map_or(Seen::Null, |(_, s)| *s)
            };
            checker.rule(|_| check_cross(rule, checker.field, &lookup))?;
        }
        Ok(Seen::Other)
    }
}

/// The decimal digits of `n`.
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// A number of a narrower type is checked as its widest kind.
macro_rules! widen {
    ($($method:ident($narrow:ty) => $wide:ident),+) => {$(
        fn $method(self, v: $narrow) -> Result<Seen, Stop> {
            self.$wide(v.into())
        }
    )+};
}

impl<'a> ser::Serializer for Checker<'a> {
    type Ok = Seen;
    type Error = Stop;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = Impossible<Seen, Stop>;
    type SerializeMap = Members<'a>;
    type SerializeStruct = Members<'a>;
    type SerializeStructVariant = Impossible<Seen, Stop>;

    fn serialize_bool(self, v: bool) -> Result<Seen, Stop> {
        self.wrote(if v { 4 } else { 5 });
        self.scalar(Shape::Bool, None, || Value::Bool(v))?;
        Ok(if v { Seen::True } else { Seen::Other })
    }
    widen!(
        serialize_i8(i8) => serialize_i64,
        serialize_i16(i16) => serialize_i64,
        serialize_i32(i32) => serialize_i64,
        serialize_u8(u8) => serialize_u64,
        serialize_u16(u16) => serialize_u64,
        serialize_u32(u32) => serialize_u64,
        serialize_f32(f32) => serialize_f64
    );
    fn serialize_i64(self, v: i64) -> Result<Seen, Stop> {
        self.wrote(digits(v.unsigned_abs()) + usize::from(v < 0));
        self.scalar(Shape::Int, Some(v as f64), || Value::from(v))?;
        Ok(Seen::Other)
    }
    fn serialize_u64(self, v: u64) -> Result<Seen, Stop> {
        self.wrote(digits(v));
        self.scalar(Shape::Int, Some(v as f64), || Value::from(v))?;
        Ok(Seen::Other)
    }
    fn serialize_f64(self, v: f64) -> Result<Seen, Stop> {
        // JSON has no NaN or infinity: serde_json writes them as `null`.
        if !v.is_finite() {
            self.wrote(4);
            return Ok(Seen::Null);
        }
        // The most serde_json's shortest form of a float takes.
        self.wrote(24);
        self.scalar(Shape::Num, Some(v), || Value::from(v))?;
        Ok(Seen::Other)
    }
    fn serialize_char(self, v: char) -> Result<Seen, Stop> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Seen, Stop> {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Seen, Stop> {
        // Written as an array of numbers, as serde_json writes bytes.
        let mut items = self.items()?;
        v.iter().try_for_each(|b| items.element(b))?;
        items.done()
    }
    fn serialize_none(self) -> Result<Seen, Stop> {
        self.wrote(4);
        Ok(Seen::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Seen, Stop> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Seen, Stop> {
        self.wrote(4);
        Ok(Seen::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Seen, Stop> {
        self.wrote(4);
        Ok(Seen::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Seen, Stop> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Seen, Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Seen, Stop> {
        // `{"variant": value}`, as serde_json writes it.
        let mut members = self.members()?;
        members.member(Cow::Borrowed(variant), value)?;
        members.done()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Items<'a>, Stop> {
        self.items()
    }
    fn serialize_tuple(self, _: usize) -> Result<Items<'a>, Stop> {
        self.items()
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Items<'a>, Stop> {
        self.items()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Impossible<Seen, Stop>, Stop> {
        Err(self.variant(variant))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Members<'a>, Stop> {
        self.members()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Members<'a>, Stop> {
        self.members()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Impossible<Seen, Stop>, Stop> {
        Err(self.variant(variant))
    }
}

/// serde has one trait per kind of sequence; all three are the elements of an array.
macro_rules! items {
    ($($kind:ident :: $add:ident),+) => {$(
        impl ser::$kind for Items<'_> {
            type Ok = Seen;
            type Error = Stop;
            fn $add<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
                self.element(value)
            }
            fn end(self) -> Result<Seen, Stop> {
                self.done()
            }
        }
    )+};
}

items!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeStruct for Members<'_> {
    type Ok = Seen;
    type Error = Stop;
    // One copy per type of field, called from serde's derived code, rather than one copy of
    // the member's walk inlined at every field of every body type.
    #[inline(never)]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        self.member(Cow::Borrowed(name), value)
    }
    fn end(self) -> Result<Seen, Stop> {
        self.done()
    }
}

impl ser::SerializeMap for Members<'_> {
    type Ok = Seen;
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        // JSON writes a key as a string; maps are rare here, so the key is written out.
        self.key = Some(match serde_json::to_value(key) {
            Ok(Value::String(s)) => s,
            Ok(Value::Number(n)) => n.to_string(),
            _ => return Err(Stop::other("has a key that is not a string".to_owned())),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let key = self.key.take().unwrap_or_default();
        self.member(Cow::Owned(key), value)
    }
    fn end(self) -> Result<Seen, Stop> {
        self.done()
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
        // Between the minimum and four times it, bytes tell only for ASCII.
        let at_least_4 = object("n", text(Some(4), None));
        assert!(check_json(&at_least_4, br#"{"n":"abcd"}"#).is_ok());
        let e = check_json(&at_least_4, r#"{"n":"aé€"}"#.as_bytes()).unwrap_err();
        assert!(
            e.to_string().contains("at least 4 characters long (got 3)"),
            "{e}"
        );
        let e = check_json(&at_least_4, "{\"n\":\"aé€\"}".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("(got 3)"), "{e}");
    }

    /// A value the walk cannot read as JSON stops it with an error that names the value and
    /// says why, whichever step found it: a map key that is not a string, an enum variant with
    /// fields, or the value's own `Serialize` failing.
    #[test]
    fn a_value_json_cannot_carry_is_refused_by_name() {
        use std::collections::BTreeMap;

        use serde::ser::Error as _;

        use super::check;
        use crate::Error;

        #[derive(serde::Serialize)]
        enum Variant {
            Fields { a: u8 },
        }
        struct Failing;
        impl serde::Serialize for Failing {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(S::Error::custom("cannot be written"))
            }
        }
        let open = Rules::default();
        let keyed: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let cases = [
            (
                check(&open, "body", &keyed),
                "has a key that is not a string",
            ),
            (
                check(&open, "filter", &Variant::Fields { a: 1 }),
                "holds Fields, a variant with fields, which the checks cannot read",
            ),
            (check(&open, "hook_id", &Failing), "cannot be written"),
        ];
        for ((result, why), root) in cases.into_iter().zip(["body", "filter", "hook_id"]) {
            match result {
                Err(Error::InvalidInput { field, rule }) => {
                    assert_eq!((field.as_str(), rule.as_str()), (root, why))
                }
                other => panic!("{root}: {other:?}"),
            }
        }
    }

    /// The walk measures the JSON serde_json writes: every kind of value, to the byte, but for
    /// the escapes (one byte more for each `"`, `\\` and `\n` here) and a float's fraction.
    #[test]
    fn the_walk_measures_the_json_it_walks() {
        use super::check;

        let open = Rules::default();
        let value = serde_json::json!({
            "text": "plain, é and 中",
            "numbers": [0, 7, 10, 99, 100, -1, -10, 18446744073709551615u64, i64::MIN],
            "flags": [true, false, null],
            "nested": { "empty": {}, "none": [] },
        });
        let walked = check(&open, "body", &value).unwrap();
        assert_eq!(walked.json_len, serde_json::to_vec(&value).unwrap().len());
        let escaped = serde_json::json!({ "a\"b": "c\\d\ne" });
        let walked = check(&open, "body", &escaped).unwrap();
        assert_eq!(
            walked.json_len + 3,
            serde_json::to_vec(&escaped).unwrap().len()
        );
        let float = serde_json::json!([1.5]);
        let walked = check(&open, "body", &float).unwrap();
        assert_eq!(walked.json_len, 2 + 24);
        // A struct's fields, an `Option` written as `null`, a unit variant and a tuple.
        #[derive(serde::Serialize)]
        enum Kind {
            Repo,
        }
        #[derive(serde::Serialize)]
        struct Typed {
            id: i32,
            kind: Kind,
            missing: Option<String>,
            pair: (u8, char),
        }
        let typed = Typed {
            id: -42,
            kind: Kind::Repo,
            missing: None,
            pair: (255, 'x'),
        };
        let walked = check(&open, "body", &typed).unwrap();
        assert_eq!(walked.json_len, serde_json::to_vec(&typed).unwrap().len());
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

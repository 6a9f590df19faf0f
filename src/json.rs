//! A small JSON value, parser and writer: the one place where JSON text is read or written (catalogs, snapshots,
//! results handed to JavaScript). Written here rather than taken from serde to keep the WebAssembly module small.
//! The parser is bounded (nesting depth) and total: malformed input is an error, never a panic. Numbers are kept as
//! exact integers; any other number is kept as its text, so nothing is silently rounded.

use crate::error::{Error, ErrorCode, Result};
use crate::time::Instant;

/// Deepest nesting the parser accepts.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// An integer that fits an i64.
    Int(i64),
    /// Any other number, as written (fractions, exponents, huge integers).
    Number(String),
    Str(String),
    Arr(Vec<Json>),
    /// Key order is kept; the first of duplicate keys wins on lookup.
    Obj(Vec<(Key, Json)>),
}

/// An object key: the names the engine writes are static; keys read from text are owned.
pub type Key = std::borrow::Cow<'static, str>;

pub trait ToJson {
    fn to_json(&self) -> Json;
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(fields) => fields
                .iter()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Int(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        self.as_i64().and_then(|n| u64::try_from(n).ok())
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&[(Key, Json)]> {
        match self {
            Json::Obj(fields) => Some(fields),
            _ => None,
        }
    }

    /// Compact JSON text.
    pub fn write(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write_to(&mut out);
        out
    }

    fn write_to(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => push_int(out, *n),
            Json::Number(text) => out.push_str(text),
            Json::Str(s) => push_str(out, s),
            Json::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_to(out);
                }
                out.push(']');
            }
            Json::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_str(out, k);
                    out.push(':');
                    v.write_to(out);
                }
                out.push('}');
            }
        }
    }

    /// Parses JSON text; errors carry `code` and say where the text went wrong.
    pub fn parse(text: &str, code: ErrorCode) -> Result<Json> {
        let mut p = Parser {
            bytes: text.as_bytes(),
            pos: 0,
            code,
        };
        p.ws();
        let value = p.value(0)?;
        p.ws();
        if p.pos != p.bytes.len() {
            return Err(p.err("unexpected text after the JSON value"));
        }
        Ok(value)
    }
}

fn push_int(out: &mut String, n: i64) {
    let mut digits = [0u8; 20];
    let mut pos = digits.len();
    let mut v = n.unsigned_abs();
    loop {
        pos -= 1;
        if let Some(d) = digits.get_mut(pos) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || pos == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(digits.get(pos..).unwrap_or_default()).unwrap_or_default());
}

/// A whole number as decimal text, without the formatting machinery.
pub fn int_text(n: i64) -> String {
    let mut s = String::new();
    push_int(&mut s, n);
    s
}

fn push_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    // Byte scan, copying runs that need no escaping in one go. Everything escaped is ASCII except U+2028 and
    // U+2029 (E2 80 A8/A9), which JavaScript source cannot hold raw.
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let (escape, len): (&str, usize) = match b {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            0..=0x1f => ("", 1),
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                ("", 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(s.get(run..i).unwrap_or_default());
        if escape.is_empty() {
            let v = if len == 3 {
                0x2028 + u32::from(bytes.get(i + 2) == Some(&0xa9))
            } else {
                u32::from(b)
            };
            out.push_str("\\u");
            for shift in [12, 8, 4, 0] {
                out.push(char::from(
                    HEX.get(((v >> shift) & 0xf) as usize)
                        .copied()
                        .unwrap_or(b'0'),
                ));
            }
        } else {
            out.push_str(escape);
        }
        i += len;
        run = i;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    code: ErrorCode,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> Error {
        Error::new(
            self.code,
            format!("invalid JSON at byte {}: {what}", int_text(self.pos as i64)),
        )
    }
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }
    fn expect(&mut self, word: &str) -> Result<()> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("unexpected character"))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Json> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        match self.peek() {
            Some(b'n') => self.expect("null").map(|_| Json::Null),
            Some(b't') => self.expect("true").map(|_| Json::Bool(true)),
            Some(b'f') => self.expect("false").map(|_| Json::Bool(false)),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Json::Obj(fields));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a string key"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.pos += 1;
                    self.ws();
                    let value = self.value(depth + 1)?;
                    fields.push((Key::Owned(key), value));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Obj(fields));
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("unexpected character")),
            None => Err(self.err("unexpected end of text")),
        }
    }
    fn number(&mut self) -> Result<Json> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - s
        };
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.bytes.get(int_start) == Some(&b'0')) {
            return Err(self.err("malformed number"));
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if digits(self) == 0 {
                return Err(self.err("malformed number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.err("malformed number"));
            }
        }
        let text = std::str::from_utf8(self.bytes.get(start..self.pos).unwrap_or_default())
            .unwrap_or_default();
        if integer {
            if let Some(v) = parse_i64(text) {
                return Ok(Json::Int(v));
            }
        }
        Ok(Json::Number(text.to_string()))
    }
    fn hex4(&mut self) -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let c = self
                .peek()
                .ok_or_else(|| self.err("unexpected end of text"))?;
            let d = char::from(c)
                .to_digit(16)
                .ok_or_else(|| self.err("bad \\u escape"))?;
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }
    fn string(&mut self) -> Result<String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let chunk = self.bytes.get(start..self.pos).unwrap_or_default();
            out.push_str(std::str::from_utf8(chunk).map_err(|_| self.err("text is not UTF-8"))?);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| self.err("unexpected end of text"))?;
                    self.pos += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                                    return Err(self.err("lone surrogate in \\u escape"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("bad surrogate pair"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(
                                char::from_u32(code).ok_or_else(|| self.err("bad \\u escape"))?,
                            );
                        }
                        _ => return Err(self.err("bad escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
                None => return Err(self.err("unterminated string")),
            }
        }
    }
}

fn parse_i64(text: &str) -> Option<i64> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut v: i64 = 0;
    for b in digits.bytes() {
        v = v
            .checked_mul(10)?
            .checked_sub(i64::from(b.checked_sub(b'0')?))?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
}

// ----- building values -----

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}
impl From<u64> for Json {
    fn from(n: u64) -> Json {
        i64::try_from(n)
            .map(Json::Int)
            .unwrap_or_else(|_| Json::Number(n.to_string()))
    }
}
impl From<u32> for Json {
    fn from(n: u32) -> Json {
        Json::Int(i64::from(n))
    }
}
impl From<i64> for Json {
    fn from(n: i64) -> Json {
        Json::Int(n)
    }
}
impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_string())
    }
}
impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(s)
    }
}
impl From<&String> for Json {
    fn from(s: &String) -> Json {
        Json::Str(s.clone())
    }
}
impl From<Instant> for Json {
    fn from(t: Instant) -> Json {
        Json::Str(t.to_iso())
    }
}
impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(v: Option<T>) -> Json {
        v.map_or(Json::Null, Into::into)
    }
}
impl<T: ToJson> From<&[T]> for Json {
    fn from(items: &[T]) -> Json {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(item.to_json());
        }
        Json::Arr(out)
    }
}

/// Builds an object field by field, in order.
#[derive(Default)]
pub struct Obj(Vec<(Key, Json)>);

impl Obj {
    pub fn new() -> Obj {
        Obj(Vec::new())
    }
    pub fn put(mut self, key: &'static str, value: impl Into<Json>) -> Obj {
        self.0.push((Key::Borrowed(key), value.into()));
        self
    }
    /// Adds the field only when there is a value (absent rather than null).
    pub fn maybe<T: Into<Json>>(self, key: &'static str, value: Option<T>) -> Obj {
        match value {
            Some(v) => self.put(key, v),
            None => self,
        }
    }
    pub fn done(self) -> Json {
        Json::Obj(self.0)
    }
}

// ----- reading values -----

/// Reads the fields of one JSON object, refusing unknown keys; every error names the path and uses one code.
pub struct Fields<'a> {
    fields: &'a [(Key, Json)],
    path: String,
    code: ErrorCode,
}

impl<'a> Fields<'a> {
    #[inline(never)]
    pub fn of(
        value: &'a Json,
        path: &str,
        allowed: &[&str],
        code: ErrorCode,
    ) -> Result<Fields<'a>> {
        let fields = value
            .as_object()
            .ok_or_else(|| Error::new(code, format!("{path} must be an object")))?;
        if let Some((k, _)) = fields.iter().find(|(k, _)| !allowed.contains(&k.as_ref())) {
            let shown = crate::error::clip(k, 64);
            return Err(Error::new(
                code,
                format!(
                    "{path} has unknown field '{shown}' (allowed: {})",
                    crate::error::join(allowed, ", ")
                ),
            ));
        }
        Ok(Fields {
            fields,
            path: path.to_string(),
            code,
        })
    }
    #[inline(never)]
    pub fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }
    #[inline(never)]
    pub fn err(&self, key: &str, what: &str) -> Error {
        Error::new(self.code, format!("{} {what}", self.path(key)))
    }
    #[inline(never)]
    pub fn opt(&self, key: &str) -> Option<&'a Json> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, Json::Null))
    }
    #[inline(never)]
    pub fn req(&self, key: &str) -> Result<&'a Json> {
        self.opt(key).ok_or_else(|| self.err(key, "is missing"))
    }
    #[inline(never)]
    pub fn str(&self, key: &str) -> Result<&'a str> {
        self.req(key)?
            .as_str()
            .ok_or_else(|| self.err(key, "must be a string"))
    }
    #[inline(never)]
    pub fn u64(&self, key: &str) -> Result<u64> {
        self.req(key)?
            .as_u64()
            .ok_or_else(|| self.err(key, "must be a whole number of at least 0"))
    }
    #[inline(never)]
    pub fn i64(&self, key: &str) -> Result<i64> {
        self.req(key)?
            .as_i64()
            .ok_or_else(|| self.err(key, "must be a whole number"))
    }
    #[inline(never)]
    pub fn bool(&self, key: &str) -> Result<bool> {
        self.req(key)?
            .as_bool()
            .ok_or_else(|| self.err(key, "must be true or false"))
    }
    #[inline(never)]
    pub fn arr(&self, key: &str) -> Result<&'a [Json]> {
        self.req(key)?
            .as_array()
            .ok_or_else(|| self.err(key, "must be an array"))
    }
    #[inline(never)]
    pub fn instant(&self, key: &str) -> Result<Instant> {
        Instant::parse(self.str(key)?).map_err(|e| self.err(key, &e.message))
    }
    #[inline(never)]
    pub fn opt_instant(&self, key: &str) -> Result<Option<Instant>> {
        match self.opt(key) {
            None => Ok(None),
            Some(_) => self.instant(key).map(Some),
        }
    }
}

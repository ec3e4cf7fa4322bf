//! Scalar opcodes: `None`, booleans, integers, floats, strings and bytes.

use super::{Machine, Node, bad, misrouted};
use crate::serialize::error::LoadError;
use crate::serialize::pickle::input::Input;
use crate::serialize::pickle::numbers::{decimal_int, long_int, parse_float};
use crate::serialize::pickle::opcodes::*;
use crate::value::Value;

impl Machine<'_> {
    /// Pushes one scalar read from the opcode's argument.
    pub(super) fn scalar<I: Input>(&mut self, op: u8, input: &mut I) -> Result<(), LoadError> {
        let at = self.at;
        match op {
            NONE => self.push_new(Node::None)?,
            NEWTRUE => self.push_new(Node::Bool(true))?,
            NEWFALSE => self.push_new(Node::Bool(false))?,
            BININT => {
                let v = i32::from_le_bytes(input.array()?);
                self.push_new(Node::Int(i64::from(v)))?;
            }
            BININT1 => {
                let v = input.byte()?;
                self.push_new(Node::Int(i64::from(v)))?;
            }
            BININT2 => {
                let v = u16::from_le_bytes(input.array()?);
                self.push_new(Node::Int(i64::from(v)))?;
            }
            LONG1 => {
                let n = u64::from(input.byte()?);
                let b = self.counted(input, n)?.into_owned();
                self.push_int(long_int(&b))?;
            }
            LONG4 => {
                let n = i32::from_le_bytes(input.array()?);
                let n = u64::try_from(n).map_err(|_| bad(at, "LONG4 with negative length"))?;
                let b = self.counted(input, n)?.into_owned();
                self.push_int(long_int(&b))?;
            }
            INT => {
                let s = self.line_str(input)?;
                match s.as_str() {
                    "01" => self.push_new(Node::Bool(true))?,
                    "00" => self.push_new(Node::Bool(false))?,
                    t => {
                        let i = decimal_int(t).ok_or_else(|| bad(at, format!("bad INT {t:?}")))?;
                        self.push_int(i)?;
                    }
                }
            }
            LONG => {
                let s = self.line_str(input)?;
                let t = s.strip_suffix('L').unwrap_or(&s);
                let i = decimal_int(t).ok_or_else(|| bad(at, format!("bad LONG {s:?}")))?;
                self.push_int(i)?;
            }
            BINFLOAT => {
                let v = f64::from_be_bytes(input.array()?);
                self.push_new(Node::Float(v))?;
            }
            FLOAT => {
                let s = self.line_str(input)?;
                let v = parse_float(s.trim()).ok_or_else(|| bad(at, format!("bad FLOAT {s:?}")))?;
                self.push_new(Node::Float(v))?;
            }
            BINUNICODE => {
                let n = u32::from_le_bytes(input.array()?);
                let s = self.text(input, u64::from(n))?;
                self.push_new(Node::Str(s.into()))?;
            }
            SHORT_BINUNICODE => {
                let n = input.byte()?;
                let s = self.text(input, u64::from(n))?;
                self.push_new(Node::Str(s.into()))?;
            }
            BINUNICODE8 => {
                let n = u64::from_le_bytes(input.array()?);
                let s = self.text(input, n)?;
                self.push_new(Node::Str(s.into()))?;
            }
            // Python 2 `str`: torch.load decodes it as UTF-8.
            BINSTRING => {
                let n = i32::from_le_bytes(input.array()?);
                let n = u64::try_from(n).map_err(|_| bad(at, "negative BINSTRING length"))?;
                let s = self.text(input, n)?;
                self.push_new(Node::Str(s.into()))?;
            }
            SHORT_BINSTRING => {
                let n = input.byte()?;
                let s = self.text(input, u64::from(n))?;
                self.push_new(Node::Str(s.into()))?;
            }
            BINBYTES | SHORT_BINBYTES | BINBYTES8 | BYTEARRAY8 => {
                let n = match op {
                    BINBYTES => u64::from(u32::from_le_bytes(input.array()?)),
                    SHORT_BINBYTES => u64::from(input.byte()?),
                    _ => u64::from_le_bytes(input.array()?),
                };
                let b = self.counted(input, n)?.into_owned();
                let v = if op == BYTEARRAY8 {
                    Value::ByteArray(b)
                } else {
                    Value::Bytes(b)
                };
                let id = self.new_value(v)?;
                self.push(id)?;
            }
            _ => return Err(misrouted(at, op)),
        }
        Ok(())
    }
}

//! Stack and memo opcodes: marks, pops, `DUP`, and memo puts and gets.

use super::bad;
use super::{Machine, misrouted};
use crate::serialize::error::LoadError;
use crate::serialize::error::Location;
use crate::serialize::limits::Limits;
use crate::serialize::pickle::input::Input;
use crate::serialize::pickle::opcodes::*;

impl Machine<'_> {
    /// `MARK`, `POP`, `POP_MARK`, `DUP` and the memo opcodes.
    pub(super) fn stack_or_memo<I: Input>(
        &mut self,
        op: u8,
        input: &mut I,
    ) -> Result<(), LoadError> {
        let at = self.at;
        match op {
            MARK => {
                Limits::check(
                    "max_stack_depth",
                    self.marks.len() as u64 + 1,
                    self.limits.max_stack_depth,
                    || Location::at(at),
                )?;
                self.marks.push(self.stack.len());
            }
            POP => {
                if self.stack.len() > self.frame_base() {
                    self.pop()?;
                } else {
                    self.pop_mark()?;
                }
            }
            POP_MARK => {
                self.pop_mark()?;
            }
            DUP => {
                let t = self.top()?;
                self.push(t)?;
            }
            PUT => {
                let i = self.line_u32(input)?;
                self.memo_put(i)?;
            }
            BINPUT => {
                let i = input.byte()?;
                self.memo_put(u32::from(i))?;
            }
            LONG_BINPUT => {
                let i = u32::from_le_bytes(input.array()?);
                self.memo_put(i)?;
            }
            MEMOIZE => {
                let i = u32::try_from(self.memo.len()).map_err(|_| bad(at, "memo full"))?;
                self.memo_put(i)?;
            }
            GET => {
                let i = self.line_u32(input)?;
                self.memo_get(i)?;
            }
            BINGET => {
                let i = input.byte()?;
                self.memo_get(u32::from(i))?;
            }
            LONG_BINGET => {
                let i = u32::from_le_bytes(input.array()?);
                self.memo_get(i)?;
            }
            _ => return Err(misrouted(at, op)),
        }
        Ok(())
    }
}

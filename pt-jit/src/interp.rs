//! The interpreter: runs compiled functions over [`Value`]s. Errors from operators get the
//! file, line and text of the statement that ran them.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::{JitError, OpError, Result};
use crate::ops;
use crate::program::{CExpr, CStmt, Function, Program, StmtKind, Target, TypeHint};
use crate::value::{Dict, DictKey, Object, Value};

/// Deepest call nesting before the interpreter refuses (recursion in scripted code).
const MAX_DEPTH: usize = 200;

enum Flow {
    Normal,
    Break,
    Continue,
    Return(Value),
}

/// An error inside a statement, before it gets its location.
enum Fail {
    Op(OpError),
    Jit(JitError),
}

impl From<OpError> for Fail {
    fn from(e: OpError) -> Fail {
        Fail::Op(e)
    }
}

impl From<JitError> for Fail {
    fn from(e: JitError) -> Fail {
        Fail::Jit(e)
    }
}

type EResult<T> = std::result::Result<T, Fail>;

/// Runs functions of one program.
pub(crate) struct Interp<'p> {
    pub prog: &'p Program,
    depth: usize,
}

impl<'p> Interp<'p> {
    pub(crate) fn new(prog: &'p Program) -> Interp<'p> {
        Interp { prog, depth: 0 }
    }

    /// Calls function `index` with positional `args` (defaults fill the rest).
    pub(crate) fn call(&mut self, index: usize, mut args: Vec<Value>) -> Result<Value> {
        let prog = self.prog;
        let f = &prog.functions[index];
        if args.len() > f.params.len() {
            return Err(JitError::Usage(format!(
                "{} takes {} arguments, {} given",
                f.qualname,
                f.params.len(),
                args.len()
            )));
        }
        for p in &f.params[args.len()..] {
            match &p.default {
                Some(d) => args.push(d.clone()),
                None => {
                    return Err(JitError::Usage(format!(
                        "{}: missing argument `{}`",
                        f.qualname, p.name
                    )));
                }
            }
        }
        for (a, p) in args.iter_mut().zip(&f.params) {
            if let (true, Value::Int(i)) = (p.float, &*a) {
                *a = Value::Float(*i as f64);
            }
        }
        if self.depth >= MAX_DEPTH {
            return Err(JitError::Runtime {
                message: format!("calls nested deeper than {MAX_DEPTH}"),
                at: prog.location(f.file, f.line),
            });
        }
        args.resize(f.slots.max(args.len()), Value::None);
        self.depth += 1;
        let flow = self.block(f, &mut args, &f.body);
        self.depth -= 1;
        match flow? {
            Flow::Return(v) => Ok(v),
            _ => Ok(Value::None),
        }
    }

    fn locate(&self, f: &Function, line: u32, e: Fail) -> JitError {
        match e {
            Fail::Jit(j) => j,
            Fail::Op(OpError(message)) => JitError::Runtime {
                message,
                at: self.prog.location(f.file, line),
            },
        }
    }

    fn block(&mut self, f: &Function, slots: &mut [Value], body: &[CStmt]) -> Result<Flow> {
        for s in body {
            match self.stmt(f, slots, s) {
                Ok(Flow::Normal) => {}
                Ok(flow) => return Ok(flow),
                Err(e) => return Err(self.locate(f, s.line, e)),
            }
        }
        Ok(Flow::Normal)
    }

    fn stmt(&mut self, f: &Function, slots: &mut [Value], s: &CStmt) -> EResult<Flow> {
        match &s.kind {
            StmtKind::Assign(t, e) => {
                let v = self.eval(slots, e)?;
                self.assign(slots, t, v)?;
            }
            StmtKind::Expr(e) => {
                self.eval(slots, e)?;
            }
            StmtKind::If(c, a, b) => {
                let c = self.eval(slots, c)?;
                let body = if truthy(&c)? { a } else { b };
                return Ok(self.block(f, slots, body)?);
            }
            StmtKind::ForRange(t, args, body) => {
                let mut n = Vec::with_capacity(3);
                for a in args {
                    n.push(ops::int_arg(&self.eval(slots, a)?, "range")?);
                }
                let (start, end, step) = match n.as_slice() {
                    [e] => (0, *e, 1),
                    [s, e] => (*s, *e, 1),
                    [s, e, st] if *st != 0 => (*s, *e, *st),
                    _ => return Err(OpError("range() arg 3 must not be zero".into()).into()),
                };
                let mut i = start;
                while (step > 0 && i < end) || (step < 0 && i > end) {
                    self.assign(slots, t, Value::Int(i))?;
                    match self.block(f, slots, body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                    i += step;
                }
            }
            StmtKind::ForEach(t, it, body) => {
                let items = iter_items(&self.eval(slots, it)?)?;
                for v in items {
                    self.assign(slots, t, v)?;
                    match self.block(f, slots, body)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        _ => {}
                    }
                }
            }
            StmtKind::While(c, body) => loop {
                let c = self.eval(slots, c)?;
                if !truthy(&c)? {
                    break;
                }
                match self.block(f, slots, body)? {
                    Flow::Break => break,
                    Flow::Return(v) => return Ok(Flow::Return(v)),
                    _ => {}
                }
            },
            StmtKind::With(ctx, target, body) => {
                let ctx = self.eval(slots, ctx)?;
                let entered = self.call_method_opt(&ctx, "__enter__", vec![])?;
                if let Some(t) = target {
                    self.assign(slots, t, entered.unwrap_or(Value::None))?;
                }
                let flow = self.block(f, slots, body);
                self.call_method_opt(&ctx, "__exit__", vec![Value::None; 3])?;
                return Ok(flow?);
            }
            StmtKind::Return(e) => return Ok(Flow::Return(self.eval(slots, e)?)),
            StmtKind::Raise(e, kind) => {
                let message = match e {
                    Some(e) => self.eval(slots, e)?.to_string(),
                    None => "Exception".into(),
                };
                return Err(Fail::Jit(JitError::Raised {
                    kind: kind.to_string(),
                    message,
                    at: self.prog.location(f.file, s.line),
                }));
            }
            StmtKind::Assert(c, m) => {
                if !truthy(&self.eval(slots, c)?)? {
                    let message = match m {
                        Some(m) => self.eval(slots, m)?.to_string(),
                        None => String::new(),
                    };
                    return Err(Fail::Jit(JitError::Raised {
                        kind: "builtins.AssertionError".into(),
                        message,
                        at: self.prog.location(f.file, s.line),
                    }));
                }
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Pass => {}
        }
        Ok(Flow::Normal)
    }

    fn assign(&mut self, slots: &mut [Value], t: &Target, v: Value) -> EResult<()> {
        match t {
            Target::Local(i) => slots[*i] = v,
            Target::Tuple(ts) => {
                let items = match &v {
                    Value::Tuple(items) => items.to_vec(),
                    Value::List(l) => l.to_vec(),
                    other => {
                        return Err(OpError(format!("cannot unpack a {}", other.kind())).into());
                    }
                };
                if items.len() != ts.len() {
                    return Err(OpError(format!(
                        "expected {} values to unpack, got {}",
                        ts.len(),
                        items.len()
                    ))
                    .into());
                }
                for (t, v) in ts.iter().zip(items) {
                    self.assign(slots, t, v)?;
                }
            }
            Target::Attr(obj, name) => match self.eval(slots, obj)? {
                Value::Object(o) => o.set(name, v),
                other => {
                    return Err(OpError(format!(
                        "cannot set attribute {name} of a {}",
                        other.kind()
                    ))
                    .into());
                }
            },
            Target::Subscript(base, index) => {
                let base = self.eval(slots, base)?;
                let index = self.eval(slots, index)?;
                ops::set_item(&base, &index, v)?;
            }
        }
        Ok(())
    }

    fn call_method_opt(
        &mut self,
        recv: &Value,
        name: &str,
        args: Vec<Value>,
    ) -> EResult<Option<Value>> {
        let Value::Object(o) = recv else {
            return Ok(None);
        };
        let Some(index) = self.prog.method(o.class(), name) else {
            return Ok(None);
        };
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(recv.clone());
        all.extend(args);
        Ok(Some(self.call(index, all)?))
    }

    fn eval(&mut self, slots: &mut [Value], e: &CExpr) -> EResult<Value> {
        Ok(match e {
            CExpr::Local(i) => slots[*i].clone(),
            CExpr::Const(v) => v.clone(),
            CExpr::Attr(obj, name) => {
                let obj = self.eval(slots, obj)?;
                self.attr(&obj, name)?
            }
            CExpr::Op { f, args } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(slots, a)?);
                }
                f(vals)?
            }
            CExpr::Missing(name) => {
                return Err(OpError(format!("operator {name} is not supported by pt-jit")).into());
            }
            CExpr::CallFn { index, args } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(slots, a)?);
                }
                self.call(*index, vals)?
            }
            CExpr::CallMethod { recv, name, args } => {
                let recv = self.eval(slots, recv)?;
                let mut vals = Vec::with_capacity(args.len() + 1);
                vals.push(recv);
                for a in args {
                    vals.push(self.eval(slots, a)?);
                }
                self.method(name, vals)?
            }
            CExpr::NewObject(class) => {
                if !self.prog.classes.contains_key(&**class) {
                    return Err(OpError(format!("unknown class {class}")).into());
                }
                Value::Object(Object::new(class.clone(), IndexMap::new()))
            }
            CExpr::Tuple(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for a in items {
                    vals.push(self.eval(slots, a)?);
                }
                Value::tuple(vals)
            }
            CExpr::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for a in items {
                    vals.push(self.eval(slots, a)?);
                }
                Value::list(vals)
            }
            CExpr::Dict(items) => {
                let mut map = IndexMap::new();
                for (k, v) in items {
                    let k = self.eval(slots, k)?;
                    let key = DictKey::from_value(&k)
                        .ok_or_else(|| OpError(format!("unhashable dict key {}", k.kind())))?;
                    map.insert(key, self.eval(slots, v)?);
                }
                Value::Dict(Dict::new(map))
            }
            CExpr::Subscript(base, index) => {
                let base = self.eval(slots, base)?;
                let index = self.eval(slots, index)?;
                ops::get_item(&base, &index)?
            }
            CExpr::Slice(a, b, c) => {
                let mut part = |x: &Option<Box<CExpr>>| -> EResult<Value> {
                    Ok(match x {
                        Some(x) => self.eval(slots, x)?,
                        None => Value::None,
                    })
                };
                let (a, b, c) = (part(a)?, part(b)?, part(c)?);
                ops::slice_value(a, b, c)
            }
            CExpr::Not(v) => Value::Bool(!truthy(&self.eval(slots, v)?)?),
            CExpr::And(a, b) => {
                let a = self.eval(slots, a)?;
                if truthy(&a)? { self.eval(slots, b)? } else { a }
            }
            CExpr::Or(a, b) => {
                let a = self.eval(slots, a)?;
                if truthy(&a)? { a } else { self.eval(slots, b)? }
            }
            CExpr::IfExp(c, a, b) => {
                if truthy(&self.eval(slots, c)?)? {
                    self.eval(slots, a)?
                } else {
                    self.eval(slots, b)?
                }
            }
            CExpr::IsInstance(v, names) => {
                let v = self.eval(slots, v)?;
                Value::Bool(names.iter().any(|n| is_instance(&v, n)))
            }
            CExpr::Annotate(hint, v) => {
                let v = self.eval(slots, v)?;
                match (hint, v) {
                    (TypeHint::Float, Value::Int(i)) => Value::Float(i as f64),
                    (_, v) => v,
                }
            }
        })
    }

    fn attr(&self, obj: &Value, name: &str) -> EResult<Value> {
        match obj {
            Value::Object(o) => {
                if let Some(v) = o.get(name) {
                    return Ok(v);
                }
                if let Some(v) = self
                    .prog
                    .classes
                    .get(o.class())
                    .and_then(|c| c.constants.get(name))
                {
                    return Ok(v.clone());
                }
                Err(OpError(format!(
                    "object of class {} has no attribute {name}",
                    o.class()
                ))
                .into())
            }
            other => Ok(ops::value_attr(other, name)?),
        }
    }

    fn method(&mut self, name: &Arc<str>, args: Vec<Value>) -> EResult<Value> {
        if let Value::Object(o) = &args[0] {
            let Some(index) = self.prog.method(o.class(), name) else {
                return Err(OpError(format!("class {} has no method {name}", o.class())).into());
            };
            return Ok(self.call(index, args)?);
        }
        let op = format!("aten::{name}");
        match ops::lookup(&op) {
            Some(def) => Ok((def.f)(args)?),
            None => Err(OpError(format!("{} has no method {name}", args[0].kind())).into()),
        }
    }
}

/// Python truthiness for the values conditions see.
pub(crate) fn truthy(v: &Value) -> std::result::Result<bool, OpError> {
    Ok(match v {
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::None => false,
        Value::Str(s) => !s.is_empty(),
        Value::List(l) => !l.is_empty(),
        Value::Tuple(t) => !t.is_empty(),
        Value::Dict(d) => !d.guard().is_empty(),
        Value::Tensor(t) => {
            if t.numel() != 1 {
                return Err(OpError(
                    "Boolean value of Tensor with more than one value is ambiguous".into(),
                ));
            }
            t.item_f64()? != 0.0
        }
        other => return Err(OpError(format!("a {} is not a condition", other.kind()))),
    })
}

fn iter_items(v: &Value) -> std::result::Result<Vec<Value>, OpError> {
    Ok(match v {
        Value::List(l) => l.to_vec(),
        Value::Tuple(t) => t.to_vec(),
        Value::Dict(d) => d.guard().keys().map(DictKey::to_value).collect(),
        Value::Str(s) => s.chars().map(|c| Value::str(&c.to_string())).collect(),
        Value::Tensor(t) => {
            let n = t
                .shape()
                .first()
                .copied()
                .ok_or("iteration over a 0-d tensor")?;
            (0..n)
                .map(|i| Ok(Value::Tensor(t.select(0, i as isize)?)))
                .collect::<std::result::Result<_, OpError>>()?
        }
        other => return Err(OpError(format!("cannot iterate over a {}", other.kind()))),
    })
}

fn is_instance(v: &Value, name: &str) -> bool {
    match (v, name) {
        (Value::Tensor(_), "Tensor") => true,
        (Value::Int(_), "int") | (Value::Float(_), "float") | (Value::Bool(_), "bool") => true,
        (Value::Str(_), "str") | (Value::None, "NoneType") => true,
        (Value::List(_), n) => n.starts_with("List") || n == "list",
        (Value::Tuple(_), n) => n.starts_with("Tuple") || n == "tuple",
        (Value::Dict(_), n) => n.starts_with("Dict") || n == "dict",
        (Value::Object(o), n) => o.class().rsplit('.').next() == Some(n),
        _ => false,
    }
}

//! Compiler: AST → [`Program`]. Names become slots, calls become operator entries or
//! function indices, keyword arguments become positions, upgraders are applied by version.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ast::{ClassDef, Expr, FunctionDef, SourceFile, Stmt};
use crate::error::{JitError, Result};
use crate::ops::{self, OpDef};
use crate::program::{
    CExpr, CStmt, ClassInfo, FileInfo, Function, ParamInfo, Program, StmtKind, Target, TypeHint,
};
use crate::value::Value;

/// `code/__torch__/torch/nn/modules/linear.py` → `__torch__.torch.nn.modules.linear`.
pub(crate) fn module_of(record: &str) -> String {
    let path = record.strip_prefix("code/").unwrap_or(record);
    path.strip_suffix(".py").unwrap_or(path).replace('/', ".")
}

/// Compiles parsed code records.
pub(crate) fn compile(
    files: Vec<(FileInfo, SourceFile)>,
    constants: &[Value],
    version: u64,
) -> Result<Program> {
    let mut prog = Program {
        version,
        ..Program::default()
    };
    // Pass 1: register every function with its parameters, so calls resolve in any order.
    let mut pending: Vec<(usize, usize, FunctionDef, Option<String>)> = Vec::new();
    for (file_index, (info, src)) in files.into_iter().enumerate() {
        let module = module_of(&info.name);
        prog.files.push(info);
        for f in src.functions {
            let q = format!("{module}.{}", f.name);
            let index = register(&mut prog, &q, &f, file_index)?;
            pending.push((index, file_index, f, None));
        }
        for c in src.classes {
            let cq = format!("{module}.{}", c.name);
            let class = class_info(&prog, &c, file_index)?;
            prog.classes.insert(cq.clone(), class);
            for m in c.methods {
                let q = format!("{cq}.{}", m.name);
                let index = register(&mut prog, &q, &m, file_index)?;
                if let Some(ci) = prog.classes.get_mut(&cq) {
                    ci.methods.insert(m.name.clone(), index);
                    ci.method_order.push(m.name.clone());
                }
                pending.push((index, file_index, m, Some(cq.clone())));
            }
        }
    }
    // Pass 2: bodies.
    for (index, file, def, _class) in pending {
        let (body, slots) = {
            let mut fc = FnCompiler {
                prog: &mut prog,
                constants,
                file,
                locals: HashMap::new(),
                functions: HashMap::new(),
            };
            for p in &def.params {
                fc.slot(&p.name);
            }
            let body = fc.block(&def.body)?;
            (body, fc.locals.len())
        };
        if let Some(f) = prog.functions.get_mut(index) {
            f.body = body;
            f.slots = slots;
        }
    }
    Ok(prog)
}

fn register(prog: &mut Program, qualname: &str, f: &FunctionDef, file: usize) -> Result<usize> {
    let mut params = Vec::new();
    for p in &f.params {
        let default = match &p.default {
            Some(e) => Some(const_value(e).ok_or_else(|| JitError::Resolve {
                message: format!("default of parameter `{}` is not a constant", p.name),
                at: prog.location(file, f.line),
            })?),
            None => None,
        };
        let float = matches!(&p.ty, Some(Expr::Name(n, _)) if n == "float");
        params.push(ParamInfo {
            name: p.name.clone(),
            default,
            float,
        });
    }
    let signature = signature(f);
    let index = prog.functions.len();
    prog.functions.push(Function {
        qualname: qualname.to_owned(),
        file,
        line: f.line,
        params,
        slots: 0,
        body: Vec::new(),
        signature,
    });
    prog.by_name.insert(qualname.to_owned(), index);
    Ok(index)
}

fn signature(f: &FunctionDef) -> String {
    let params: Vec<String> = f
        .params
        .iter()
        .filter(|p| p.name != "self")
        .map(|p| match &p.ty {
            Some(t) => format!("{}: {}", p.name, type_text(t)),
            None => p.name.clone(),
        })
        .collect();
    let ret = f.ret.as_ref().map(type_text).unwrap_or_default();
    format!("{}({}) -> {}", f.name, params.join(", "), ret)
}

/// An annotation as text (`Tuple[Tensor, int]`).
pub(crate) fn type_text(e: &Expr) -> String {
    match e {
        Expr::Subscript(b, i) => {
            let inner = match &**i {
                Expr::Tuple(items) => items.iter().map(type_text).collect::<Vec<_>>().join(", "),
                other => type_text(other),
            };
            format!("{}[{inner}]", type_text(b))
        }
        Expr::None => "NoneType".into(),
        Expr::List(items) => format!(
            "[{}]",
            items.iter().map(type_text).collect::<Vec<_>>().join(", ")
        ),
        other => other
            .dotted()
            .map(|d| d.rsplit('.').next().unwrap_or(&d).to_owned())
            .unwrap_or_else(|| "?".into()),
    }
}

fn class_info(prog: &Program, c: &ClassDef, file: usize) -> Result<ClassInfo> {
    let mut constants = HashMap::new();
    for (name, e) in &c.constants {
        let v = const_value(e).ok_or_else(|| JitError::Resolve {
            message: format!("class constant `{name}` is not a constant"),
            at: prog.location(file, c.line),
        })?;
        constants.insert(name.clone(), v);
    }
    Ok(ClassInfo {
        parameters: c.parameters.clone(),
        buffers: c.buffers.clone(),
        constants,
        methods: HashMap::new(),
        method_order: Vec::new(),
    })
}

/// The value of a constant expression (literals, tuples and lists of them).
pub(crate) fn const_value(e: &Expr) -> Option<Value> {
    Some(match e {
        Expr::Int(i) => Value::Int(*i),
        Expr::Float(f) => Value::Float(*f),
        Expr::Str(s) => Value::str(s),
        Expr::Bool(b) => Value::Bool(*b),
        Expr::None => Value::None,
        Expr::Tuple(items) => Value::tuple(items.iter().map(const_value).collect::<Option<_>>()?),
        Expr::List(items) => Value::list(items.iter().map(const_value).collect::<Option<_>>()?),
        Expr::Name(n, _) if n == "inf" => Value::Float(f64::INFINITY),
        Expr::Name(n, _) if n == "nan" => Value::Float(f64::NAN),
        Expr::Unary("-", inner, _) => match const_value(inner)? {
            Value::Int(i) => Value::Int(i.wrapping_neg()),
            Value::Float(f) => Value::Float(-f),
            _ => return None,
        },
        _ => return None,
    })
}

struct FnCompiler<'p> {
    prog: &'p mut Program,
    constants: &'p [Value],
    file: usize,
    locals: HashMap<String, usize>,
    /// Locals bound to a function (`_0 = __torch__.torch.nn.functional.pad`): calls through
    /// them become direct calls.
    functions: HashMap<String, String>,
}

/// Roots of dotted names that are never locals in serialized code.
const GLOBAL_ROOTS: [&str; 6] = ["torch", "ops", "CONSTANTS", "__torch__", "math", "builtins"];

impl FnCompiler<'_> {
    fn slot(&mut self, name: &str) -> usize {
        let n = self.locals.len();
        *self.locals.entry(name.to_owned()).or_insert(n)
    }

    fn err(&self, line: u32, message: impl Into<String>) -> JitError {
        JitError::Resolve {
            message: message.into(),
            at: self.prog.location(self.file, line),
        }
    }

    fn block(&mut self, body: &[Stmt]) -> Result<Vec<CStmt>> {
        body.iter().map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, s: &Stmt) -> Result<CStmt> {
        let (line, kind) = match s {
            Stmt::Assign(targets, value, line) if matches!((&targets[..], value.dotted()), ([Expr::Name(..)], Some(d)) if self.prog.by_name.contains_key(&d) && self.is_global(value)) =>
            {
                if let (Expr::Name(n, _), Some(d)) = (&targets[0], value.dotted()) {
                    self.functions.insert(n.clone(), d);
                }
                (*line, StmtKind::Pass)
            }
            Stmt::Assign(targets, value, line) => {
                let v = self.expr(value)?;
                if targets.len() != 1 {
                    return Err(self.err(*line, "chained assignment"));
                }
                (*line, StmtKind::Assign(self.target(&targets[0], *line)?, v))
            }
            Stmt::AugAssign(target, op, value, line) => {
                let Expr::Name(n, _) = target else {
                    return Err(self.err(*line, "augmented assignment to a non-name"));
                };
                let name = binary_op_name(op).unwrap_or("aten::add");
                let current = self.expr(target)?;
                let value = self.expr(value)?;
                let f = self.op(name, *line)?;
                let slot = self.slot(n);
                (
                    *line,
                    StmtKind::Assign(
                        Target::Local(slot),
                        CExpr::Op {
                            f,
                            args: vec![current, value],
                        },
                    ),
                )
            }
            Stmt::Expr(
                Expr::Call {
                    func, args, kwargs, ..
                },
                line,
            ) if func.dotted().as_deref() == Some("ops.prim.RaiseException") => {
                let _ = kwargs;
                let msg = match args.first() {
                    Some(m) => Some(self.expr(m)?),
                    None => None,
                };
                let kind = match args.get(1) {
                    Some(Expr::Str(k)) => k.as_str(),
                    _ => "builtins.RuntimeError",
                };
                (*line, StmtKind::Raise(msg, Arc::from(kind)))
            }
            Stmt::Expr(e, line) => (*line, StmtKind::Expr(self.expr(e)?)),
            Stmt::If(c, a, b, line) => (
                *line,
                StmtKind::If(self.expr(c)?, self.block(a)?, self.block(b)?),
            ),
            Stmt::For(target, iter, body, line) => {
                let range_args = match iter {
                    Expr::Call {
                        func, args, kwargs, ..
                    } if kwargs.is_empty()
                        && matches!(&**func, Expr::Name(n, _) if n == "range" && !self.locals.contains_key("range")) =>
                    {
                        Some(
                            args.iter()
                                .map(|a| self.expr(a))
                                .collect::<Result<Vec<_>>>()?,
                        )
                    }
                    _ => None,
                };
                let kind = match range_args {
                    Some(args) => {
                        let t = self.target(target, *line)?;
                        StmtKind::ForRange(t, args, self.block(body)?)
                    }
                    None => {
                        let it = self.expr(iter)?;
                        let t = self.target(target, *line)?;
                        StmtKind::ForEach(t, it, self.block(body)?)
                    }
                };
                (*line, kind)
            }
            Stmt::While(c, body, line) => {
                (*line, StmtKind::While(self.expr(c)?, self.block(body)?))
            }
            Stmt::With(item, target, body, line) => {
                let item = self.expr(item)?;
                let target = match target {
                    Some(t) => Some(self.target(t, *line)?),
                    None => None,
                };
                (*line, StmtKind::With(item, target, self.block(body)?))
            }
            Stmt::Return(e, line) => (
                *line,
                StmtKind::Return(match e {
                    Some(e) => self.expr(e)?,
                    None => CExpr::Const(Value::None),
                }),
            ),
            Stmt::Raise(e, line) => (
                *line,
                StmtKind::Raise(
                    match e {
                        Some(e) => Some(self.expr(e)?),
                        None => None,
                    },
                    Arc::from("builtins.Exception"),
                ),
            ),
            Stmt::Assert(c, m, line) => (
                *line,
                StmtKind::Assert(
                    self.expr(c)?,
                    match m {
                        Some(m) => Some(self.expr(m)?),
                        None => None,
                    },
                ),
            ),
            Stmt::Break(line) => (*line, StmtKind::Break),
            Stmt::Continue(line) => (*line, StmtKind::Continue),
            Stmt::Pass => (0, StmtKind::Pass),
        };
        Ok(CStmt { line, kind })
    }

    fn target(&mut self, e: &Expr, line: u32) -> Result<Target> {
        Ok(match e {
            Expr::Name(n, _) => Target::Local(self.slot(n)),
            Expr::Tuple(items) | Expr::List(items) => Target::Tuple(
                items
                    .iter()
                    .map(|i| self.target(i, line))
                    .collect::<Result<_>>()?,
            ),
            Expr::Attr(base, name, _) => Target::Attr(self.expr(base)?, Arc::from(name.as_str())),
            Expr::Subscript(base, index) => Target::Subscript(self.expr(base)?, self.expr(index)?),
            _ => return Err(self.err(line, "cannot assign to this expression")),
        })
    }

    fn is_global(&self, e: &Expr) -> bool {
        let mut root = e;
        while let Expr::Attr(b, _, _) = root {
            root = b;
        }
        matches!(root, Expr::Name(n, _) if GLOBAL_ROOTS.contains(&n.as_str()) && !self.locals.contains_key(n))
    }

    fn op(&mut self, name: &str, line: u32) -> Result<crate::ops::OpFn> {
        match ops::lookup_versioned(name, self.prog.version) {
            Some(def) => Ok(def.f),
            None => Err(self.err(line, format!("operator {name}"))),
        }
    }

    /// An operator call, or a `Missing` node (recorded) if the table lacks it.
    fn op_call(
        &mut self,
        name: &str,
        args: &[Expr],
        kwargs: &[(String, Expr)],
        line: u32,
    ) -> Result<CExpr> {
        let Some(def) = ops::lookup_versioned(name, self.prog.version) else {
            self.prog.missing.push((name.to_owned(), self.file, line));
            return Ok(CExpr::Missing(Arc::from(name)));
        };
        let args = self.positional(def, args, kwargs, line)?;
        Ok(CExpr::Op { f: def.f, args })
    }

    fn positional(
        &mut self,
        def: &OpDef,
        args: &[Expr],
        kwargs: &[(String, Expr)],
        line: u32,
    ) -> Result<Vec<CExpr>> {
        let mut out: Vec<CExpr> = args.iter().map(|a| self.expr(a)).collect::<Result<_>>()?;
        for (k, v) in kwargs {
            let Some(i) = def.params.iter().position(|p| p == k) else {
                return Err(self.err(line, format!("{} has no argument named `{k}`", def.name)));
            };
            while out.len() <= i {
                out.push(CExpr::Const(Value::None));
            }
            out[i] = self.expr(v)?;
        }
        Ok(out)
    }

    fn expr(&mut self, e: &Expr) -> Result<CExpr> {
        Ok(match e {
            Expr::Int(i) => CExpr::Const(Value::Int(*i)),
            Expr::Float(f) => CExpr::Const(Value::Float(*f)),
            Expr::Str(s) => CExpr::Const(Value::str(s)),
            Expr::Bool(b) => CExpr::Const(Value::Bool(*b)),
            Expr::None => CExpr::Const(Value::None),
            Expr::Name(n, line) => match self.locals.get(n) {
                Some(&s) => CExpr::Local(s),
                None => match n.as_str() {
                    "inf" => CExpr::Const(Value::Float(f64::INFINITY)),
                    "nan" => CExpr::Const(Value::Float(f64::NAN)),
                    _ => return Err(self.err(*line, format!("undefined name `{n}`"))),
                },
            },
            Expr::Attr(base, name, line) => {
                if self.is_global(e) {
                    let dotted = e.dotted().unwrap_or_default();
                    return self.global(&dotted, *line);
                }
                let _ = base;
                CExpr::Attr(Box::new(self.expr(base)?), Arc::from(name.as_str()))
            }
            Expr::Call {
                func,
                args,
                kwargs,
                line,
            } => self.call(func, args, kwargs, *line)?,
            Expr::Subscript(base, index) => {
                CExpr::Subscript(Box::new(self.expr(base)?), Box::new(self.expr(index)?))
            }
            Expr::Slice(a, b, c) => {
                let mut part = |x: &Option<Box<Expr>>| -> Result<Option<Box<CExpr>>> {
                    Ok(match x {
                        Some(x) => Some(Box::new(self.expr(x)?)),
                        None => None,
                    })
                };
                CExpr::Slice(part(a)?, part(b)?, part(c)?)
            }
            Expr::Tuple(items) => {
                CExpr::Tuple(items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?)
            }
            Expr::List(items) => {
                CExpr::List(items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?)
            }
            Expr::Dict(items) => CExpr::Dict(
                items
                    .iter()
                    .map(|(k, v)| Ok((self.expr(k)?, self.expr(v)?)))
                    .collect::<Result<_>>()?,
            ),
            Expr::Unary(op, inner, line) => {
                let v = self.expr(inner)?;
                match *op {
                    "not" => CExpr::Not(Box::new(v)),
                    "-" => CExpr::Op {
                        f: self.op("aten::neg", *line)?,
                        args: vec![v],
                    },
                    _ => CExpr::Op {
                        f: self.op("aten::bitwise_not", *line)?,
                        args: vec![v],
                    },
                }
            }
            Expr::Binary(op, a, b, line) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                match *op {
                    "in" => CExpr::Op {
                        f: self.op("aten::__contains__", *line)?,
                        args: vec![b, a],
                    },
                    "not in" => CExpr::Not(Box::new(CExpr::Op {
                        f: self.op("aten::__contains__", *line)?,
                        args: vec![b, a],
                    })),
                    op => {
                        let name = binary_op_name(op)
                            .ok_or_else(|| self.err(*line, format!("operator `{op}`")))?;
                        CExpr::Op {
                            f: self.op(name, *line)?,
                            args: vec![a, b],
                        }
                    }
                }
            }
            Expr::BoolOp(and, a, b) => {
                let (a, b) = (Box::new(self.expr(a)?), Box::new(self.expr(b)?));
                if *and {
                    CExpr::And(a, b)
                } else {
                    CExpr::Or(a, b)
                }
            }
            Expr::IfExp(c, a, b) => CExpr::IfExp(
                Box::new(self.expr(c)?),
                Box::new(self.expr(a)?),
                Box::new(self.expr(b)?),
            ),
        })
    }

    fn global(&mut self, dotted: &str, line: u32) -> Result<CExpr> {
        if let Some(c) = dotted.strip_prefix("CONSTANTS.c") {
            let i: usize = c
                .parse()
                .map_err(|_| self.err(line, format!("bad constant {dotted}")))?;
            let v = self
                .constants
                .get(i)
                .cloned()
                .ok_or_else(|| self.err(line, format!("{dotted} is not in constants.pkl")))?;
            return Ok(CExpr::Const(v));
        }
        match dotted {
            "math.pi" => return Ok(CExpr::Const(Value::Float(std::f64::consts::PI))),
            "math.e" => return Ok(CExpr::Const(Value::Float(std::f64::consts::E))),
            "math.inf" => return Ok(CExpr::Const(Value::Float(f64::INFINITY))),
            "math.nan" => return Ok(CExpr::Const(Value::Float(f64::NAN))),
            _ => {}
        }
        if let Some(d) = dotted.strip_prefix("torch.").and_then(ops::dtype_constant) {
            return Ok(CExpr::Const(Value::Int(d)));
        }
        Err(self.err(line, format!("unknown global `{dotted}`")))
    }

    fn call(
        &mut self,
        func: &Expr,
        args: &[Expr],
        kwargs: &[(String, Expr)],
        line: u32,
    ) -> Result<CExpr> {
        if let Expr::Attr(base, method, _) = func
            && !self.is_global(base)
        {
            {
                if !kwargs.is_empty() {
                    return Err(self.err(line, "keyword arguments in a method call"));
                }
                let recv = self.expr(base)?;
                let args = args.iter().map(|a| self.expr(a)).collect::<Result<_>>()?;
                return Ok(CExpr::CallMethod {
                    recv: Box::new(recv),
                    name: Arc::from(method.as_str()),
                    args,
                });
            }
        }
        let Some(mut dotted) = func.dotted() else {
            return Err(self.err(line, "call of a computed value"));
        };
        if let Some(target) = self.functions.get(&dotted) {
            dotted = target.clone();
        }
        if let Some(&slot) = self.locals.get(&dotted) {
            let _ = slot;
            return Err(self.err(line, format!("call of local `{dotted}`")));
        }
        match dotted.as_str() {
            "annotate" | "unchecked_cast" => {
                let [ty, v] = args else {
                    return Err(self.err(line, format!("{dotted} takes 2 arguments")));
                };
                let hint = match ty {
                    Expr::Name(n, _) if n == "float" => TypeHint::Float,
                    _ => TypeHint::Keep,
                };
                return Ok(CExpr::Annotate(hint, Box::new(self.expr(v)?)));
            }
            "uninitialized" => return Ok(CExpr::Const(Value::Uninitialized)),
            "getattr" => {
                let [obj, Expr::Str(name)] = args else {
                    return Err(self.err(line, "getattr with a computed name"));
                };
                return Ok(CExpr::Attr(
                    Box::new(self.expr(obj)?),
                    Arc::from(name.as_str()),
                ));
            }
            "isinstance" => {
                let [v, ty] = args else {
                    return Err(self.err(line, "isinstance takes 2 arguments"));
                };
                let names = match ty {
                    Expr::Tuple(items) => items.iter().map(type_text).collect(),
                    other => vec![type_text(other)],
                };
                return Ok(CExpr::IsInstance(Box::new(self.expr(v)?), names));
            }
            _ => {}
        }
        if let Some(rest) = dotted.strip_prefix("__torch__.") {
            let _ = rest;
            if let Some(class) = dotted.strip_suffix(".__new__") {
                return Ok(CExpr::NewObject(Arc::from(class)));
            }
            let Some(&index) = self.prog.by_name.get(&dotted) else {
                return Err(self.err(line, format!("unknown function {dotted}")));
            };
            let params = self.prog.functions[index].params.clone();
            let mut out: Vec<CExpr> = args.iter().map(|a| self.expr(a)).collect::<Result<_>>()?;
            for (k, v) in kwargs {
                let Some(i) = params.iter().position(|p| p.name == *k) else {
                    return Err(self.err(line, format!("{dotted} has no parameter `{k}`")));
                };
                while out.len() <= i {
                    let d = params[out.len()].default.clone().ok_or_else(|| {
                        self.err(
                            line,
                            format!(
                                "{dotted}: parameter `{}` has no default",
                                params[out.len()].name
                            ),
                        )
                    })?;
                    out.push(CExpr::Const(d));
                }
                out[i] = self.expr(v)?;
            }
            return Ok(CExpr::CallFn { index, args: out });
        }
        let name = if let Some(rest) = dotted.strip_prefix("torch.") {
            let last = rest.rsplit('.').next().unwrap_or(rest);
            format!("aten::{last}")
        } else if let Some(rest) = dotted.strip_prefix("ops.") {
            match rest.split_once('.') {
                Some((ns, op)) => format!("{ns}::{op}"),
                None => return Err(self.err(line, format!("bad operator name {dotted}"))),
            }
        } else if let Some(rest) = dotted.strip_prefix("math.") {
            format!("math::{rest}")
        } else {
            match builtin_op(&dotted) {
                Some(n) => n.to_owned(),
                None => return Err(self.err(line, format!("unknown function `{dotted}`"))),
            }
        };
        self.op_call(&name, args, kwargs, line)
    }
}

fn builtin_op(name: &str) -> Option<&'static str> {
    Some(match name {
        "int" => "aten::Int",
        "float" => "aten::Float",
        "bool" => "aten::Bool",
        "str" => "aten::str",
        "len" => "aten::len",
        "min" => "prim::min",
        "max" => "prim::max",
        "abs" => "prim::abs",
        "print" => "prim::print",
        "round" => "aten::round",
        "list" => "aten::list",
        "hash" => "aten::hash",
        "divmod" => "aten::divmod",
        "ord" => "aten::ord",
        "chr" => "aten::chr",
        _ => return None,
    })
}

fn binary_op_name(op: &str) -> Option<&'static str> {
    Some(match op {
        "+" => "aten::add",
        "-" => "aten::sub",
        "*" => "aten::mul",
        "/" => "aten::div",
        "//" => "aten::floordiv",
        "%" => "aten::remainder",
        "**" => "aten::pow",
        "@" => "aten::matmul",
        "==" => "aten::eq",
        "!=" => "aten::ne",
        "<" => "aten::lt",
        "<=" => "aten::le",
        ">" => "aten::gt",
        ">=" => "aten::ge",
        "is" => "aten::__is__",
        "is not" => "aten::__isnot__",
        "&" => "aten::__and__",
        "|" => "aten::__or__",
        "^" => "aten::__xor__",
        "<<" => "aten::__lshift__",
        ">>" => "aten::__rshift__",
        _ => return None,
    })
}

//! The compiled form: functions with names resolved to slots, calls to operator entries or
//! function indices, chosen once at load time.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ops::OpFn;
use crate::value::Value;

/// A compiled expression.
#[derive(Debug)]
pub(crate) enum CExpr {
    Local(usize),
    Const(Value),
    Attr(Box<CExpr>, Arc<str>),
    Op {
        f: OpFn,
        args: Vec<CExpr>,
    },
    /// An operator pt-jit does not have: an error when reached.
    Missing(Arc<str>),
    CallFn {
        index: usize,
        args: Vec<CExpr>,
    },
    CallMethod {
        recv: Box<CExpr>,
        name: Arc<str>,
        args: Vec<CExpr>,
    },
    NewObject(Arc<str>),
    Tuple(Vec<CExpr>),
    List(Vec<CExpr>),
    Dict(Vec<(CExpr, CExpr)>),
    Subscript(Box<CExpr>, Box<CExpr>),
    Slice(Option<Box<CExpr>>, Option<Box<CExpr>>, Option<Box<CExpr>>),
    Not(Box<CExpr>),
    And(Box<CExpr>, Box<CExpr>),
    Or(Box<CExpr>, Box<CExpr>),
    IfExp(Box<CExpr>, Box<CExpr>, Box<CExpr>),
    IsInstance(Box<CExpr>, Vec<String>),
    /// `annotate(float, x)` and friends: a conversion the annotation implies.
    Annotate(TypeHint, Box<CExpr>),
}

/// What an annotation changes about a value at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TypeHint {
    /// Nothing (containers, tensors, objects).
    Keep,
    /// `float`: ints become floats.
    Float,
}

/// An assignment target.
#[derive(Debug)]
pub(crate) enum Target {
    Local(usize),
    Tuple(Vec<Target>),
    Attr(CExpr, Arc<str>),
    Subscript(CExpr, CExpr),
}

/// A compiled statement with its line.
#[derive(Debug)]
pub(crate) struct CStmt {
    pub line: u32,
    pub kind: StmtKind,
}

#[derive(Debug)]
pub(crate) enum StmtKind {
    Assign(Target, CExpr),
    Expr(CExpr),
    If(CExpr, Vec<CStmt>, Vec<CStmt>),
    ForRange(Target, Vec<CExpr>, Vec<CStmt>),
    ForEach(Target, CExpr, Vec<CStmt>),
    While(CExpr, Vec<CStmt>),
    With(CExpr, Option<Target>, Vec<CStmt>),
    Return(CExpr),
    /// Message and Python exception class.
    Raise(Option<CExpr>, Arc<str>),
    Assert(CExpr, Option<CExpr>),
    Break,
    Continue,
    Pass,
}

/// A parameter: name and default.
#[derive(Debug, Clone)]
pub(crate) struct ParamInfo {
    pub name: String,
    pub default: Option<Value>,
    pub float: bool,
}

/// A compiled function or method.
#[derive(Debug)]
pub(crate) struct Function {
    pub qualname: String,
    pub file: usize,
    pub line: u32,
    pub params: Vec<ParamInfo>,
    pub slots: usize,
    pub body: Vec<CStmt>,
    /// The signature as written, for listings.
    pub signature: String,
}

/// A class: members declared in its body and its methods.
#[derive(Debug, Default)]
pub(crate) struct ClassInfo {
    pub parameters: Vec<String>,
    pub buffers: Vec<String>,
    pub constants: HashMap<String, Value>,
    pub methods: HashMap<String, usize>,
    pub method_order: Vec<String>,
}

/// A code record and its lines.
#[derive(Debug)]
pub(crate) struct FileInfo {
    pub name: String,
    pub lines: Vec<String>,
    /// (line, original Python source line) from the debug records.
    pub original: HashMap<u32, String>,
}

/// Everything compiled from an archive's code.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub functions: Vec<Function>,
    pub by_name: HashMap<String, usize>,
    pub classes: HashMap<String, ClassInfo>,
    pub files: Vec<FileInfo>,
    pub version: u64,
    /// Operators the code names that the table lacks: (name, file, line).
    pub missing: Vec<(String, usize, u32)>,
}

impl Program {
    pub(crate) fn location(&self, file: usize, line: u32) -> Box<crate::error::SourceLocation> {
        let Some(f) = self.files.get(file) else {
            return Box::default();
        };
        Box::new(crate::error::SourceLocation {
            file: f.name.clone(),
            line,
            text: f
                .lines
                .get(line.saturating_sub(1) as usize)
                .map(|l| l.trim().to_owned())
                .unwrap_or_default(),
            original: f.original.get(&line).cloned(),
        })
    }

    pub(crate) fn method(&self, class: &str, name: &str) -> Option<usize> {
        self.classes.get(class)?.methods.get(name).copied()
    }
}

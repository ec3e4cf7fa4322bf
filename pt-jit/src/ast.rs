//! The syntax tree of serialized TorchScript; every node keeps its line.

/// An expression.
#[derive(Clone, Debug)]
pub(crate) enum Expr {
    Name(String, u32),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    None,
    Attr(Box<Expr>, String, u32),
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        kwargs: Vec<(String, Expr)>,
        line: u32,
    },
    Subscript(Box<Expr>, Box<Expr>),
    /// `a:b:c` inside a subscript.
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Unary(&'static str, Box<Expr>, u32),
    Binary(&'static str, Box<Expr>, Box<Expr>, u32),
    /// `and` / `or`
    BoolOp(bool, Box<Expr>, Box<Expr>),
    IfExp(Box<Expr>, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// The dotted name `a.b.c`, if the expression is one.
    pub(crate) fn dotted(&self) -> Option<String> {
        match self {
            Expr::Name(n, _) => Some(n.clone()),
            Expr::Attr(base, n, _) => Some(format!("{}.{n}", base.dotted()?)),
            _ => None,
        }
    }
}

/// A statement.
#[derive(Clone, Debug)]
pub(crate) enum Stmt {
    /// `a, b = value` (several targets for `a = b = value`).
    Assign(Vec<Expr>, Expr, u32),
    AugAssign(Expr, &'static str, Expr, u32),
    Expr(Expr, u32),
    If(Expr, Vec<Stmt>, Vec<Stmt>, u32),
    For(Expr, Expr, Vec<Stmt>, u32),
    While(Expr, Vec<Stmt>, u32),
    With(Expr, Option<Expr>, Vec<Stmt>, u32),
    Return(Option<Expr>, u32),
    Raise(Option<Expr>, u32),
    Assert(Expr, Option<Expr>, u32),
    Break(u32),
    Continue(u32),
    Pass,
}

/// A parameter of a function.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    pub name: String,
    pub ty: Option<Expr>,
    pub default: Option<Expr>,
}

/// A `def`.
#[derive(Clone, Debug)]
pub(crate) struct FunctionDef {
    pub name: String,
    pub params: Vec<Param>,
    pub ret: Option<Expr>,
    pub body: Vec<Stmt>,
    pub line: u32,
}

/// A `class` and what its body declares.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClassDef {
    pub name: String,
    pub bases: Vec<Expr>,
    pub parameters: Vec<String>,
    pub buffers: Vec<String>,
    /// Attribute annotations in order (`weight : Tensor`).
    pub attributes: Vec<(String, Expr)>,
    /// Class constants (`in_features : Final[int] = 10`).
    pub constants: Vec<(String, Expr)>,
    pub methods: Vec<FunctionDef>,
    pub line: u32,
}

/// A code record.
#[derive(Clone, Debug, Default)]
pub(crate) struct SourceFile {
    pub classes: Vec<ClassDef>,
    pub functions: Vec<FunctionDef>,
}

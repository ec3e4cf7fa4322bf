//! Parser: tokens → [`ast`](crate::ast) for the Python subset torch writes in `code/`.

use crate::ast::{ClassDef, Expr, FunctionDef, Param, SourceFile, Stmt};
use crate::lexer::{Tok, Token, lex};

/// A parse error: line and message.
pub(crate) type ParseError = (u32, String);

type PResult<T> = Result<T, ParseError>;

/// Parses one code record.
pub(crate) fn parse(src: &str) -> PResult<SourceFile> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0 };
    p.file()
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.pos + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn line(&self) -> u32 {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(0, |t| t.line)
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_name(&self, n: &str) -> bool {
        matches!(self.peek(), Tok::Name(x) if x == n)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_name(&mut self, n: &str) -> bool {
        if self.is_name(n) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn err<T>(&self, what: &str) -> PResult<T> {
        Err((
            self.line(),
            format!("expected {what}, found {:?}", self.peek()),
        ))
    }

    fn expect_op(&mut self, op: &str) -> PResult<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            self.err(&format!("`{op}`"))
        }
    }

    fn expect(&mut self, tok: Tok, what: &str) -> PResult<()> {
        if *self.peek() == tok {
            self.pos += 1;
            Ok(())
        } else {
            self.err(what)
        }
    }

    fn name(&mut self) -> PResult<String> {
        match self.peek().clone() {
            Tok::Name(n) => {
                self.pos += 1;
                Ok(n)
            }
            _ => self.err("a name"),
        }
    }

    fn file(&mut self) -> PResult<SourceFile> {
        let mut f = SourceFile::default();
        loop {
            match self.peek() {
                Tok::Eof => return Ok(f),
                Tok::Newline => {
                    self.pos += 1;
                }
                Tok::Name(n) if n == "class" => f.classes.push(self.class()?),
                Tok::Name(n) if n == "def" => f.functions.push(self.def()?),
                Tok::Name(n) if n == "import" || n == "from" => self.skip_line(),
                _ => return self.err("`class` or `def` at the top level"),
            }
        }
    }

    fn skip_line(&mut self) {
        while !matches!(self.peek(), Tok::Newline | Tok::Eof) {
            self.pos += 1;
        }
        self.pos += 1;
    }

    fn class(&mut self) -> PResult<ClassDef> {
        let line = self.line();
        self.next();
        let mut c = ClassDef {
            name: self.name()?,
            line,
            ..ClassDef::default()
        };
        if self.eat_op("(") {
            while !self.eat_op(")") {
                c.bases.push(self.expr()?);
                self.eat_op(",");
            }
        }
        self.expect_op(":")?;
        self.expect(Tok::Newline, "a newline")?;
        self.expect(Tok::Indent, "an indented class body")?;
        while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
            if matches!(self.peek(), Tok::Newline) {
                self.pos += 1;
                continue;
            }
            if self.is_name("def") {
                c.methods.push(self.def()?);
                continue;
            }
            if self.eat_name("pass") {
                self.expect(Tok::Newline, "a newline")?;
                continue;
            }
            if self.is_name("__parameters__") || self.is_name("__buffers__") {
                let which = self.name()?;
                self.expect_op("=")?;
                let names = match self.expr()? {
                    Expr::List(items) => items
                        .into_iter()
                        .map(|e| match e {
                            Expr::Str(s) => Ok(s),
                            _ => Err((line, format!("{which} lists a non-string"))),
                        })
                        .collect::<PResult<Vec<_>>>()?,
                    _ => return self.err("a list of names"),
                };
                if which == "__parameters__" {
                    c.parameters = names;
                } else {
                    c.buffers = names;
                }
            } else if self.is_name("__annotations__") {
                // `__annotations__["0"] = Type`: an attribute whose name is not an identifier.
                self.next();
                self.expect_op("[")?;
                let Tok::Str(name) = self.next() else {
                    return self.err("an attribute name string");
                };
                self.expect_op("]")?;
                self.expect_op("=")?;
                c.attributes.push((name, self.expr()?));
            } else {
                let name = self.name()?;
                if self.eat_op(":") {
                    let ty = self.expr()?;
                    if self.eat_op("=") {
                        c.constants.push((name, self.expr()?));
                    } else {
                        c.attributes.push((name, ty));
                    }
                } else if self.eat_op("=") {
                    // Enum members and other class-level values.
                    c.constants.push((name, self.expr()?));
                } else {
                    return self.err("a class member");
                }
            }
            self.expect(Tok::Newline, "a newline")?;
        }
        self.next();
        Ok(c)
    }

    fn def(&mut self) -> PResult<FunctionDef> {
        let line = self.line();
        self.next();
        let name = self.name()?;
        self.expect_op("(")?;
        let mut params = Vec::new();
        while !self.eat_op(")") {
            // `*` separators and `*args` are not written by torch; refuse them clearly.
            let pname = self.name()?;
            let ty = if self.eat_op(":") {
                Some(self.expr()?)
            } else {
                None
            };
            let default = if self.eat_op("=") {
                Some(self.expr()?)
            } else {
                None
            };
            params.push(Param {
                name: pname,
                ty,
                default,
            });
            if !self.eat_op(",") && !self.is_op(")") {
                return self.err("`,` or `)`");
            }
        }
        let ret = if self.eat_op("->") {
            Some(self.expr()?)
        } else {
            None
        };
        self.expect_op(":")?;
        let body = self.block()?;
        Ok(FunctionDef {
            name,
            params,
            ret,
            body,
            line,
        })
    }

    fn block(&mut self) -> PResult<Vec<Stmt>> {
        if !matches!(self.peek(), Tok::Newline) {
            // `if x: return y` on one line.
            return self.simple_stmts();
        }
        self.next();
        self.expect(Tok::Indent, "an indented block")?;
        let mut body = Vec::new();
        while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
            if matches!(self.peek(), Tok::Newline) {
                self.pos += 1;
                continue;
            }
            body.extend(self.stmt()?);
        }
        self.next();
        Ok(body)
    }

    fn stmt(&mut self) -> PResult<Vec<Stmt>> {
        let line = self.line();
        let Tok::Name(n) = self.peek().clone() else {
            return self.simple_stmts();
        };
        match n.as_str() {
            "if" => {
                self.next();
                Ok(vec![self.if_rest(line)?])
            }
            "for" => {
                self.next();
                let target = self.target_list()?;
                if !self.eat_name("in") {
                    return self.err("`in`");
                }
                let iter = self.expr_list()?;
                self.expect_op(":")?;
                let body = self.block()?;
                Ok(vec![Stmt::For(target, iter, body, line)])
            }
            "while" => {
                self.next();
                let cond = self.expr()?;
                self.expect_op(":")?;
                let body = self.block()?;
                Ok(vec![Stmt::While(cond, body, line)])
            }
            "with" => {
                self.next();
                let item = self.expr()?;
                let target = if self.eat_name("as") {
                    Some(self.target_list()?)
                } else {
                    None
                };
                self.expect_op(":")?;
                let body = self.block()?;
                Ok(vec![Stmt::With(item, target, body, line)])
            }
            _ => self.simple_stmts(),
        }
    }

    fn if_rest(&mut self, line: u32) -> PResult<Stmt> {
        let cond = self.expr()?;
        self.expect_op(":")?;
        let body = self.block()?;
        let orelse = if self.is_name("elif") {
            let l = self.line();
            self.next();
            vec![self.if_rest(l)?]
        } else if self.eat_name("else") {
            self.expect_op(":")?;
            self.block()?
        } else {
            Vec::new()
        };
        Ok(Stmt::If(cond, body, orelse, line))
    }

    fn simple_stmts(&mut self) -> PResult<Vec<Stmt>> {
        let mut out = vec![self.simple_stmt()?];
        while self.eat_op(";") {
            if matches!(self.peek(), Tok::Newline) {
                break;
            }
            out.push(self.simple_stmt()?);
        }
        self.expect(Tok::Newline, "the end of the statement")?;
        Ok(out)
    }

    fn simple_stmt(&mut self) -> PResult<Stmt> {
        let line = self.line();
        if let Tok::Name(n) = self.peek().clone() {
            match n.as_str() {
                "pass" => {
                    self.next();
                    return Ok(Stmt::Pass);
                }
                "break" => {
                    self.next();
                    return Ok(Stmt::Break(line));
                }
                "continue" => {
                    self.next();
                    return Ok(Stmt::Continue(line));
                }
                "return" => {
                    self.next();
                    if matches!(self.peek(), Tok::Newline) {
                        return Ok(Stmt::Return(None, line));
                    }
                    return Ok(Stmt::Return(Some(self.expr_list()?), line));
                }
                "raise" => {
                    self.next();
                    if matches!(self.peek(), Tok::Newline) {
                        return Ok(Stmt::Raise(None, line));
                    }
                    return Ok(Stmt::Raise(Some(self.expr()?), line));
                }
                "assert" => {
                    self.next();
                    let c = self.expr()?;
                    let msg = if self.eat_op(",") {
                        Some(self.expr()?)
                    } else {
                        None
                    };
                    return Ok(Stmt::Assert(c, msg, line));
                }
                _ => {}
            }
        }
        let first = self.expr_list()?;
        if self.eat_op(":") {
            // Annotated assignment: `x : Optional[Tensor] = value`.
            let _ty = self.expr()?;
            self.expect_op("=")?;
            let value = self.expr_list()?;
            return Ok(Stmt::Assign(vec![first], value, line));
        }
        for op in ["+=", "-=", "*=", "/=", "//=", "%=", "**="] {
            if self.eat_op(op) {
                let value = self.expr()?;
                return Ok(Stmt::AugAssign(first, &op[..op.len() - 1], value, line));
            }
        }
        if self.is_op("=") {
            let mut targets = vec![first];
            let mut value;
            loop {
                self.expect_op("=")?;
                value = self.expr_list()?;
                if self.is_op("=") {
                    targets.push(value);
                } else {
                    break;
                }
            }
            return Ok(Stmt::Assign(targets, value, line));
        }
        Ok(Stmt::Expr(first, line))
    }

    /// `a, b,` as a tuple; a single item without a comma as itself.
    fn expr_list(&mut self) -> PResult<Expr> {
        let first = self.expr()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.ends_list() {
                break;
            }
            items.push(self.expr()?);
        }
        Ok(Expr::Tuple(items))
    }

    fn target_list(&mut self) -> PResult<Expr> {
        let first = self.postfix()?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(",") {
            if self.is_name("in") || self.is_op("=") || self.is_op(":") {
                break;
            }
            items.push(self.postfix()?);
        }
        Ok(Expr::Tuple(items))
    }

    fn ends_list(&self) -> bool {
        matches!(self.peek(), Tok::Newline | Tok::Eof)
            || self.is_op("=")
            || self.is_op(")")
            || self.is_op("]")
            || self.is_op(":")
    }

    fn expr(&mut self) -> PResult<Expr> {
        let e = self.or_expr()?;
        if self.is_name("if") {
            self.next();
            let cond = self.or_expr()?;
            if !self.eat_name("else") {
                return self.err("`else`");
            }
            let orelse = self.expr()?;
            return Ok(Expr::IfExp(Box::new(cond), Box::new(e), Box::new(orelse)));
        }
        Ok(e)
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        let mut e = self.and_expr()?;
        while self.eat_name("or") {
            let r = self.and_expr()?;
            e = Expr::BoolOp(false, Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut e = self.not_expr()?;
        while self.eat_name("and") {
            let r = self.not_expr()?;
            e = Expr::BoolOp(true, Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn not_expr(&mut self) -> PResult<Expr> {
        let line = self.line();
        if self.eat_name("not") {
            let e = self.not_expr()?;
            return Ok(Expr::Unary("not", Box::new(e), line));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let line = self.line();
        let e = self.bitor()?;
        let op = match self.peek() {
            Tok::Op(o @ ("==" | "!=" | "<" | "<=" | ">" | ">=")) => *o,
            Tok::Name(n) if n == "in" => "in",
            Tok::Name(n) if n == "is" => "is",
            Tok::Name(n) if n == "not" && matches!(self.peek_at(1), Tok::Name(x) if x == "in") => {
                self.next();
                "not in"
            }
            _ => return Ok(e),
        };
        self.next();
        let op = if op == "is" && self.eat_name("not") {
            "is not"
        } else {
            op
        };
        let r = self.bitor()?;
        Ok(Expr::Binary(op, Box::new(e), Box::new(r), line))
    }

    fn binary_level(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Parser) -> PResult<Expr>,
    ) -> PResult<Expr> {
        let mut e = next(self)?;
        loop {
            let line = self.line();
            let Some(op) = ops.iter().find(|o| self.is_op(o)).copied() else {
                return Ok(e);
            };
            self.next();
            let r = next(self)?;
            e = Expr::Binary(op, Box::new(e), Box::new(r), line);
        }
    }

    fn bitor(&mut self) -> PResult<Expr> {
        self.binary_level(&["|"], Parser::bitxor)
    }

    fn bitxor(&mut self) -> PResult<Expr> {
        self.binary_level(&["^"], Parser::bitand)
    }

    fn bitand(&mut self) -> PResult<Expr> {
        self.binary_level(&["&"], Parser::shift)
    }

    fn shift(&mut self) -> PResult<Expr> {
        self.binary_level(&["<<", ">>"], Parser::arith)
    }

    fn arith(&mut self) -> PResult<Expr> {
        self.binary_level(&["+", "-"], Parser::term)
    }

    fn term(&mut self) -> PResult<Expr> {
        self.binary_level(&["*", "/", "//", "%", "@"], Parser::unary)
    }

    fn unary(&mut self) -> PResult<Expr> {
        let line = self.line();
        if self.eat_op("-") {
            let e = self.unary()?;
            return Ok(match e {
                Expr::Int(i) => Expr::Int(i.wrapping_neg()),
                Expr::Float(9.223372036854776e18) => Expr::Int(i64::MIN),
                Expr::Float(f) => Expr::Float(-f),
                e => Expr::Unary("-", Box::new(e), line),
            });
        }
        if self.eat_op("+") {
            return self.unary();
        }
        if self.eat_op("~") {
            let e = self.unary()?;
            return Ok(Expr::Unary("~", Box::new(e), line));
        }
        self.power()
    }

    fn power(&mut self) -> PResult<Expr> {
        let line = self.line();
        let base = self.postfix()?;
        if self.eat_op("**") {
            let exp = self.unary()?;
            return Ok(Expr::Binary("**", Box::new(base), Box::new(exp), line));
        }
        Ok(base)
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        loop {
            let line = self.line();
            if self.eat_op(".") {
                let n = self.name()?;
                e = Expr::Attr(Box::new(e), n, line);
            } else if self.eat_op("(") {
                let mut args = Vec::new();
                let mut kwargs = Vec::new();
                while !self.eat_op(")") {
                    if let (Tok::Name(n), Tok::Op("=")) = (self.peek().clone(), self.peek_at(1)) {
                        self.pos += 2;
                        kwargs.push((n, self.expr()?));
                    } else {
                        args.push(self.expr()?);
                    }
                    if !self.eat_op(",") && !self.is_op(")") {
                        return self.err("`,` or `)` in a call");
                    }
                }
                e = Expr::Call {
                    func: Box::new(e),
                    args,
                    kwargs,
                    line,
                };
            } else if self.eat_op("[") {
                let mut items = Vec::new();
                let mut tuple = false;
                while !self.eat_op("]") {
                    items.push(self.subscript_item()?);
                    if self.eat_op(",") {
                        tuple = true;
                    } else if !self.is_op("]") {
                        return self.err("`,` or `]` in a subscript");
                    }
                }
                let index = if items.len() == 1 && !tuple {
                    items.pop().unwrap_or(Expr::None)
                } else {
                    Expr::Tuple(items)
                };
                e = Expr::Subscript(Box::new(e), Box::new(index));
            } else {
                return Ok(e);
            }
        }
    }

    fn subscript_item(&mut self) -> PResult<Expr> {
        let bound = |p: &mut Parser| -> PResult<Option<Box<Expr>>> {
            if p.is_op(":") || p.is_op("]") || p.is_op(",") {
                Ok(None)
            } else {
                Ok(Some(Box::new(p.expr()?)))
            }
        };
        let lo = bound(self)?;
        if !self.eat_op(":") {
            return lo
                .map(|b| *b)
                .ok_or_else(|| (self.line(), "empty subscript".into()));
        }
        let hi = bound(self)?;
        let step = if self.eat_op(":") { bound(self)? } else { None };
        Ok(Expr::Slice(lo, hi, step))
    }

    fn atom(&mut self) -> PResult<Expr> {
        let line = self.line();
        match self.next() {
            Tok::Int(i) => Ok(Expr::Int(i)),
            Tok::Float(f) => Ok(Expr::Float(f)),
            Tok::Str(mut s) => {
                // Adjacent literals concatenate.
                while let Tok::Str(more) = self.peek().clone() {
                    self.pos += 1;
                    s.push_str(&more);
                }
                Ok(Expr::Str(s))
            }
            Tok::Name(n) => Ok(match n.as_str() {
                "True" => Expr::Bool(true),
                "False" => Expr::Bool(false),
                "None" => Expr::None,
                _ => Expr::Name(n, line),
            }),
            Tok::Op("(") => {
                if self.eat_op(")") {
                    return Ok(Expr::Tuple(Vec::new()));
                }
                let first = self.expr()?;
                if self.eat_op(")") {
                    return Ok(first);
                }
                let mut items = vec![first];
                while self.eat_op(",") {
                    if self.is_op(")") {
                        break;
                    }
                    items.push(self.expr()?);
                }
                self.expect_op(")")?;
                Ok(Expr::Tuple(items))
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                while !self.eat_op("]") {
                    items.push(self.expr()?);
                    if !self.eat_op(",") && !self.is_op("]") {
                        return self.err("`,` or `]` in a list");
                    }
                }
                Ok(Expr::List(items))
            }
            Tok::Op("{") => {
                let mut items = Vec::new();
                while !self.eat_op("}") {
                    let k = self.expr()?;
                    self.expect_op(":")?;
                    let v = self.expr()?;
                    items.push((k, v));
                    if !self.eat_op(",") && !self.is_op("}") {
                        return self.err("`,` or `}` in a dict");
                    }
                }
                Ok(Expr::Dict(items))
            }
            other => Err((line, format!("expected an expression, found {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_module_class() {
        let src = "class Linear(Module):\n  __parameters__ = [\"weight\", \"bias\", ]\n  __buffers__ = []\n  weight : Tensor\n  in_features : Final[int] = 10\n  __annotations__[\"0\"] = __torch__.X\n  def forward(self: __torch__.Linear,\n    input: Tensor) -> Tensor:\n    _0, _1, = (input, 2)\n    if torch.eq(_1, 2):\n      pass\n    else:\n      _0 = x[:, -1]\n    return torch.linear(input, self.weight, None)\n";
        let f = parse(src).unwrap();
        let c = &f.classes[0];
        assert_eq!(c.parameters, ["weight", "bias"]);
        assert_eq!(c.constants.len(), 1);
        assert_eq!(c.attributes.len(), 2);
        assert_eq!(c.methods[0].params.len(), 2);
        assert_eq!(c.methods[0].body.len(), 3);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("def f(x: Tensor) -> Tensor:\n  return (x\n").unwrap_err();
        assert!(err.0 >= 2, "{err:?}");
    }
}

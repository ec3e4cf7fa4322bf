//! `Display` for [`Tensor`], matching PyTorch's `repr` (`torch/_tensor_str.py` with default
//! print options: precision 4, threshold 1000, edgeitems 3, linewidth 80).

use std::fmt;

use num_complex::Complex64;

use crate::dtype::DType;
use crate::ops::native::read_as;
use crate::tensor::Tensor;

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGE: usize = 3;
const LINEWIDTH: usize = 80;

/// Python's `'{:.Nf}'` of a double (`nan`, `inf`, `-inf` spelled as Python does).
fn fixed(v: f64, prec: usize) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        format!("{v:.prec$}")
    }
}

/// Python's `'{:.Ne}'`: mantissa, `e`, sign and at least two exponent digits.
fn sci(v: f64, prec: usize) -> String {
    if !v.is_finite() {
        return fixed(v, prec);
    }
    let s = format!("{v:.prec$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// PyTorch's `_Formatter` for one set of real values.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    fn for_strings(items: &[String]) -> Formatter {
        Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: items.iter().map(String::len).max().unwrap_or(0).max(1),
        }
    }

    fn for_floats(values: &[f64]) -> Formatter {
        let mut f = Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
        };
        let nz: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v != 0.0)
            .collect();
        if nz.is_empty() {
            return f;
        }
        let min = nz.iter().fold(f64::INFINITY, |a, v| a.min(v.abs()));
        let max = nz.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        f.int_mode = nz.iter().all(|v| *v == v.ceil());
        let widths = |g: &dyn Fn(f64) -> usize| nz.iter().map(|&v| g(v)).max().unwrap_or(1);
        if f.int_mode {
            if max / min > 1000.0 || max > 1.0e8 {
                f.sci_mode = true;
                f.max_width = widths(&|v| sci(v, PRECISION).len());
            } else {
                f.max_width = widths(&|v| format!("{v:.0}").len() + 1);
            }
        } else if max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4 {
            f.sci_mode = true;
            f.max_width = widths(&|v| sci(v, PRECISION).len());
        } else {
            f.max_width = widths(&|v| fixed(v, PRECISION).len());
        }
        f.max_width = f.max_width.max(1);
        f
    }

    fn format_float(&self, v: f64) -> String {
        let s = if self.sci_mode {
            sci(v, PRECISION)
        } else if self.int_mode {
            let mut s = fixed(v, 0);
            if v.is_finite() {
                s.push('.');
            }
            s
        } else {
            fixed(v, PRECISION)
        };
        self.pad(s)
    }

    fn pad(&self, s: String) -> String {
        if s.len() >= self.max_width {
            s
        } else {
            format!("{}{s}", " ".repeat(self.max_width - s.len()))
        }
    }
}

/// The elements shown (all, or the edges of every summarised dimension), row-major.
enum Shown {
    Text(Vec<String>),
    Float(Vec<f64>),
    Complex(Vec<Complex64>),
}

/// Element strings, each padded to the common width, and the width one element takes.
fn format_elements(shown: Shown) -> (Vec<String>, usize) {
    match shown {
        Shown::Text(items) => {
            let f = Formatter::for_strings(&items);
            let w = f.max_width;
            (items.into_iter().map(|s| f.pad(s)).collect(), w + 2)
        }
        Shown::Float(v) => {
            let f = Formatter::for_floats(&v);
            let w = f.max_width;
            (v.into_iter().map(|x| f.format_float(x)).collect(), w + 2)
        }
        Shown::Complex(v) => {
            let re: Vec<f64> = v.iter().map(|c| c.re).collect();
            let im: Vec<f64> = v.iter().map(|c| c.im).collect();
            let fr = Formatter::for_floats(&re);
            let fi = Formatter::for_floats(&im);
            let width = fr.max_width + 2 + fi.max_width + 1;
            let items = v
                .iter()
                .map(|c| {
                    let real = fr.format_float(c.re);
                    let imag = format!("{}j", fi.format_float(c.im));
                    let imag = imag.trim_start();
                    if imag.starts_with('+') || imag.starts_with('-') {
                        format!("{real}{imag}")
                    } else {
                        format!("{real}+{imag}")
                    }
                })
                .collect();
            (items, width)
        }
    }
}

/// The summarised data PyTorch formats: the first and last `EDGE` entries of every dimension
/// longer than `2 * EDGE` when summarising.
fn summarized(t: &Tensor, summarize: bool) -> crate::Result<(Tensor, Vec<bool>)> {
    let mut cur = t.clone();
    let mut cut = vec![false; t.dim()];
    if !summarize {
        return Ok((cur, cut));
    }
    for d in 0..t.dim() {
        let size = cur.shape()[d];
        if size > 2 * EDGE {
            let mut shape = cur.shape().to_vec();
            shape[d] = 2 * EDGE;
            let next = Tensor::empty_checked(&shape, cur.dtype(), "display")?;
            let di = d as isize;
            next.narrow(di, 0, EDGE)?.copy_(&cur.narrow(di, 0, EDGE)?)?;
            next.narrow(di, EDGE as isize, EDGE)?.copy_(&cur.narrow(
                di,
                (size - EDGE) as isize,
                EDGE,
            )?)?;
            cur = next;
            cut[d] = true;
        }
    }
    Ok((cur, cut))
}

fn shown_values(t: &Tensor) -> crate::Result<Shown> {
    let d = t.dtype();
    Ok(if d == DType::Bool {
        let v = read_as::<bool>(t, "display")?;
        Shown::Text(
            v.into_iter()
                .map(|b| if b { "True" } else { "False" }.to_string())
                .collect(),
        )
    } else if d == DType::U64 {
        Shown::Text(
            read_as::<u64>(t, "display")?
                .iter()
                .map(u64::to_string)
                .collect(),
        )
    } else if d.is_complex() {
        Shown::Complex(read_as::<Complex64>(t, "display")?)
    } else if d.is_floating_point() {
        Shown::Float(read_as::<f64>(t, "display")?)
    } else {
        Shown::Text(
            read_as::<i64>(t, "display")?
                .iter()
                .map(i64::to_string)
                .collect(),
        )
    })
}

struct Layout<'a> {
    items: &'a [String],
    shape: &'a [usize],
    cut: &'a [bool],
    element_length: usize,
}

impl Layout<'_> {
    /// Renders the block of `dim` starting at element `start`, as `_tensor_str_with_formatter`.
    fn render(&self, dim: usize, start: usize, indent: usize) -> String {
        let nd = self.shape.len();
        if nd == 0 {
            return self.items[0].clone();
        }
        let block: usize = self.shape[dim + 1..].iter().product();
        let n = self.shape[dim];
        if dim + 1 == nd {
            let mut data: Vec<&str> = Vec::with_capacity(n + 1);
            for i in 0..n {
                if self.cut[dim] && i == EDGE {
                    data.push(" ...");
                }
                data.push(&self.items[start + i]);
            }
            let per_line = (LINEWIDTH.saturating_sub(indent) / self.element_length).max(1);
            let lines: Vec<String> = data.chunks(per_line).map(|l| l.join(", ")).collect();
            let sep = format!(",\n{}", " ".repeat(indent + 1));
            return format!("[{}]", lines.join(&sep));
        }
        let mut slices = Vec::with_capacity(n + 1);
        for i in 0..n {
            if self.cut[dim] && i == EDGE {
                slices.push("...".to_string());
            }
            slices.push(self.render(dim + 1, start + i * block, indent + 1));
        }
        let sep = format!(",{}{}", "\n".repeat(nd - dim - 1), " ".repeat(indent + 1));
        format!("[{}]", slices.join(&sep))
    }
}

/// `_add_suffixes`: `, suffix` on the last line, or on a new indented line past the width.
fn add_suffixes(body: String, suffixes: &[String], indent: usize) -> String {
    let mut out = body;
    let mut last = match out.rfind('\n') {
        Some(p) => out.len() - p + 1,
        None => out.len() + 2,
    };
    for s in suffixes {
        if last + s.len() + 2 > LINEWIDTH {
            out.push_str(&format!(",\n{}{s}", " ".repeat(indent)));
            last = indent + s.len();
        } else {
            out.push_str(&format!(", {s}"));
            last += s.len() + 2;
        }
    }
    out.push(')');
    out
}

fn size_tuple(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn repr(t: &Tensor) -> crate::Result<String> {
    const PREFIX: &str = "tensor(";
    let indent = PREFIX.len();
    let d = t.dtype();
    let mut suffixes = Vec::new();
    let body = if t.numel() == 0 {
        if t.dim() != 1 {
            suffixes.push(format!("size={}", size_tuple(t.shape())));
        }
        if d != DType::F32 {
            suffixes.push(format!("dtype={d}"));
        }
        "[]".to_string()
    } else {
        if !matches!(d, DType::F32 | DType::C64 | DType::I64 | DType::Bool) {
            suffixes.push(format!("dtype={d}"));
        }
        let (data, cut) = summarized(t, t.numel() > THRESHOLD)?;
        let (items, element_length) = format_elements(shown_values(&data)?);
        Layout {
            items: &items,
            shape: data.shape(),
            cut: &cut,
            element_length,
        }
        .render(0, 0, indent)
    };
    if t.requires_grad() {
        suffixes.push("requires_grad=True".into());
    }
    Ok(add_suffixes(format!("{PREFIX}{body}"), &suffixes, indent))
}

impl fmt::Display for Tensor {
    /// PyTorch's `repr(tensor)`: `tensor([1., 2.])`, `tensor([ True, False])`,
    /// `tensor([1, 2], dtype=torch.int32)`, summarised with `...` past 1000 elements.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match repr(self) {
            Ok(s) => f.write_str(&s),
            Err(e) => write!(f, "tensor(<unprintable: {e}>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_number_formats() {
        assert_eq!(sci(1e-5, 4), "1.0000e-05");
        assert_eq!(sci(1.5e300, 4), "1.5000e+300");
        assert_eq!(sci(-123456789.0, 4), "-1.2346e+08");
        assert_eq!(sci(f64::NAN, 4), "nan");
        assert_eq!(fixed(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(fixed(-0.0, 0), "-0");
        assert_eq!(size_tuple(&[0]), "(0,)");
        assert_eq!(size_tuple(&[0, 3]), "(0, 3)");
    }

    #[test]
    fn seed_example() {
        let numbers = Tensor::arange(1, 10).unwrap();
        let evens = numbers.slice(0, Some(1), None, 2).unwrap();
        evens.mul_scalar_(2).unwrap();
        assert_eq!(
            numbers.to_string(),
            "tensor([ 1,  4,  3,  8,  5, 12,  7, 16,  9])"
        );
    }
}

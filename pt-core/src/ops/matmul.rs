//! `matmul` with PyTorch's rules for 1-D, 2-D and batched (broadcast) operands. Floating
//! dtypes go through the GEMM ([`crate::ops::linear`]; `float16` and `bfloat16` accumulate
//! in `float32`); complex and integer dtypes use a plain triple loop (integers wrap in
//! `int64`).

use num_complex::{Complex32, Complex64};

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::linear::batched_matmul;
use crate::ops::native::{Native, read_as, tensor_from_values};
use crate::ops::promote::scalar_type_name;
use crate::tensor::{Tensor, broadcast_shapes};

/// `count` row-major matrix products of (n×k) by (k×p), `a` and `b` holding the operands
/// back to back.
fn batched<T: Native + Default>(
    a: &[T],
    b: &[T],
    count: usize,
    (n, k, p): (usize, usize, usize),
    mm: impl Fn(&[T], &[T], &mut [T]),
) -> Vec<T> {
    let mut out = vec![T::default(); count * n * p];
    if n * p == 0 {
        return out;
    }
    for (i, c) in out.chunks_exact_mut(n * p).enumerate() {
        mm(
            &a[i * n * k..(i + 1) * n * k],
            &b[i * k * p..(i + 1) * k * p],
            c,
        );
    }
    out
}

/// A naive product accumulating in `Acc`.
fn naive<
    T: Native,
    Acc: Native + Default + std::ops::Add<Output = Acc> + std::ops::Mul<Output = Acc>,
>(
    n: usize,
    k: usize,
    p: usize,
) -> impl Fn(&[T], &[T], &mut [T]) {
    move |a, b, c| {
        for i in 0..n {
            for j in 0..p {
                let mut acc = Acc::default();
                for l in 0..k {
                    acc = acc + a[i * k + l].cast::<Acc>() * b[l * p + j].cast::<Acc>();
                }
                c[i * p + j] = acc.cast::<T>();
            }
        }
    }
}

/// Integer product with wrapping arithmetic.
fn naive_int<T: Native>(n: usize, k: usize, p: usize) -> impl Fn(&[T], &[T], &mut [T]) {
    move |a, b, c| {
        for i in 0..n {
            for j in 0..p {
                let mut acc = 0i64;
                for l in 0..k {
                    acc =
                        acc.wrapping_add(a[i * k + l].to_i64().wrapping_mul(b[l * p + j].to_i64()));
                }
                c[i * p + j] = T::from_i64(acc);
            }
        }
    }
}

/// Multiplies contiguous batches `a` (count×n×k) and `b` (count×k×p) of one dtype.
fn multiply(a: &Tensor, b: &Tensor, count: usize, dims: (usize, usize, usize)) -> Result<Tensor> {
    let (n, k, p) = dims;
    let shape = [count, n, p];
    macro_rules! run {
        ($t:ty, $mm:expr) => {{
            let x = read_as::<$t>(a, "matmul")?;
            let y = read_as::<$t>(b, "matmul")?;
            let out = batched::<$t>(&x, &y, count, dims, $mm);
            tensor_from_values(&out, &shape, <$t>::DTYPE, "matmul")
        }};
    }
    match a.dtype() {
        DType::C64 => run!(Complex32, naive::<Complex32, Complex64>(n, k, p)),
        DType::C128 => run!(Complex64, naive::<Complex64, Complex64>(n, k, p)),
        DType::I64 => run!(i64, naive_int::<i64>(n, k, p)),
        DType::I32 => run!(i32, naive_int::<i32>(n, k, p)),
        DType::I16 => run!(i16, naive_int::<i16>(n, k, p)),
        DType::I8 => run!(i8, naive_int::<i8>(n, k, p)),
        DType::U8 => run!(u8, naive_int::<u8>(n, k, p)),
        d => Err(Error::DType {
            op: "matmul",
            dtype: d,
            detail: format!(": \"addmm\" not implemented for '{}'", scalar_type_name(d)),
        }),
    }
}

impl Tensor {
    /// Matrix product with PyTorch's `matmul` rules: 1-D·1-D is a dot product (0-dim result);
    /// 2-D×2-D a matrix product; a 1-D left (right) operand is treated as a row (column) and
    /// that dimension is dropped from the result; with 3 or more dimensions the leading
    /// (batch) dimensions broadcast.
    ///
    /// # Errors
    /// [`Error::Argument`] for 0-dim operands; [`Error::DType`] if the dtypes differ or are
    /// bool/float8 (as PyTorch); [`Error::Shape`] if the inner sizes disagree or the batch
    /// dimensions do not broadcast.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        let (da, db) = (self.dim(), other.dim());
        if da == 0 || db == 0 {
            return Err(Error::argument(
                "matmul",
                format!(
                    "both arguments to matmul need to be at least 1D, but they are {da}D and {db}D"
                ),
            ));
        }
        if self.dtype() != other.dtype() {
            return Err(Error::DType {
                op: "matmul",
                dtype: other.dtype(),
                detail: format!(
                    ": expected both operands to have the same dtype, but got {} and {}",
                    scalar_type_name(self.dtype()),
                    scalar_type_name(other.dtype())
                ),
            });
        }
        if da == 1 && db == 1 && self.shape()[0] != other.shape()[0] {
            return Err(Error::shape(
                "matmul",
                format!(
                    "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
                    self.shape()[0],
                    other.shape()[0],
                    self.shape()[0],
                    other.shape()[0]
                ),
            ));
        }
        // Promote 1-D operands to matrices; remember which dimensions to drop afterwards.
        let a = if da == 1 {
            self.unsqueeze(0)?
        } else {
            self.clone()
        };
        let b = if db == 1 {
            other.unsqueeze(1)?
        } else {
            other.clone()
        };
        let (n, k) = (a.shape()[a.dim() - 2], a.shape()[a.dim() - 1]);
        let (k2, p) = (b.shape()[b.dim() - 2], b.shape()[b.dim() - 1]);
        if k != k2 {
            return Err(Error::shape(
                "matmul",
                format!("mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})"),
            ));
        }
        let batch = broadcast_shapes(
            "matmul",
            &a.shape()[..a.dim() - 2],
            &b.shape()[..b.dim() - 2],
        )?;
        let count: usize = batch.iter().product();
        let full = |t: &Tensor, r: usize, c: usize| -> Result<Tensor> {
            let mut s = batch.clone();
            s.extend([r, c]);
            t.broadcast_to(&s)
        };
        let a3 = full(&a, n, k)?;
        let b3 = full(&b, k, p)?;
        let out = if a.dtype().is_floating_point() {
            batched_matmul(&a3, &b3, &batch, (n, k, p))?
        } else {
            multiply(&a3, &b3, count, (n, k, p))?
        };
        let mut shape = batch.clone();
        if da > 1 {
            shape.push(n);
        }
        if db > 1 {
            shape.push(p);
        }
        let dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
        out.view(&dims)
    }

    /// Matrix product of two 2-D tensors (`torch.mm`).
    ///
    /// # Errors
    /// [`Error::Argument`] unless both are 2-D; otherwise as [`Tensor::matmul`].
    pub fn mm(&self, other: &Tensor) -> Result<Tensor> {
        if self.dim() != 2 || other.dim() != 2 {
            return Err(Error::argument(
                "mm",
                format!(
                    "expected 2D tensors, got {}D and {}D",
                    self.dim(),
                    other.dim()
                ),
            ));
        }
        self.matmul(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ar(n: i64, shape: &[isize]) -> Tensor {
        Tensor::arange(0, n).unwrap().view(shape).unwrap()
    }

    #[test]
    fn shapes_follow_pytorch() {
        let f = |t: &Tensor| t.to_dtype(DType::F32).unwrap();
        let v = f(&ar(3, &[3]));
        let m = f(&ar(6, &[2, 3]));
        assert_eq!(v.matmul(&v).unwrap().shape(), &[] as &[usize]);
        assert_eq!(v.matmul(&v).unwrap().item::<f32>().unwrap(), 5.0);
        assert_eq!(m.matmul(&v).unwrap().to_vec::<f32>().unwrap(), [5.0, 14.0]);
        let mt = m.t().unwrap();
        assert_eq!(
            mt.matmul(&Tensor::ones(&[2], DType::F32))
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            [3.0, 5.0, 7.0]
        );
        assert_eq!(
            Tensor::ones(&[2], DType::F32)
                .matmul(&m)
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            [3.0, 5.0, 7.0]
        );
        let p = m.matmul(&mt).unwrap();
        assert_eq!(p.to_vec::<f32>().unwrap(), [5.0, 14.0, 14.0, 50.0]);
        let batch = f(&ar(24, &[2, 1, 3, 4]));
        let rhs = f(&ar(20, &[5, 4, 1]));
        assert_eq!(batch.matmul(&rhs).unwrap().shape(), &[2, 5, 3, 1]);
        assert!(m.matmul(&m).is_err());
        assert!(v.matmul(&f(&ar(4, &[4]))).is_err());
        assert!(m.matmul(&ar(6, &[3, 2])).is_err());
        assert!(Tensor::scalar(1.0f32).matmul(&v).is_err());
    }

    #[test]
    fn dtypes() {
        let i = ar(4, &[2, 2]);
        assert_eq!(
            i.matmul(&i).unwrap().to_vec::<i64>().unwrap(),
            [2, 3, 6, 11]
        );
        let d = i.to_dtype(DType::F64).unwrap();
        assert_eq!(
            d.matmul(&d).unwrap().to_vec::<f64>().unwrap(),
            [2.0, 3.0, 6.0, 11.0]
        );
        let h = i.to_dtype(DType::F16).unwrap();
        assert_eq!(h.matmul(&h).unwrap().dtype(), DType::F16);
        let b = Tensor::from_slice_1d(&[true]);
        assert!(b.matmul(&b).is_err());
        // Batched with broadcasting against a naive reference.
        let a = ar(12, &[3, 2, 2]).to_dtype(DType::F64).unwrap();
        let r = a.matmul(&d).unwrap();
        for bi in 0..3 {
            let s = a.select(0, bi).unwrap().matmul(&d).unwrap();
            assert!(r.select(0, bi).unwrap().equal(&s));
        }
        let e = Tensor::zeros(&[0, 3], DType::F32)
            .matmul(&Tensor::zeros(&[3, 2], DType::F32))
            .unwrap();
        assert_eq!(e.shape(), &[0, 2]);
        let z = Tensor::zeros(&[2, 0], DType::F32)
            .matmul(&Tensor::zeros(&[0, 2], DType::F32))
            .unwrap();
        assert_eq!(z.to_vec::<f32>().unwrap(), [0.0; 4]);
    }
}

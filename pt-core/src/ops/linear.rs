//! `linear`, `addmm` and the floating-point batched matrix product behind `matmul`/`bmm`,
//! all through the GEMM with strided operands (a transposed weight is never copied).

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::kernels::gemm::{MatRef, gemm};
use crate::kernels::threads::{for_each_chunk, threads_for};
use crate::kernels::{Input, Real, finish, with_real};
use crate::tensor::Tensor;

/// A 2-D strided operand of an [`Input`] whose last two dimensions are `rows × cols`,
/// starting `extra` elements after the input's offset.
fn mat<'a, T: Real>(x: &'a Input<'_, T>, extra: usize, rows: usize, cols: usize) -> MatRef<'a, T> {
    let nd = x.stride.len();
    MatRef {
        data: x.data(),
        offset: x.offset + extra,
        rows,
        cols,
        row_stride: x.stride[nd - 2],
        col_stride: x.stride[nd - 1],
    }
}

fn check_float(op: &'static str, ts: &[&Tensor]) -> Result<DType> {
    let d = ts[0].dtype();
    for t in &ts[1..] {
        if t.dtype() != d {
            return Err(Error::DType {
                op,
                dtype: t.dtype(),
                detail: format!(
                    ": expected m1 and m2 to have the same dtype, but got: {} != {}",
                    crate::ops::promote::scalar_type_name(d),
                    crate::ops::promote::scalar_type_name(t.dtype())
                ),
            });
        }
    }
    Ok(d)
}

/// `x Wᵀ + b` with `x` `(rows, in)`, `w` `(out, in)`.
fn linear_kernel<T: Real>(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    out_shape: &[usize],
    (rows, in_f, out_f): (usize, usize, usize),
) -> Result<Tensor> {
    const OP: &str = "linear";
    let xi = Input::<T>::of(x, false, OP)?;
    let wi = Input::<T>::of_distinct(w, &[x], true, OP)?;
    let (mut out, accumulate) = match b {
        Some(b) => {
            let bi = Input::<T>::of_distinct(b, &[x, w], false, OP)?;
            let bs = bi.contiguous(out_f);
            let mut out = Vec::with_capacity(rows * out_f);
            for _ in 0..rows {
                out.extend_from_slice(bs);
            }
            (out, true)
        }
        None => (vec![T::ZERO; rows * out_f], false),
    };
    let wm = MatRef {
        data: wi.data(),
        offset: wi.offset,
        rows: out_f,
        cols: in_f,
        row_stride: wi.stride[0],
        col_stride: wi.stride[1],
    };
    gemm(
        &mut out,
        out_f,
        accumulate,
        MatRef::row_major(xi.data(), xi.offset, rows, in_f),
        wm.t(),
        threads_for(rows * in_f * out_f),
    );
    drop((xi, wi));
    finish(out, out_shape, x.dtype())
}

/// `count` products of `(n × k)` by `(k × p)`: `a` and `b` are already broadcast to
/// `batch + [n, k]` and `batch + [k, p]` (stride-0 batch dimensions cost nothing).
pub(crate) fn batched_matmul(
    a: &Tensor,
    b: &Tensor,
    batch: &[usize],
    (n, k, p): (usize, usize, usize),
) -> Result<Tensor> {
    let mut shape = batch.to_vec();
    shape.extend([n, p]);
    with_real!(a.dtype(), "matmul", |T| batched_kernel::<T>(
        a,
        b,
        batch,
        (n, k, p),
        &shape
    ))
}

fn batched_kernel<T: Real>(
    a: &Tensor,
    b: &Tensor,
    batch: &[usize],
    (n, k, p): (usize, usize, usize),
    shape: &[usize],
) -> Result<Tensor> {
    const OP: &str = "matmul";
    let count: usize = batch.iter().product();
    let ai = Input::<T>::of(a, true, OP)?;
    let bi = Input::<T>::of_distinct(b, &[a], true, OP)?;
    // Element offsets of each batch's matrices, in row-major batch order.
    let nb = batch.len();
    let mut offsets = Vec::with_capacity(count);
    let mut idx = vec![0usize; nb];
    for _ in 0..count {
        let (mut oa, mut ob) = (0, 0);
        for (d, &i) in idx.iter().enumerate() {
            oa += i * ai.stride[d];
            ob += i * bi.stride[d];
        }
        offsets.push((oa, ob));
        for d in (0..nb).rev() {
            idx[d] += 1;
            if idx[d] < batch[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let mut out = vec![T::ZERO; count * n * p];
    let per = n * k * p;
    if n * p > 0 {
        let one = |i: usize, c: &mut [T], threads: usize| {
            let (oa, ob) = offsets[i];
            gemm(c, p, false, mat(&ai, oa, n, k), mat(&bi, ob, k, p), threads);
        };
        if count > 1 && per < (1 << 21) {
            // Many small products: one per task, each on one thread.
            for_each_chunk(&mut out, n * p, count * per, |i, c| one(i, c, 1));
        } else {
            let threads = threads_for(per);
            for (i, c) in out.chunks_mut(n * p).enumerate() {
                one(i, c, threads);
            }
        }
    }
    drop((ai, bi));
    finish(out, shape, a.dtype())
}

fn addmm_kernel<T: Real>(
    input: &Tensor,
    m1: &Tensor,
    m2: &Tensor,
    (n, k, p): (usize, usize, usize),
) -> Result<Tensor> {
    const OP: &str = "addmm";
    let base = input.broadcast_to(&[n, p])?;
    let mut out: Vec<T> = crate::ops::native::read_as::<T>(&base, OP)?;
    let ai = Input::<T>::of(m1, true, OP)?;
    let bi = Input::<T>::of_distinct(m2, &[m1], true, OP)?;
    gemm(
        &mut out,
        p,
        true,
        mat(&ai, 0, n, k),
        mat(&bi, 0, k, p),
        threads_for(n * k * p),
    );
    drop((ai, bi));
    finish(out, &[n, p], m1.dtype())
}

impl Tensor {
    /// `self · weightᵀ + bias` over the last dimension (`F.linear`): `self` is `(…, in)`,
    /// `weight` `(out, in)` (read in place, whatever its strides), `bias` `(out,)`.
    /// Floating dtypes only; f16/bf16 accumulate in f32.
    ///
    /// # Errors
    /// [`Error::Shape`] if the sizes disagree; [`Error::DType`] for mixed or non-floating
    /// dtypes.
    pub fn linear(&self, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        const OP: &str = "linear";
        let mut ts = vec![self, weight];
        ts.extend(bias);
        let dtype = check_float(OP, &ts)?;
        let [out_f, in_f] = weight.shape()[..] else {
            return Err(Error::shape(
                OP,
                format!("weight must be 2-D (out, in), got {:?}", weight.shape()),
            ));
        };
        if self.dim() == 0 || self.shape()[self.dim() - 1] != in_f {
            return Err(Error::shape(
                OP,
                format!(
                    "mat1 and mat2 shapes cannot be multiplied (input {:?}, weight {:?})",
                    self.shape(),
                    weight.shape()
                ),
            ));
        }
        if let Some(b) = bias
            && b.shape() != [out_f]
        {
            return Err(Error::shape(
                OP,
                format!("bias {:?} does not match {out_f} outputs", b.shape()),
            ));
        }
        let rows = self
            .numel()
            .checked_div(in_f)
            .unwrap_or_else(|| self.shape()[..self.dim() - 1].iter().product());
        let mut shape = self.shape().to_vec();
        *shape.last_mut().unwrap_or(&mut 0) = out_f;
        with_real!(dtype, OP, |T| linear_kernel::<T>(
            self,
            weight,
            bias,
            &shape,
            (rows, in_f, out_f)
        ))
    }

    /// `self + mat1 · mat2` (`torch.addmm` with `beta = alpha = 1`): `mat1` `(n, k)`,
    /// `mat2` `(k, p)`, `self` broadcastable to `(n, p)`.
    ///
    /// # Errors
    /// [`Error::Shape`] for mismatched sizes; [`Error::DType`] for mixed or non-floating
    /// dtypes.
    pub fn addmm(&self, mat1: &Tensor, mat2: &Tensor) -> Result<Tensor> {
        const OP: &str = "addmm";
        let dtype = check_float(OP, &[self, mat1, mat2])?;
        let ([n, k], [k2, p]) = (mat1.shape(), mat2.shape()) else {
            return Err(Error::shape(
                OP,
                format!(
                    "mat1 and mat2 must be 2-D, got {:?} and {:?}",
                    mat1.shape(),
                    mat2.shape()
                ),
            ));
        };
        let (n, k, k2, p) = (*n, *k, *k2, *p);
        if k != k2 {
            return Err(Error::shape(
                OP,
                format!("mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{p})"),
            ));
        }
        with_real!(dtype, OP, |T| addmm_kernel::<T>(
            self,
            mat1,
            mat2,
            (n, k, p)
        ))
    }

    /// Batched matrix product of two 3-D tensors with equal batch sizes (`torch.bmm`).
    ///
    /// # Errors
    /// [`Error::Shape`] unless both are 3-D with equal batch and inner sizes;
    /// [`Error::DType`] as [`Tensor::matmul`].
    pub fn bmm(&self, other: &Tensor) -> Result<Tensor> {
        if self.dim() != 3 || other.dim() != 3 || self.shape()[0] != other.shape()[0] {
            return Err(Error::shape(
                "bmm",
                format!(
                    "expected two 3-D tensors with the same batch size, got {:?} and {:?}",
                    self.shape(),
                    other.shape()
                ),
            ));
        }
        self.matmul(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_reads_transposed_weights_in_place() {
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
        let wt = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]).unwrap();
        let w = wt.t().unwrap();
        let b = Tensor::from_slice_1d(&[10.0f32, 20.0]);
        let y = x.linear(&w, Some(&b)).unwrap();
        assert_eq!(y.to_vec::<f32>().unwrap(), [14.0, 25.0, 20.0, 31.0]);
        let h = x.to_dtype(DType::BF16).unwrap();
        let yh = h.linear(&w.to_dtype(DType::BF16).unwrap(), None).unwrap();
        assert_eq!(yh.dtype(), DType::BF16);
        assert!(x.linear(&w.to_dtype(DType::F64).unwrap(), None).is_err());
        let i = Tensor::arange(0, 4).unwrap().view(&[2, 2]).unwrap();
        assert!(i.linear(&i, None).is_err());
        let e = Tensor::zeros(&[0, 3], DType::F32).linear(&w, None).unwrap();
        assert_eq!(e.shape(), &[0, 2]);
        let a = Tensor::ones(&[2], DType::F32)
            .addmm(&x, &wt)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(a, [5.0, 6.0, 11.0, 12.0]);
        let s = Tensor::ones(&[4, 3, 5], DType::F64);
        let r = s.bmm(&Tensor::ones(&[4, 5, 2], DType::F64)).unwrap();
        assert_eq!(r.shape(), &[4, 3, 2]);
        assert!(r.to_vec::<f64>().unwrap().iter().all(|&v| v == 5.0));
    }

    #[test]
    fn zero_inner_size_gives_bias_or_zeros() {
        let x = Tensor::zeros(&[2, 0], DType::F32);
        let w = Tensor::zeros(&[3, 0], DType::F32);
        let b = Tensor::from_slice_1d(&[1.0f32, 2.0, 3.0]);
        let y = x.linear(&w, Some(&b)).unwrap();
        assert_eq!(y.to_vec::<f32>().unwrap(), [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    }
}

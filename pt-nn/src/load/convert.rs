//! Element-type conversion for loading (what PyTorch's `param.copy_(input)` does), done
//! up front so that a failed load changes nothing.

use pt_core::{Complex32, Complex64, DType, Tensor, bf16, f16};

/// Elements read out of a tensor in a type wide enough for every conversion.
enum Elems {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Complex(Vec<Complex64>),
}

fn read(t: &Tensor) -> Result<Elems, String> {
    let e = |e: pt_core::Error| e.to_string();
    Ok(match t.dtype() {
        DType::F64 => Elems::Float(t.to_vec::<f64>().map_err(e)?),
        DType::F32 => Elems::Float(
            t.to_vec::<f32>()
                .map_err(e)?
                .into_iter()
                .map(f64::from)
                .collect(),
        ),
        DType::F16 => Elems::Float(
            t.to_vec::<f16>()
                .map_err(e)?
                .into_iter()
                .map(f64::from)
                .collect(),
        ),
        DType::BF16 => Elems::Float(
            t.to_vec::<bf16>()
                .map_err(e)?
                .into_iter()
                .map(f64::from)
                .collect(),
        ),
        DType::I64 => Elems::Int(t.to_vec::<i64>().map_err(e)?),
        DType::I32 => Elems::Int(
            t.to_vec::<i32>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        DType::I16 => Elems::Int(
            t.to_vec::<i16>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        DType::I8 => Elems::Int(
            t.to_vec::<i8>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        DType::U8 => Elems::Int(
            t.to_vec::<u8>()
                .map_err(e)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        DType::Bool => Elems::Bool(t.to_vec::<bool>().map_err(e)?),
        DType::C64 => Elems::Complex(
            t.to_vec::<Complex32>()
                .map_err(e)?
                .into_iter()
                .map(|c| Complex64::new(f64::from(c.re), f64::from(c.im)))
                .collect(),
        ),
        DType::C128 => Elems::Complex(t.to_vec::<Complex64>().map_err(e)?),
        other => return Err(format!("copying from {} is not supported", other.name())),
    })
}

impl Elems {
    fn floats(self) -> Vec<f64> {
        match self {
            Elems::Float(v) => v,
            #[allow(clippy::cast_precision_loss)] // PyTorch rounds the same way.
            Elems::Int(v) => v.into_iter().map(|x| x as f64).collect(),
            Elems::Bool(v) => v.into_iter().map(|b| f64::from(u8::from(b))).collect(),
            Elems::Complex(v) => v.into_iter().map(|c| c.re).collect(),
        }
    }

    fn ints(self) -> Vec<i64> {
        match self {
            Elems::Int(v) => v,
            #[allow(clippy::cast_possible_truncation)] // C-style truncation, as PyTorch.
            Elems::Float(v) => v.into_iter().map(|x| x as i64).collect(),
            Elems::Bool(v) => v.into_iter().map(i64::from).collect(),
            #[allow(clippy::cast_possible_truncation)]
            Elems::Complex(v) => v.into_iter().map(|c| c.re as i64).collect(),
        }
    }

    fn bools(self) -> Vec<bool> {
        match self {
            Elems::Bool(v) => v,
            Elems::Int(v) => v.into_iter().map(|x| x != 0).collect(),
            Elems::Float(v) => v.into_iter().map(|x| x != 0.0).collect(),
            Elems::Complex(v) => v.into_iter().map(|c| c.re != 0.0 || c.im != 0.0).collect(),
        }
    }

    fn complex(self) -> Vec<Complex64> {
        match self {
            Elems::Complex(v) => v,
            other => other
                .floats()
                .into_iter()
                .map(|x| Complex64::new(x, 0.0))
                .collect(),
        }
    }
}

/// A new contiguous tensor holding `src`'s elements as `dtype` (same shape).
///
/// # Errors
/// A message for dtypes that cannot be converted (raw types such as uint16 or float8 to
/// a different type).
#[allow(clippy::cast_possible_truncation)] // Narrowing wraps/rounds like PyTorch's casts.
pub(crate) fn convert(src: &Tensor, dtype: DType) -> Result<Tensor, String> {
    let shape = src.shape().to_vec();
    if src.dtype() == dtype {
        return Tensor::from_raw_bytes(&src.to_contiguous_bytes(), dtype, &shape)
            .map_err(|e| e.to_string());
    }
    let elems = read(src)?;
    let made = match dtype {
        DType::F64 => Tensor::from_vec(elems.floats(), &shape),
        DType::F32 => Tensor::from_vec(
            elems.floats().into_iter().map(|x| x as f32).collect(),
            &shape,
        ),
        DType::F16 => Tensor::from_vec(
            elems.floats().into_iter().map(f16::from_f64).collect(),
            &shape,
        ),
        DType::BF16 => Tensor::from_vec(
            elems.floats().into_iter().map(bf16::from_f64).collect(),
            &shape,
        ),
        DType::I64 => Tensor::from_vec(elems.ints(), &shape),
        DType::I32 => {
            Tensor::from_vec(elems.ints().into_iter().map(|x| x as i32).collect(), &shape)
        }
        DType::I16 => {
            Tensor::from_vec(elems.ints().into_iter().map(|x| x as i16).collect(), &shape)
        }
        DType::I8 => Tensor::from_vec(elems.ints().into_iter().map(|x| x as i8).collect(), &shape),
        DType::U8 => Tensor::from_vec(elems.ints().into_iter().map(|x| x as u8).collect(), &shape),
        DType::Bool => Tensor::from_vec(elems.bools(), &shape),
        DType::C128 => Tensor::from_vec(elems.complex(), &shape),
        DType::C64 => Tensor::from_vec(
            elems
                .complex()
                .into_iter()
                .map(|c| Complex32::new(c.re as f32, c.im as f32))
                .collect(),
            &shape,
        ),
        other => return Err(format!("copying into {} is not supported", other.name())),
    };
    made.map_err(|e| e.to_string())
}

/// Writes `src`'s elements (same dtype and element count) into `dst`'s storage through
/// `dst`'s layout, so every view of that storage sees them.
pub(crate) fn write_into(dst: &Tensor, src: &Tensor) {
    debug_assert_eq!(dst.dtype(), src.dtype());
    debug_assert_eq!(dst.numel(), src.numel());
    // Read first, then lock for writing: src may share dst's storage.
    let bytes = src.to_contiguous_bytes();
    let es = dst.dtype().size();
    let mut guard = dst.storage().write();
    let mut i = 0;
    dst.for_each_storage_index(|idx| {
        if let (Some(d), Some(s)) = (
            guard.get_mut(idx * es..(idx + 1) * es),
            bytes.get(i * es..(i + 1) * es),
        ) {
            d.copy_from_slice(s);
        }
        i += 1;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_like_copy() {
        let t = Tensor::from_slice_1d(&[1.5f64, -2.7]);
        let f = convert(&t, DType::F32).unwrap();
        assert_eq!(f.to_vec::<f32>().unwrap(), vec![1.5, -2.7]);
        let i = convert(&t, DType::I64).unwrap();
        assert_eq!(i.to_vec::<i64>().unwrap(), vec![1, -2]);
        let b = convert(&Tensor::scalar(3i64), DType::F32).unwrap();
        assert_eq!(b.to_vec::<f32>().unwrap(), vec![3.0]);
        let raw = Tensor::from_raw_bytes(&[0, 1], DType::U16, &[1]).unwrap();
        assert!(convert(&raw, DType::F32).is_err());
        assert!(convert(&raw, DType::U16).is_ok());
    }

    #[test]
    fn writes_through_strided_views() {
        let dst = Tensor::from_vec(vec![0f32; 4], &[2, 2]).unwrap();
        let tv = dst.with_layout("t", vec![2, 2], vec![1, 2], 0).unwrap();
        write_into(
            &tv,
            &Tensor::from_vec(vec![1f32, 2., 3., 4.], &[2, 2]).unwrap(),
        );
        assert_eq!(dst.to_vec::<f32>().unwrap(), vec![1., 3., 2., 4.]);
        // Source sharing the destination's storage.
        write_into(&dst, &tv);
        assert_eq!(dst.to_vec::<f32>().unwrap(), vec![1., 2., 3., 4.]);
    }
}

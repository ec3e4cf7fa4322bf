//! Runs a slice loop compiled for AVX2+FMA when the CPU has them (chosen once per call),
//! else for the baseline target. The loops are plain Rust the compiler vectorises; the
//! wider registers and `round`/`fma` instructions are what the AVX2 copy adds.

/// Calls `f()` compiled with AVX2 and FMA enabled when available.
#[inline(always)]
pub(crate) fn dispatch<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only
            // requirement of calling a function compiled with those target features.
            return unsafe { with_avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

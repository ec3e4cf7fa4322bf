//! [`Embedding`].

use pt_core::{Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::module::Forward;
use crate::parameter::Parameter;

/// A lookup table of `num_embeddings` vectors of size `embedding_dim` (`nn.Embedding`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Embedding::describe")]
pub struct Embedding {
    /// `(num_embeddings, embedding_dim)`.
    pub weight: Parameter,
    /// Number of rows.
    #[module(skip)]
    pub num_embeddings: usize,
    /// Size of each row.
    #[module(skip)]
    pub embedding_dim: usize,
    /// A row initialised to zeros (and, in PyTorch, not trained).
    #[module(skip)]
    pub padding_idx: Option<usize>,
    #[module(training)]
    training: bool,
}

impl Embedding {
    /// A float32 table drawn from `N(0, 1)`, with row `padding_idx` zeroed.
    ///
    /// # Errors
    /// [`Error::Argument`] if `padding_idx` is not below `num_embeddings`.
    pub fn new(
        num_embeddings: usize,
        embedding_dim: usize,
        padding_idx: Option<usize>,
        generator: &mut Generator,
    ) -> Result<Embedding> {
        let weight = init::standard_normal(&[num_embeddings, embedding_dim], generator);
        if let Some(p) = padding_idx {
            if p >= num_embeddings {
                return Err(Error::argument(
                    "Embedding",
                    format!("padding_idx {p} must be below num_embeddings {num_embeddings}"),
                ));
            }
            weight.select(0, p as isize)?.zero_()?;
        }
        Ok(Embedding {
            weight: Parameter::new(weight),
            num_embeddings,
            embedding_dim,
            padding_idx,
            training: true,
        })
    }

    fn describe(&self) -> String {
        let mut s = format!("{}, {}", self.num_embeddings, self.embedding_dim);
        if let Some(p) = self.padding_idx {
            s += &format!(", padding_idx={p}");
        }
        s
    }
}

impl Forward for Embedding {
    /// Looks up integer ids of any shape; the result has one more dimension.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        functional::embedding(input, &self.weight)
    }
}

//! The product-independent engine.

pub mod pgdump;

//! The product-independent engine: findings, the rule catalogue, report printers,
//! database and dump sources, hashing and the external sort the streaming checks use.

pub mod archive;
pub mod escape;
pub mod extsort;
pub mod finding;
pub mod hash;
pub mod io;
pub mod manifest;
pub use repocheck_pgdump as pgdump;
pub mod plan;
pub mod product;
pub mod report;
pub mod rules;
pub mod sink;
pub mod spool;
pub mod tables;

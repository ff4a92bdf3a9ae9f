//! The product-independent engine: findings, the rule catalogue, report printers,
//! database and dump sources, hashing and the external sort the streaming checks use.

pub mod finding;
pub mod product;
pub mod pgdump;
pub mod report;
pub mod rules;
pub mod sink;
pub mod extsort;
pub mod hash;
pub mod tables;
pub mod archive;
pub mod io;
pub mod manifest;
pub mod plan;

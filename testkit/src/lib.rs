//! Test support: throwaway PostgreSQL servers and product fixtures shaped like the real
//! products. Used by the tests and the benchmark harness; not part of the tool.

pub mod backups;
pub mod fiorano;
pub mod fossology;
pub mod js7;
pub mod postgres;

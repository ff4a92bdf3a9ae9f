//! repocheck: verifies installations whose state is split between a filesystem
//! repository and database metadata or journals.
//!
//! The engine (`engine`) knows nothing of products: findings, the rule catalogue, report
//! printers, database and dump sources, hashing, external sorting. Each product folder
//! uses it to check one kind of installation. The binary is a thin layer over `cli`.

pub mod cli;
pub mod connectware;
pub mod engine;
pub mod fiorano;
pub mod fossology;
pub mod hubble;
pub mod js7;
pub mod products;

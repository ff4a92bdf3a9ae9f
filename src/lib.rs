//! repocheck: verifies installations whose state is split between a filesystem
//! repository and database metadata or journals.

pub mod engine;
#[doc(hidden)]
pub mod testkit;

//! `repocheck check <product> …`

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::{CheckCmd, CheckProduct};
use crate::engine::tables::DbSource;

pub fn run(cmd: CheckCmd) -> Result<ExitCode> {
    let Some(product) = cmd.product else {
        bail!("name a product to check (fossology), see repocheck check --help");
    };
    let catalogue = cmd.out.catalogue()?;
    match product {
        CheckProduct::Fossology(a) => {
            let opts = crate::fossology::CheckOptions {
                db: DbSource::parse(&a.db),
                db_name: a.db_name,
                repo: a.repo,
                conf: a.conf,
                level: a.level,
                range: a.range,
                host: a.host,
            };
            cmd.out.run(catalogue, |sink| crate::fossology::check(&opts, sink))
        }
    }
}

//! `repocheck check <product> …` and `repocheck check --site <site.toml>`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::{CheckCmd, CheckProduct};
use crate::engine::sink::Sink;
use crate::engine::tables::DbSource;

pub fn run(cmd: CheckCmd) -> Result<ExitCode> {
    if let Some(site) = &cmd.site {
        if cmd.product.is_some() {
            bail!("--site names every target itself: give either --site or a product");
        }
        return super::site::run(site, &cmd.out);
    }
    let Some(product) = cmd.product else {
        bail!("name a product to check (fossology, js7, fiorano, connectware, hubble), or --site <site.toml>; see repocheck check --help");
    };
    let catalogue = cmd.out.catalogue()?;
    cmd.out.run(catalogue, |sink| run_product(product, sink))
}

/// Runs one product's check into `sink`.
pub fn run_product(product: CheckProduct, sink: &Sink) -> Result<()> {
    match product {
        CheckProduct::Fossology(a) => {
            let opts = crate::fossology::CheckOptions {
                db: DbSource::parse(&a.inputs.db),
                db_name: a.inputs.db_name,
                repo: a.inputs.repo,
                conf: a.inputs.conf,
                level: a.level,
                range: a.range,
                host: a.host,
            };
            crate::fossology::check(&opts, sink)
        }
        CheckProduct::Js7(a) => {
            let opts = crate::js7::CheckOptions { controller: a.controller, standby: a.standby, agents: a.agent, joc_db: a.joc_db.as_deref().map(DbSource::parse), db_name: a.db_name };
            crate::js7::check(&opts, sink)
        }
        CheckProduct::Fiorano(a) => crate::fiorano::check(&crate::fiorano::CheckOptions { runtimedata: a.runtimedata, install: a.install }, sink),
        CheckProduct::Connectware(a) => {
            crate::connectware::check(&crate::connectware::CheckOptions { volumes: a.volumes, db_backup: a.db_backup, status: a.status, version: a.version }, sink)
        }
        CheckProduct::Hubble(a) => crate::hubble::check(&crate::hubble::CheckOptions { archive: a.archive, restore_log: a.restore_log, backup_dir: a.backup_dir }, sink),
    }
}

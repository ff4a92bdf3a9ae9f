//! `repocheck check <product> …`.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::CheckCmd;

pub fn run(cmd: CheckCmd) -> Result<ExitCode> {
    if let Some(site) = &cmd.site {
        if cmd.product.is_some() {
            bail!("--site names every target itself: give either --site or a product");
        }
        return super::site::run(site, &cmd.out);
    }
    let Some(product) = cmd.product else {
        bail!("name a product to check ({}), or --site <site.toml>; see repocheck check --help", crate::products::names().join(", "));
    };
    let catalogue = cmd.out.catalogue()?;
    let planned = product.plan()?;
    cmd.out.run(catalogue, |sink| planned.run(sink))
}

//! The products on the command line, every one from the registry (`crate::products`):
//! `check <product>` (and a `--site` file's targets, parsed the same way), `plan
//! <product>` and `repair <product>` for the products that have them.

use std::fmt;
use std::marker::PhantomData;
use std::process::ExitCode;

use anyhow::Result;
use clap::{ArgMatches, FromArgMatches, Subcommand};

pub use crate::engine::product::choices;
use crate::engine::product::{Command, Prepared, Registered};
use crate::products::PRODUCTS;

/// `check <product> …`: the product and its parsed arguments.
pub struct CheckProduct {
    product: &'static Registered,
    matches: ArgMatches,
}

impl CheckProduct {
    pub fn product(&self) -> &'static Registered {
        self.product
    }

    /// The arguments as the product's options struct, `P::Options` (for tests).
    pub fn options<T: FromArgMatches>(&self) -> Result<T, clap::Error> {
        T::from_arg_matches(&self.matches)
    }

    /// Vets and resolves the inputs (a missing directory is an error now, before anything
    /// runs).
    pub fn plan(self) -> Result<Prepared> {
        (self.product.prepare)(&self.matches)
    }
}

impl fmt::Debug for CheckProduct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckProduct").field("product", &self.product.name()).finish_non_exhaustive()
    }
}

impl FromArgMatches for CheckProduct {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (name, sub) = matches.subcommand().ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingSubcommand))?;
        let product = crate::products::find(name).ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
        Ok(CheckProduct { product, matches: sub.clone() })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for CheckProduct {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        PRODUCTS.iter().fold(cmd, |cmd, p| cmd.subcommand((p.check_args)(clap::Command::new(p.name())).about(p.about).long_about(None::<&'static str>)))
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        crate::products::find(name).is_some()
    }
}

/// Which of a product's commands besides the check a [`ProductSubcommand`] runs.
pub trait Hook: 'static {
    fn of(product: &Registered) -> Option<Command>;
}

/// `plan <product>`.
pub enum Plan {}

impl Hook for Plan {
    fn of(product: &Registered) -> Option<Command> {
        product.plan
    }
}

/// `repair <product>`.
pub enum Repair {}

impl Hook for Repair {
    fn of(product: &Registered) -> Option<Command> {
        product.repair
    }
}

/// `plan <product> …` or `repair <product> …`: one subcommand per product that has the
/// hook.
pub struct ProductSubcommand<H: Hook> {
    command: Command,
    matches: ArgMatches,
    hook: PhantomData<H>,
}

impl<H: Hook> ProductSubcommand<H> {
    pub fn run(self) -> Result<ExitCode> {
        (self.command.run)(&self.matches)
    }
}

impl<H: Hook> fmt::Debug for ProductSubcommand<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProductSubcommand").field("about", &self.command.about).finish_non_exhaustive()
    }
}

impl<H: Hook> FromArgMatches for ProductSubcommand<H> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let (name, sub) = matches.subcommand().ok_or_else(|| clap::Error::new(clap::error::ErrorKind::MissingSubcommand))?;
        let command = crate::products::find(name).and_then(H::of).ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
        Ok(ProductSubcommand { command, matches: sub.clone(), hook: PhantomData })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<H: Hook> Subcommand for ProductSubcommand<H> {
    fn augment_subcommands(cmd: clap::Command) -> clap::Command {
        PRODUCTS.iter().filter_map(|p| H::of(p).map(|c| (p.name(), c))).fold(cmd, |cmd, (name, c)| cmd.subcommand((c.args)(clap::Command::new(name)).about(c.about).long_about(None::<&'static str>)))
    }

    fn augment_subcommands_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        crate::products::find(name).and_then(H::of).is_some()
    }
}

//! Integration tests of the real `whet` binary (docs/cli.md is the interface).

mod check;
mod common;
mod damaged;
mod first_run;
mod help;
mod kinds;
mod library;
mod render;
mod run;
mod runs;
mod score;
mod setups;
mod terminal;

//! Integration tests of the real `whet` binary (docs/cli.md is the interface).

mod check;
mod common;
mod damaged;
mod first_run;
mod help;
mod interrupted;
mod kinds;
mod library;
mod limits;
mod logs;
mod render;
mod run;
mod runs;
mod score;
mod setups;
mod suite;
mod terminal;

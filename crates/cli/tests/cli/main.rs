//! Integration tests of the real `whet` binary (docs/cli.md is the interface).

mod common;
mod damaged;
mod help;
mod interrupted;
mod kinds;
mod library;
mod limits;
mod logs;
mod render;
mod run;
mod score;
mod suite;
mod terminal;

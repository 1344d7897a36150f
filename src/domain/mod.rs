//! The rules of the process, as plain Rust: no I/O, no chat, no SQL.

pub mod audit;
pub mod calendar;
pub mod deployment;
pub mod gate;
pub mod governance;
pub mod happened;
pub mod ids;
pub mod incident;
pub mod ledger;
pub mod metrics;
pub mod package;
pub mod poll;
pub mod reactions;
pub mod readiness;
pub mod records;
pub mod release;
pub mod rfc;
pub mod roles;
pub mod survey;
pub mod tally;
pub mod timefmt;
pub mod token;
pub mod workflow;

//! A MySQL-compatible SQL server backed by SQLite files under the data directory.
//!
//! Layout in the data dir (a container path, resolved through [`ContainerFs`] so it lands on
//! whatever volume is mounted there): `mysql.ibd` is the system database (users, grants), and
//! each database `db` is a directory `db/` holding `db.sqlite`. Every statement runs in
//! autocommit mode, so a row is in the file when the statement returns.

mod error;
pub mod format;
pub mod lexer;
mod server;
mod translate;

pub use error::MysqlError;
pub use server::{Flavor, QueryResult, ResultSet, Server, Session, Status};

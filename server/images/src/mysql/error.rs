//! MySQL-style errors: `ERROR 1049 (42000): Unknown database 'shop'`.

/// An error a MySQL server (or client library) reports, with its code and SQLSTATE.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ERROR {code} ({state}): {message}")]
pub struct MysqlError {
    pub code: u16,
    pub state: &'static str,
    pub message: String,
}

impl MysqlError {
    pub fn new(code: u16, state: &'static str, message: impl Into<String>) -> MysqlError {
        MysqlError {
            code,
            state,
            message: message.into(),
        }
    }

    pub fn syntax(near: &str) -> MysqlError {
        let near: String = near.chars().take(80).collect();
        MysqlError::new(
            1064,
            "42000",
            format!(
                "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '{near}' at line 1"
            ),
        )
    }

    pub fn unknown_db(db: &str) -> MysqlError {
        MysqlError::new(1049, "42000", format!("Unknown database '{db}'"))
    }

    pub fn no_db() -> MysqlError {
        MysqlError::new(1046, "3D000", "No database selected")
    }

    pub fn no_table(db: &str, table: &str) -> MysqlError {
        MysqlError::new(1146, "42S02", format!("Table '{db}.{table}' doesn't exist"))
    }

    pub fn access_denied(user: &str, host: &str, with_password: bool) -> MysqlError {
        let yes = if with_password { "YES" } else { "NO" };
        MysqlError::new(
            1045,
            "28000",
            format!("Access denied for user '{user}'@'{host}' (using password: {yes})"),
        )
    }

    pub fn db_denied(user: &str, host: &str, db: &str) -> MysqlError {
        MysqlError::new(
            1044,
            "42000",
            format!("Access denied for user '{user}'@'{host}' to database '{db}'"),
        )
    }

    pub fn lost_connection() -> MysqlError {
        MysqlError::new(
            2013,
            "HY000",
            "Lost connection to MySQL server during query",
        )
    }

    pub fn gone_away() -> MysqlError {
        MysqlError::new(2006, "HY000", "MySQL server has gone away")
    }
}

//! Database URLs as an operator sees them: with the password hidden, and, for SQLite, the file
//! they name, so that every error can say which database it is about.

use std::path::PathBuf;

/// The URL with any password replaced by `***`: safe for logs and error messages.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split_once(':').map_or(user_info, |(user, _)| user);
            let hidden =
                if user_info.contains(':') { format!("{user}:***") } else { user.to_owned() };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// The file a `sqlite:` URL names, made absolute; `None` for other URLs and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let path = PathBuf::from(path);
    Some(std::path::absolute(&path).unwrap_or(path))
}

/// How to name the database in a message: its absolute file for SQLite, else the redacted URL.
pub fn describe(url: &str) -> String {
    sqlite_file(url).map_or_else(|| redacted(url), |path| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_and_nothing_else_changes() {
        assert_eq!(
            redacted("postgres://kirim:s3cret@db.internal:5432/kirim?sslmode=require"),
            "postgres://kirim:***@db.internal:5432/kirim?sslmode=require"
        );
        assert_eq!(redacted("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
        assert_eq!(redacted("postgres://u:p@ss@h/x"), "postgres://u:***@h/x");
        assert_eq!(redacted("sqlite://kirim.db"), "sqlite://kirim.db");
    }

    #[test]
    fn sqlite_urls_name_an_absolute_file() {
        let file = sqlite_file("sqlite://kirim.db?mode=rwc").unwrap();
        assert!(file.is_absolute() && file.ends_with("kirim.db"));
        assert_eq!(sqlite_file("sqlite:///tmp/k.db").unwrap(), PathBuf::from("/tmp/k.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/x"), None);
    }
}

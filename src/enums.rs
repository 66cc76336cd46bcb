//! The closed sets of words the API speaks: an organisation's tier, an account's status and a
//! label's colour. Each is stored as TEXT and written on the wire as its lowercase name, so a
//! word outside the set can be neither bound to a query nor read back from one unnoticed.

use std::fmt;
use std::str::FromStr;

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// An enum whose variants are the given words, with `as_str`, `FromStr`, serde, and sqlx and
/// rusqlite (TEXT).
/// Written by hand rather than derived: sqlx's derive maps enums to PostgreSQL enum types, and
/// the schema stores plain TEXT on both backends.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// Every word, in declaration order (for documents and messages).
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(UnknownWord { kind: stringify!($name), word: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<DB: Database> Type<DB> for $name
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            &'static str: Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <&'static str as Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&'r str as Decode<'r, DB>>::decode(value)?.parse()?)
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }
    };
}

/// A word that is not one of its set's.
#[derive(Debug, thiserror::Error)]
#[error("`{word}` is not a {kind}")]
pub struct UnknownWord {
    kind: &'static str,
    word: String,
}

text_enum!(
    /// An organisation's plan, which sets its default rate limits.
    Tier { Free = "free", Pro = "pro", Enterprise = "enterprise" }
);

text_enum!(
    /// The state of a WhatsApp account's connection to Meta.
    AccountStatus {
        Connected = "connected",
        Disconnected = "disconnected",
        Degraded = "degraded",
        Onboarding = "onboarding",
    }
);

text_enum!(
    /// A label's colour (contract §4).
    Color {
        Gray = "gray",
        Red = "red",
        Orange = "orange",
        Amber = "amber",
        Yellow = "yellow",
        Lime = "lime",
        Green = "green",
        Emerald = "emerald",
        Teal = "teal",
        Sky = "sky",
        Blue = "blue",
        Violet = "violet",
        Pink = "pink",
    }
);

impl Tier {
    /// The tier's budgets per minute, `(write, read)`; enterprise organisations may be given
    /// others when created.
    pub fn default_limits(self) -> (i64, i64) {
        match self {
            Tier::Free => (60, 600),
            Tier::Pro => (600, 6000),
            Tier::Enterprise => (6000, 60000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_strangers_are_refused() {
        for color in Color::ALL {
            assert_eq!(color.as_str().parse::<Color>().unwrap(), *color);
        }
        assert_eq!(Tier::names(), ["free", "pro", "enterprise"]);
        assert!("Connected".parse::<AccountStatus>().is_err(), "case matters");
        assert!("".parse::<Tier>().is_err());
    }
}

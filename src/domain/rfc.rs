//! Requests for change.

use std::fmt;
use std::str::FromStr;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stored and typed form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($text => Ok($name::$variant),)+
                    _ => Err(format!("one of {}", [$($text),+].join(", "))) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// The change type of an RFC.
    RfcType { Standard = "standard", Normal = "normal", Emergency = "emergency" }
);
text_enum!(
    /// The risk of an RFC; `high` raises the CAB quorum.
    Risk { Low = "low", Medium = "medium", High = "high" }
);
text_enum!(
    /// Where an RFC stands.
    RfcStatus {
        /// Raised, not yet in a release.
        Open = "open",
        /// Linked to a release that is not closed.
        InRelease = "in-release",
        /// Its release completed.
        Implemented = "implemented",
        /// Its release was rejected.
        Rejected = "rejected",
        /// Withdrawn by its requester or a release manager.
        Withdrawn = "withdrawn",
    }
);

impl RfcStatus {
    /// Whether a new release may take this RFC in.
    pub fn can_join_release(self) -> bool {
        self == RfcStatus::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_lists_choices() {
        for s in RfcStatus::ALL {
            assert_eq!(s.as_str().parse::<RfcStatus>(), Ok(*s));
        }
        assert_eq!(
            "bogus".parse::<Risk>(),
            Err("one of low, medium, high".to_string())
        );
        assert!(RfcStatus::Open.can_join_release());
        assert!(!RfcStatus::Withdrawn.can_join_release());
    }
}

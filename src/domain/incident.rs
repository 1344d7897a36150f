//! Early-life-support incidents.

use super::rfc::text_enum;
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// What kind of defect caused an incident.
    DefectType {
        Code = "code",
        Configuration = "configuration",
        Data = "data",
        Infrastructure = "infrastructure",
        Documentation = "documentation",
        Process = "process",
        Other = "other",
    }
);

//! The metrics chart (PNG): its content is [`layout::layout`], a pure
//! function tested on its own; [`draw`] only paints it.

pub mod draw;
pub mod layout;

use crate::domain::metrics::Report;

/// The chart's size: 3:2, which Discord previews at about 400 px wide.
pub const SIZE: (u32, u32) = (1200, 800);

/// The chart of report `r` as PNG bytes.
pub fn chart(r: &Report) -> anyhow::Result<Vec<u8>> {
    draw::png(&layout::layout(r), SIZE)
}

//! Every query serves one workspace (server): the pieces the others share.

/// Rows of another workspace's records are never written: a write meant
/// for one record that changed none names the record and the workspace.
pub(crate) fn changed_one(rows: u64, what: &str, row: i64, guild: &str) -> anyhow::Result<()> {
    anyhow::ensure!(rows > 0, "{what} row {row} is not a record of workspace {guild}");
    Ok(())
}

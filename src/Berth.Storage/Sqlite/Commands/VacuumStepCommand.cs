namespace Berth.Storage.Sqlite.Commands;

/// <summary>
/// Hands up to <c>maxPages</c> free pages back to the file system. Returns true while free pages remain; the
/// last step asks for a checkpoint, which is when the database file is actually truncated.
/// </summary>
internal sealed class VacuumStepCommand(int maxPages) : WriteCommand<bool>
{
    protected override bool Execute(WriteTransaction transaction)
    {
        var vacuum = transaction.Prepare($"PRAGMA incremental_vacuum({maxPages})");
        using (var reader = vacuum.ExecuteReader())
        {
            while (reader.Read())
            {
                // incremental_vacuum does its work as its rows are stepped through.
            }
        }
        var free = transaction.Prepare("PRAGMA freelist_count");
        var more = (long)free.ExecuteScalar()! > 0;
        transaction.CheckpointAfterCommit = !more;
        return more;
    }
}

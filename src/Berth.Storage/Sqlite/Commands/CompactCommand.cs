namespace Berth.Storage.Sqlite.Commands;

/// <summary>
/// Moves the compacted revision: from now on reads and watches before it are refused. The history itself is
/// cleared afterwards by <see cref="CompactStepCommand"/>s, in small steps.
/// </summary>
internal sealed class CompactCommand(long revision) : WriteCommand<CompactResult>
{
    protected override CompactResult Execute(WriteTransaction transaction)
    {
        if (revision > transaction.Revision)
            return new CompactResult(CompactStatus.FutureRevision, transaction.CompactRevision);
        if (revision <= transaction.CompactRevision)
            return new CompactResult(CompactStatus.AlreadyCompacted, transaction.CompactRevision);

        var update = transaction.Prepare("UPDATE meta SET value = $value WHERE name = 'compact_revision'");
        update.Parameters[0].Value = revision;
        update.ExecuteNonQuery();
        transaction.CompactRevision = revision;
        return new CompactResult(CompactStatus.Ok, revision);
    }
}

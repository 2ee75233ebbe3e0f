namespace Berth.Storage.Sqlite.Commands;

internal sealed class DeleteCommand(string key, long? expectedModRevision) : WriteCommand<WriteResult>
{
    protected override WriteResult Execute(WriteTransaction transaction)
    {
        var current = transaction.ReadCurrent(key);
        if (current is null)
            return new WriteResult(WriteStatus.NotFound, transaction.Revision, null);
        if (expectedModRevision is { } expected && current.ModRevision != expected)
            return new WriteResult(WriteStatus.Conflict, transaction.Revision, current);
        var revision = transaction.Delete(current);
        return new WriteResult(WriteStatus.Ok, revision, current);
    }
}

namespace Berth.Storage.Sqlite.Commands;

internal sealed class UpdateCommand(string key, ReadOnlyMemory<byte> value, long expectedModRevision, long lease) : WriteCommand<WriteResult>
{
    protected override WriteResult Execute(WriteTransaction transaction)
    {
        var current = transaction.ReadCurrent(key);
        if (current is null)
            return new WriteResult(WriteStatus.NotFound, transaction.Revision, null);
        if (current.ModRevision != expectedModRevision)
            return new WriteResult(WriteStatus.Conflict, transaction.Revision, current);
        if (lease != 0 && !transaction.LeaseExists(lease))
            return new WriteResult(WriteStatus.LeaseNotFound, transaction.Revision, current);
        var kv = transaction.Put(key, value, lease, current);
        return new WriteResult(WriteStatus.Ok, kv.ModRevision, kv);
    }
}

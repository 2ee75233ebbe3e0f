namespace Berth.Storage.Sqlite.Commands;

internal sealed class CreateCommand(string key, ReadOnlyMemory<byte> value, long lease) : WriteCommand<WriteResult>
{
    protected override WriteResult Execute(WriteTransaction transaction)
    {
        var current = transaction.ReadCurrent(key);
        if (current is not null)
            return new WriteResult(WriteStatus.KeyExists, transaction.Revision, current);
        if (lease != 0 && !transaction.LeaseExists(lease))
            return new WriteResult(WriteStatus.LeaseNotFound, transaction.Revision, null);
        var kv = transaction.Put(key, value, lease, previous: null);
        return new WriteResult(WriteStatus.Ok, kv.ModRevision, kv);
    }
}

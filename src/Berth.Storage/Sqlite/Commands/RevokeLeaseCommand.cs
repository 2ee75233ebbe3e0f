namespace Berth.Storage.Sqlite.Commands;

/// <summary>Deletes a lease and every key attached to it, each deletion a revision of its own.</summary>
internal sealed class RevokeLeaseCommand(long lease) : WriteCommand<bool>
{
    protected override bool Execute(WriteTransaction transaction) => Revoke(transaction, lease);

    public static bool Revoke(WriteTransaction transaction, long lease)
    {
        var remove = transaction.Prepare("DELETE FROM leases WHERE id = $id");
        remove.Parameters[0].Value = lease;
        if (remove.ExecuteNonQuery() == 0)
            return false;
        foreach (var kv in transaction.KeysOfLease(lease))
            transaction.Delete(kv);
        return true;
    }
}

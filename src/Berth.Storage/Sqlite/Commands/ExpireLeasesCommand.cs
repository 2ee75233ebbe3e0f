namespace Berth.Storage.Sqlite.Commands;

/// <summary>Revokes leases whose time is up, a bounded number per command so the writer is never held long.</summary>
internal sealed class ExpireLeasesCommand(int maxLeases) : WriteCommand<int>
{
    protected override int Execute(WriteTransaction transaction)
    {
        var due = transaction.Prepare("SELECT id FROM leases WHERE expires_at_ms <= $now ORDER BY expires_at_ms LIMIT $max");
        due.Parameters[0].Value = transaction.NowMs;
        due.Parameters[1].Value = maxLeases;
        var expired = new List<long>();
        using (var reader = due.ExecuteReader())
        {
            while (reader.Read())
                expired.Add(reader.GetInt64(0));
        }
        foreach (var lease in expired)
            RevokeLeaseCommand.Revoke(transaction, lease);
        return expired.Count;
    }
}

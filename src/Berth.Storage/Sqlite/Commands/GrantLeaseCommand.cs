namespace Berth.Storage.Sqlite.Commands;

internal sealed class GrantLeaseCommand(TimeSpan ttl) : WriteCommand<long>
{
    protected override long Execute(WriteTransaction transaction)
    {
        var ttlMs = Math.Max(1, (long)ttl.TotalMilliseconds);
        var insert = transaction.Prepare("INSERT INTO leases (ttl_ms, expires_at_ms) VALUES ($ttl_ms, $expires_at_ms) RETURNING id");
        insert.Parameters[0].Value = ttlMs;
        insert.Parameters[1].Value = transaction.NowMs + ttlMs;
        return (long)insert.ExecuteScalar()!;
    }
}

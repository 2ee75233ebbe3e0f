// Writes to a SQLite datastore from many concurrent writers and reports each acknowledged write on stdout,
// so that a test can kill this process with SIGKILL at any moment and check that every reported write survived.
// Usage: Berth.Storage.CrashWriter <database-path> <writers>
using System.Text;
using Berth.Storage;
using Berth.Storage.Sqlite;

var path = args[0];
var writers = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
await using var store = SqliteStore.Open(new SqliteStoreOptions { Path = path });
var output = Console.Out;
var gate = new Lock();

await Console.Out.WriteLineAsync("ready");
await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    // Bounded, so a test that forgets to kill it still ends.
    for (var i = 0; i < 100_000; i++)
    {
        var key = $"/crash/w{w}/{i:D6}";
        var result = await store.CreateAsync(key, Encoding.UTF8.GetBytes(key), 0, CancellationToken.None);
        if (result.Status != WriteStatus.Ok)
            throw new InvalidOperationException($"{key}: {result.Status}");
        lock (gate)
        {
            output.WriteLine($"{key} {result.Revision}");
            output.Flush();
        }
    }
})));

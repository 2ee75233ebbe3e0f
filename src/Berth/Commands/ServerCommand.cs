using System.CommandLine;
using Berth.Storage;
using Microsoft.Extensions.Logging;

namespace Berth.Commands;

/// <summary>
/// <c>berth server</c>. So far it opens (or creates) the datastore and reports on it; the API server that will
/// serve it to kubectl does not exist yet, and the command says so instead of pretending.
/// </summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var dataDir = new Option<DirectoryInfo>("--data-dir")
        {
            Description = "Where the server keeps its state.",
            DefaultValueFactory = _ => new DirectoryInfo(Environment.UserName == "root" ? "/var/lib/berth" : ".berth"),
        };
        var datastore = new Option<string?>("--datastore-endpoint")
        {
            Description = "sqlite:///path/to/state.db (default: <data-dir>/server/db/state.db) or etcd://host:port[,host:port...]",
        };
        var command = new Command("server", "Run a Berth server.") { dataDir, datastore };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(dataDir)!, parse.GetValue(datastore), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo dataDir, string? datastore, CancellationToken cancellationToken)
    {
        StoreEndpoint endpoint;
        try
        {
            endpoint = datastore is null
                ? StoreEndpoint.Sqlite(Path.Combine(dataDir.FullName, "server", "db", "state.db"))
                : StoreEndpoint.Parse(datastore);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"berth server: --datastore-endpoint: {e.Message}");
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true));
        try
        {
            await using var store = await StoreFactory.OpenAsync(endpoint, loggerFactory, cancellationToken);
            var status = await store.GetStatusAsync(cancellationToken);
            Console.WriteLine($"berth server: datastore {endpoint} is open at revision {status.Revision} ({status.SizeBytes} bytes).");
        }
        catch (StoreOpenException e)
        {
            await Console.Error.WriteLineAsync($"berth server: {e.Message}");
            return 1;
        }

        await Console.Error.WriteLineAsync(
            "berth server: the Kubernetes API server is not built yet, so there is no cluster to point kubectl at. " +
            "This build provides the datastore only.");
        return 3;
    }
}

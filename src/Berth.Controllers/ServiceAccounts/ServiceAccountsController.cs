using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Client;
using Berth.Client.Discovery;
using Berth.Client.Informers;
using Berth.Client.Queues;
using Berth.Controllers.Namespaces;
using Microsoft.Extensions.Logging;

namespace Berth.Controllers.ServiceAccounts;

/// <summary>
/// Keeps a <c>default</c> ServiceAccount in every namespace that is not being deleted, as upstream's
/// serviceaccounts-controller does: created with the namespace, and again if someone deletes it.
/// </summary>
public sealed class ServiceAccountsController(ApiClient client, ILoggerFactory loggerFactory, TimeProvider time)
{
    private const string Default = "default";

    private static readonly ApiResource Namespaces = new("", "v1", "Namespace", "namespaces", false, ["list", "watch"]);
    private static readonly ApiResource Accounts = new("", "v1", "ServiceAccount", "serviceaccounts", true, ["list", "watch"]);

    private readonly ILogger _logger = loggerFactory.CreateLogger<ServiceAccountsController>();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var namespaces = new Informer<NamespaceState>(client, Namespaces, NamespaceState.Read, loggerFactory.CreateLogger<Informer<NamespaceState>>());
        var accounts = new Informer<string>(client, Accounts, NamespaceOf, loggerFactory.CreateLogger<Informer<string>>(), $"metadata.name={Default}");
        using var queue = new WorkQueue<string>(time);
        namespaces.OnChange((_, now) =>
        {
            if (now is { Deleting: false } ns)
                queue.Add(ns.Name);
        });
        accounts.OnChange((old, now) =>
        {
            if (now is null)
                queue.Add(old!);
        });
        var watching = Task.WhenAll(namespaces.RunAsync(cancellationToken), accounts.RunAsync(cancellationToken));
        try
        {
            await Task.WhenAll(namespaces.Synced, accounts.Synced).WaitAsync(cancellationToken);
            await queue.RunAsync(2, (ns, ct) => EnsureAsync(namespaces, accounts, ns, ct), _logger, cancellationToken);
        }
        finally
        {
            await watching.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<ReconcileResult> EnsureAsync(Informer<NamespaceState> namespaces, Informer<string> accounts, string ns, CancellationToken cancellationToken)
    {
        if (namespaces.Get(null, ns) is not { Deleting: false } || accounts.Get(ns, Default) is not null)
            return ReconcileResult.Done;
        var account = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = Default, ["namespace"] = ns },
        };
        var created = await client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/serviceaccounts", account, cancellationToken);
        // 409: it exists already; 403 or 404: the namespace is going away (upstream's controller shrugs at both too).
        if (!created.IsConflict && created.Code is not (403 or 404))
            created.ThrowIfFailed($"creating the default service account in {ns}");
        return ReconcileResult.Done;
    }

    private static string NamespaceOf(JsonElement account) => account.GetProperty("metadata").GetProperty("namespace").GetString()!;
}

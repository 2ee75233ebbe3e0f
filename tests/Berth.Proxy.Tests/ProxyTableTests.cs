using System.Diagnostics;
using Berth.Proxy.Model;
using Berth.Proxy.Rules;

namespace Berth.Proxy.Tests;

/// <summary>The scripts the proxy writes, applied to the kernel's nftables with the real nft, in a table of the test's own.</summary>
public sealed class ProxyTableTests : IAsyncLifetime
{
    private readonly string _name = "berth-test-" + Guid.NewGuid().ToString("N")[..8];
    private readonly ProxyTable _table;

    public ProxyTableTests() => _table = new ProxyTable(_name, "10.199.0.0/16", ["127.0.0.1/32"]);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Nft.ApplyAsync(_table.Delete(), CancellationToken.None);

    private static RuleSet Rules(params (string Service, string[] Endpoints, int? Affinity, int NodePort)[] services)
    {
        var proxyServices = services.Select((s, i) => new ProxyService("shop", s.Service, $"10.199.0.{i + 10}",
            [new ProxyServicePort("http", "TCP", 80, s.NodePort)], s.Affinity, false, false));
        var slices = services.Select(s => new ProxySlice("shop", s.Service + "-x", s.Service, [new ProxySlicePort("http", "TCP", 8080)],
            s.Endpoints.Select(e => new ProxyEndpoint(e, "n", true, true, false)).ToList()));
        return RuleSetBuilder.Build(proxyServices, slices.ToLookup(s => s.ServiceKey!), "n", "10.198.0.0/16");
    }

    private async Task<string> ListAsync()
    {
        var start = new ProcessStartInfo("nft", ["list", "table", "ip", _name]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    [Fact]
    public async Task Full_WhenApplied_ThenTheKernelHoldsEveryServiceAndEndpoint()
    {
        await Nft.ApplyAsync(_table.Full(Rules(("web", ["10.198.0.5", "10.198.0.6"], null, 30080), ("db", ["10.198.0.7"], 30, 0), ("idle", [], null, 30081))), CancellationToken.None);

        var listed = await ListAsync();
        Assert.Contains("10.199.0.10 . tcp . 80 : goto svc-shop/web/tcp/http", listed);
        Assert.Contains("10.199.0.11 . tcp . 80 : goto svc-shop/db/tcp/http", listed);
        Assert.Contains("tcp . 30080 : goto ext-shop/web/tcp/http", listed);
        Assert.Contains("dnat to 10.198.0.6:8080", listed);
        Assert.Contains("set aff30-shop/db/tcp/http/10.198.0.7/8080", listed);
        Assert.Matches(@"unserved-nodeports \{[^}]*elements = \{ tcp \. 30081 \}", listed.ReplaceLineEndings(" "));
        // route_localnet's guard: loopback from outside only when the proxy's own translation sent it there.
        Assert.Contains("ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 ct state != { established, related } ct status ! dnat drop", listed);
    }

    [Fact]
    public async Task Changes_WhenEndpointsComeAndGo_ThenTheTableEndsAsAFullWriteWouldLeaveIt()
    {
        var first = Rules(("web", ["10.198.0.5", "10.198.0.6"], null, 30080), ("db", ["10.198.0.7"], 30, 0), ("idle", [], null, 30081));
        var second = Rules(("web", ["10.198.0.6", "10.198.0.8"], null, 0), ("db", ["10.198.0.9"], null, 0), ("idle", ["10.198.0.3"], null, 30081));
        var third = Rules(("web", [], null, 0));
        await Nft.ApplyAsync(_table.Full(first), CancellationToken.None);

        await Nft.ApplyAsync(_table.Changes(first, second), CancellationToken.None);
        var afterSecond = await ListAsync();
        await Nft.ApplyAsync(_table.Full(second), CancellationToken.None);
        Assert.Equal(Normalise(await ListAsync()), Normalise(afterSecond));

        await Nft.ApplyAsync(_table.Changes(second, third), CancellationToken.None);
        var afterThird = await ListAsync();
        await Nft.ApplyAsync(_table.Full(third), CancellationToken.None);
        Assert.Equal(Normalise(await ListAsync()), Normalise(afterThird));
        Assert.DoesNotContain("chain svc-", afterThird);
    }

    [Fact]
    public void Changes_WhenNothingChanged_ThenTheScriptIsEmpty()
    {
        var rules = Rules(("web", ["10.198.0.5"], 30, 30080));

        Assert.Equal("", _table.Changes(rules, Rules(("web", ["10.198.0.5"], 30, 30080))));
    }

    /// <summary>The listing with its lines sorted within each block: chains and elements are listed in the order they were added.</summary>
    private static string Normalise(string listing) =>
        string.Join('\n', listing.Split('\n').Select(l => string.Join(", ", l.Split(", ").Order(StringComparer.Ordinal))).Order(StringComparer.Ordinal));

    [Fact]
    public async Task Changes_WhenAServiceChangesItsAffinityTimeout_ThenItsSetsAreReplacedInOneTransaction()
    {
        var before = Rules(("web", ["10.198.0.5"], 30, 0));
        var after = Rules(("web", ["10.198.0.5"], 60, 0));
        await Nft.ApplyAsync(_table.Full(before), CancellationToken.None);

        await Nft.ApplyAsync(_table.Changes(before, after), CancellationToken.None);

        var listed = await ListAsync();
        Assert.Contains("set aff60-shop/web/tcp/http/10.198.0.5/8080", listed);
        Assert.DoesNotContain("aff30-", listed);
    }
}

using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.Agent.Tests;

/// <summary>
/// A real <c>berth server</c> process (controllers on, no node of its own) on a random loopback port, for agents
/// that join it as separate <c>berth agent</c> processes, plus the real kubectl as admin.
/// </summary>
public sealed class JoinClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _kubectlCache = new("join-kube-cache");
    private BerthServerProcess? _server;

    public static string Binary => Repository.Binary;

    public BerthServerProcess Server => _server!;

    public Kubectl Kubectl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await BerthServerProcess.StartAsync(Binary, "--disable-agent");
        Kubectl = new Kubectl(_server.KubeconfigPath, _kubectlCache.Path);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        _kubectlCache.Dispose();
    }

    /// <summary>An object read with kubectl as JSON.</summary>
    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;
}

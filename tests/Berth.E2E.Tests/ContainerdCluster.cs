using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.E2E.Tests;

/// <summary>
/// A real <c>berth server</c> whose own node runs real containers: its own containerd, runc, a CNI bridge. Each
/// cluster gets a bridge name and pod and service CIDRs of its own, so that clusters of test classes running at once
/// never meet; the test images (built by <c>scripts/build-test-images.sh</c>) are imported as the node starts. On
/// dispose the server is killed and <c>berth cleanup</c> takes down its pods, containerd and network.
/// </summary>
public sealed class ContainerdCluster : IAsyncLifetime
{
    public const string Busybox = "localhost/berth/busybox:1.0";

    private readonly TempDirectory _kubectlCache = new("e2e-kube-cache");
    private BerthServerProcess? _server;

    public static string Binary => Repository.Binary;

    public Kubectl Kubectl { get; private set; } = null!;

    public string Bridge { get; } = "bt" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];

    /// <summary>The node's <c>registries.yaml</c> (k3s's format), if it has one.</summary>
    public string? RegistriesYaml { get; init; }

    /// <summary>More flags for the server, after the ones every test cluster has.</summary>
    public IReadOnlyList<string> ExtraFlags { get; init; } = [];

    /// <summary>How large a container's log grows before it is rotated: small, so that a test sees rotation soon; two files are kept.</summary>
    public const string LogMaxSize = "64Ki";

    public string ClusterCidr { get; private set; } = "";

    public string DataDir => _server!.DataDir;

    /// <summary>The API server's address.</summary>
    public Uri Url => _server!.Url;

    /// <summary>The administrator's kubeconfig, which kubectl and the official client library use.</summary>
    public string KubeconfigPath => _server!.KubeconfigPath;

    public string AgentDir => Path.Combine(DataDir, "agent");

    /// <summary>What the server has logged so far.</summary>
    public string ServerOutput => _server!.Output;

    public async Task InitializeAsync()
    {
        var images = TestImages();
        (ClusterCidr, var serviceCidr) = FreeCidrs();
        _server = await BerthServerProcess.StartAsync(Binary,
            dataDir =>
            {
                var folder = Directory.CreateDirectory(Path.Combine(dataDir, "agent", "images")).FullName;
                foreach (var image in images)
                    File.Copy(image, Path.Combine(folder, Path.GetFileName(image)));
                if (RegistriesYaml is not null)
                    File.WriteAllText(Path.Combine(dataDir, "agent", "registries.yaml"), RegistriesYaml);
            },
            [
            "--cluster-cidr", ClusterCidr, "--service-cidr", serviceCidr, "--pod-bridge", Bridge, "--agent-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
            "--container-log-max-size", LogMaxSize, "--container-log-max-files", "2", "--system-reserved", "cpu=500m,memory=1Gi", "--kube-reserved", "memory=256Mi",
            .. ExtraFlags,
            ]);
        Kubectl = new Kubectl(_server.KubeconfigPath, _kubectlCache.Path);
        await Eventually.TrueAsync(async () => (await Kubectl.RunAsync("get", "nodes", "-o", "name")).Out.Contains("node/", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), "the server's node to register");
        await Kubectl.SucceedAsync("wait", "--for=condition=Ready", "nodes", "--all", "--timeout=60s");
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.KillAsync();
            var (code, output) = await ProgramRun.RunAsync(Binary, "cleanup", "--data-dir", _server.DataDir);
            await _server.DisposeAsync();
            if (code != 0)
                throw new InvalidOperationException($"berth cleanup failed ({code}): {output}");
        }
        _kubectlCache.Dispose();
    }

    /// <summary>A namespace of its own for a test.</summary>
    public async Task<string> NamespaceAsync(string purpose)
    {
        var name = $"{purpose}-{Guid.NewGuid().ToString("N")[..6]}";
        await Kubectl.SucceedAsync("create", "namespace", name);
        return name;
    }

    public async Task ApplyAsync(string ns, string yaml)
    {
        using var files = new TempDirectory("e2e-manifest");
        await Kubectl.SucceedAsync("apply", "-n", ns, "-f", await files.WriteAsync(yaml));
    }

    public async Task<JsonNode> GetAsync(params string[] args) =>
        JsonNode.Parse((await Kubectl.SucceedAsync([.. args, "-o", "json"])).Out)!;


    /// <summary>The image archives the node imports.</summary>
    private static string[] TestImages() => [Repository.TestImage("pause.tar"), Repository.TestImage("busybox.tar")];

    /// <summary>A pod CIDR (/16) and a service CIDR (/24) that no route on this machine touches yet.</summary>
    private static (string Cluster, string Service) FreeCidrs()
    {
        var routes = File.ReadAllText("/proc/net/route");
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var second = Random.Shared.Next(100, 150);
            var third = Random.Shared.Next(0, 256);
            // /proc/net/route writes destinations as little-endian hex: 10.X.0.0 is 0000X00A.
            var taken = routes.Contains($"0000{second:X2}0A", StringComparison.Ordinal) || routes.Contains($"00{third:X2}{second + 100:X2}0A", StringComparison.Ordinal);
            if (!taken)
                return ($"10.{second.ToString(CultureInfo.InvariantCulture)}.0.0/16", $"10.{(second + 100).ToString(CultureInfo.InvariantCulture)}.{third.ToString(CultureInfo.InvariantCulture)}.0/24");
        }
        throw new InvalidOperationException("no free 10.x.0.0/16 for a test cluster's pods");
    }
}

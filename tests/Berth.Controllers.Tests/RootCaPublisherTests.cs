using System.Security.Cryptography.X509Certificates;
using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>Every namespace has the <c>kube-root-ca.crt</c> ConfigMap with the cluster CA, as on upstream.</summary>
public sealed class RootCaPublisherTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Namespace_WhenCreated_ThenGetsTheClusterCaWhichComesBackWhenDeletedOrChanged()
    {
        var ns = "rootca-" + Guid.NewGuid().ToString("N")[..10];
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);
        async Task<string?> CaAsync() =>
            await cluster.Kubectl.RunAsync("get", "configmap", "kube-root-ca.crt", "-n", ns, "-o", "jsonpath={.data.ca\\.crt}") is { ExitCode: 0, Out: var ca } ? ca : null;

        await Eventually.TrueAsync(async () => await CaAsync() is { Length: > 0 }, Deadline, "the root CA ConfigMap");
        var published = X509Certificate2.CreateFromPem(await CaAsync());
        var description = (await cluster.Kubectl.SucceedAsync("get", "configmap", "kube-root-ca.crt", "-n", ns,
            "-o", "jsonpath={.metadata.annotations.kubernetes\\.io/description}")).Out;

        await cluster.Kubectl.SucceedAsync("patch", "configmap", "kube-root-ca.crt", "-n", ns, "--type=merge", "-p", """{"data":{"ca.crt":"forged"}}""");
        await Eventually.TrueAsync(async () => await CaAsync() is { Length: > 0 } ca && ca != "forged", Deadline, "the CA put right");
        await cluster.Kubectl.SucceedAsync("delete", "configmap", "kube-root-ca.crt", "-n", ns);
        await Eventually.TrueAsync(async () => await CaAsync() is { Length: > 0 }, Deadline, "the root CA ConfigMap made again");

        using var clusterCa = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(cluster.DataDir, "server", "tls", "ca.crt")));
        Assert.Equal(clusterCa.Thumbprint, published.Thumbprint);
        Assert.StartsWith("Contains a CA bundle that can be used to verify the kube-apiserver", description, StringComparison.Ordinal);
        published.Dispose();
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }
}

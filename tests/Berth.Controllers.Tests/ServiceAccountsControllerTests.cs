using Berth.Testing;

namespace Berth.Controllers.Tests;

/// <summary>Every namespace has a <c>default</c> ServiceAccount, as on upstream.</summary>
public sealed class ServiceAccountsControllerTests(ControlPlaneFixture cluster) : IClassFixture<ControlPlaneFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Namespace_WhenCreated_ThenGetsADefaultServiceAccountThatComesBackWhenDeleted()
    {
        var ns = "sa-" + Guid.NewGuid().ToString("N")[..10];
        await cluster.Kubectl.SucceedAsync("create", "namespace", ns);

        await Eventually.TrueAsync(async () => (await cluster.Kubectl.RunAsync("get", "serviceaccount", "default", "-n", ns)).ExitCode == 0,
            Deadline, "the default service account");
        var first = (await cluster.Kubectl.SucceedAsync("get", "serviceaccount", "default", "-n", ns, "-o", "jsonpath={.metadata.uid}")).Out;

        await cluster.Kubectl.SucceedAsync("delete", "serviceaccount", "default", "-n", ns);

        await Eventually.TrueAsync(async () => await cluster.Kubectl.RunAsync("get", "serviceaccount", "default", "-n", ns, "-o", "jsonpath={.metadata.uid}")
            is { ExitCode: 0, Out: var uid } && uid.Length > 0 && uid != first, Deadline, "a new default service account");
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }
}

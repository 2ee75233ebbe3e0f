using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.E2E.Tests;

/// <summary>Images from a real registry on 127.0.0.1 that wants credentials.</summary>
public sealed class ImagesTests(ContainerdCluster cluster) : IClassFixture<ContainerdCluster>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Pod_WithAnImagePullSecret_PullsFromAPasswordProtectedRegistryAndOneWithoutItCannot()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await registry.PushAsync(ContainerdCluster.TestImage("busybox.tar"), "team/busybox:pulled");
        var image = $"{registry.Host}/team/busybox:pulled";
        var ns = await cluster.NamespaceAsync("registry");
        await cluster.Kubectl.SucceedAsync("create", "secret", "docker-registry", "regcred", "-n", ns,
            $"--docker-server={registry.Host}", $"--docker-username={RegistryProcess.User}", $"--docker-password={RegistryProcess.Password}");
        await cluster.ApplyAsync(ns, $"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: with-secret
            spec:
              terminationGracePeriodSeconds: 0
              imagePullSecrets:
              - name: regcred
              containers:
              - name: app
                image: {image}
                imagePullPolicy: Always
                command: [sleep, "3600"]
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: without-secret
            spec:
              containers:
              - name: app
                image: {image}
                imagePullPolicy: Always
                command: [sleep, "3600"]
            """);

        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/with-secret", "-n", ns, "--timeout=55s");
        var events = (await cluster.Kubectl.SucceedAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=with-secret")).Out;
        Assert.Contains($"Successfully pulled image \"{image}\"", events, StringComparison.Ordinal);

        await Eventually.TrueAsync(async () => Waiting(await cluster.GetAsync("get", "pod", "without-secret", "-n", ns))?["reason"]?.GetValue<string>() is "ErrImagePull" or "ImagePullBackOff",
            Patience, "the pull without credentials to fail");
        var failed = (await cluster.Kubectl.SucceedAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=without-secret")).Out;
        Assert.Contains("401 Unauthorized", failed, StringComparison.Ordinal);

        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    [Fact]
    public async Task Node_WithAMirrorInRegistriesYaml_PullsARegistrysImagesFromTheMirror()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await registry.PushAsync(ContainerdCluster.TestImage("busybox.tar"), "team/busybox:mirrored");
        // Nothing answers at the alias: the image can only come from the mirror.
        var alias = $"localhost:{FreePort.Next()}";
        var mirrored = new ContainerdCluster { RegistriesYaml = $"mirrors:\n  \"{alias}\":\n    endpoint:\n    - \"http://{registry.Host}\"\n" };
        await mirrored.InitializeAsync();
        try
        {
            var ns = await mirrored.NamespaceAsync("mirror");
            await mirrored.Kubectl.SucceedAsync("create", "secret", "docker-registry", "regcred", "-n", ns,
                $"--docker-server={alias}", $"--docker-username={RegistryProcess.User}", $"--docker-password={RegistryProcess.Password}");
            await mirrored.ApplyAsync(ns, $"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: mirrored
                spec:
                  terminationGracePeriodSeconds: 0
                  imagePullSecrets:
                  - name: regcred
                  containers:
                  - name: app
                    image: {alias}/team/busybox:mirrored
                    command: [sleep, "3600"]
                """);
            await mirrored.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/mirrored", "-n", ns, "--timeout=55s");
            await mirrored.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
        }
        finally
        {
            await mirrored.DisposeAsync();
        }
    }

    [Fact]
    public async Task ImagesImport_PutsAnArchiveIntoTheRunningNodeUnderItsNameAndLsListsIt()
    {
        using var files = new TempDirectory("images");
        var archive = files.File("renamed.tar");
        var copied = await ProgramRun.RunAsync("skopeo", "copy", "-q", $"docker-archive:{ContainerdCluster.TestImage("busybox.tar")}",
            $"docker-archive:{archive}:localhost/berth/renamed:2.0");
        Assert.True(copied.Code == 0, copied.Output);

        var imported = await ProgramRun.RunAsync(ContainerdCluster.Binary, "images", "import", archive, "--data-dir", cluster.DataDir);
        Assert.True(imported.Code == 0, imported.Output);
        Assert.Contains("imported renamed.tar", imported.Output, StringComparison.Ordinal);
        var listed = await ProgramRun.RunAsync(ContainerdCluster.Binary, "images", "ls", "--data-dir", cluster.DataDir);
        Assert.True(listed.Code == 0, listed.Output);
        Assert.StartsWith("IMAGE ", listed.Output, StringComparison.Ordinal);
        Assert.Contains("localhost/berth/renamed:2.0 ", listed.Output, StringComparison.Ordinal);
        Assert.Contains("localhost/berth/busybox:1.0 ", listed.Output, StringComparison.Ordinal);

        var ns = await cluster.NamespaceAsync("imported");
        await cluster.ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: local
            spec:
              terminationGracePeriodSeconds: 0
              containers:
              - name: app
                image: localhost/berth/renamed:2.0
                imagePullPolicy: Never
                command: [sleep, "3600"]
            """);
        await cluster.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/local", "-n", ns, "--timeout=55s");
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
    }

    private static JsonNode? Waiting(JsonNode pod) => pod["status"]?["containerStatuses"]?[0]?["state"]?["waiting"];
}

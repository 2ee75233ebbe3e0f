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
        await registry.PushAsync(Repository.TestImage("busybox.tar"), "team/busybox:pulled");
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
    public async Task Node_WithAMirrorAndItsCredentialsInRegistriesYaml_PullsARegistrysImagesFromTheMirror()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await registry.PushAsync(Repository.TestImage("busybox.tar"), "team/busybox:mirrored");
        // Nothing answers at the alias: the image can only come from the mirror.
        var alias = $"localhost:{FreePort.Next()}";
        // The registry wants credentials, which the node has for the mirror's host: the pod names no pull secret.
        var mirrored = new ContainerdCluster
        {
            RegistriesYaml = $$"""
                mirrors:
                  "{{alias}}":
                    endpoint:
                    - "http://{{registry.Host}}"
                configs:
                  "{{registry.Host}}":
                    auth:
                      username: {{RegistryProcess.User}}
                      password: {{RegistryProcess.Password}}
                """,
        };
        await mirrored.InitializeAsync();
        try
        {
            var ns = await mirrored.NamespaceAsync("mirror");
            await mirrored.ApplyAsync(ns, $"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: mirrored
                spec:
                  terminationGracePeriodSeconds: 0
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
    public async Task Node_WithItsDiskOverTheThreshold_RemovesTheImagesNoContainerUsesButNotTheSandboxImage()
    {
        await using var registry = await RegistryProcess.StartAsync();
        await registry.PushAsync(Repository.TestImage("busybox.tar"), "team/busybox:kept");
        var kept = $"{registry.Host}/team/busybox:kept";
        using var files = new TempDirectory("image-gc");
        var unused = await DistinctImageAsync(files, "localhost/berth/unused:1.0");
        // Every image nobody uses goes, soon: the disk is always over 1% used and the aim is 0%. An image is kept for
        // its first 5 s, as upstream keeps one for 2 minutes, so that a pod that has just pulled it can still use it.
        var collecting = new ContainerdCluster
        {
            ExtraFlags = ["--image-gc-high-threshold", "1", "--image-gc-low-threshold", "0", "--minimum-image-ttl-duration", "5s", "--image-gc-period", "1s"],
        };
        await collecting.InitializeAsync();
        try
        {
            async Task<string> ImagesAsync()
            {
                var listed = await ProgramRun.RunAsync(ContainerdCluster.Binary, "images", "ls", "--data-dir", collecting.DataDir);
                Assert.True(listed.Code == 0, listed.Output);
                return listed.Output;
            }
            await Eventually.TrueAsync(async () => !(await ImagesAsync()).Contains(ContainerdCluster.Busybox + " ", StringComparison.Ordinal), Patience,
                "the busybox image, which nothing uses, to be removed");
            Assert.Contains("localhost/berth/pause:1.0 ", await ImagesAsync(), StringComparison.Ordinal);

            var ns = await collecting.NamespaceAsync("gc");
            await collecting.Kubectl.SucceedAsync("create", "secret", "docker-registry", "regcred", "-n", ns,
                $"--docker-server={registry.Host}", $"--docker-username={RegistryProcess.User}", $"--docker-password={RegistryProcess.Password}");
            await collecting.ApplyAsync(ns, $"""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: user
                spec:
                  terminationGracePeriodSeconds: 0
                  imagePullSecrets:
                  - name: regcred
                  containers:
                  - name: app
                    image: {kept}
                    command: [sleep, "3600"]
                """);
            await collecting.Kubectl.SucceedAsync("wait", "--for=condition=Ready", "pod/user", "-n", ns, "--timeout=55s");

            // An image imported now goes at the next collection; the running pod's stays through it.
            var imported = await ProgramRun.RunAsync(ContainerdCluster.Binary, "images", "import", unused, "--data-dir", collecting.DataDir);
            Assert.True(imported.Code == 0, imported.Output);
            await Eventually.TrueAsync(async () => !(await ImagesAsync()).Contains("localhost/berth/unused:1.0 ", StringComparison.Ordinal), Patience,
                "the imported image, which nothing uses, to be removed");
            Assert.Contains(kept + " ", await ImagesAsync(), StringComparison.Ordinal);

            // Once its pod is gone, the image is nobody's.
            await collecting.Kubectl.SucceedAsync("delete", "namespace", ns, "--timeout=55s");
            await Eventually.TrueAsync(async () => !(await ImagesAsync()).Contains(kept + " ", StringComparison.Ordinal), Patience,
                "the deleted pod's image to be removed");
            Assert.Contains("localhost/berth/pause:1.0 ", await ImagesAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await collecting.DisposeAsync();
        }
    }

    /// <summary>The busybox test image with a label of its own, so that its ID is its own too, as an archive named <paramref name="name"/>.</summary>
    private static async Task<string> DistinctImageAsync(TempDirectory files, string name)
    {
        var layout = files.File("oci");
        var archive = files.File("distinct.tar");
        foreach (var step in new[]
        {
            new[] { "skopeo", "copy", "-q", $"docker-archive:{Repository.TestImage("busybox.tar")}", $"oci:{layout}:base" },
            ["umoci", "config", "--image", $"{layout}:base", "--config.label", "berth.test=distinct"],
            ["skopeo", "copy", "-q", $"oci:{layout}:base", $"docker-archive:{archive}:{name}"],
        })
        {
            var run = await ProgramRun.RunAsync(step[0], step[1..]);
            Assert.True(run.Code == 0, $"{string.Join(' ', step)}: {run.Output}");
        }
        return archive;
    }

    [Fact]
    public async Task ImagesImport_PutsAnArchiveIntoTheRunningNodeUnderItsNameAndLsListsIt()
    {
        using var files = new TempDirectory("images");
        var archive = files.File("renamed.tar");
        var copied = await ProgramRun.RunAsync("skopeo", "copy", "-q", $"docker-archive:{Repository.TestImage("busybox.tar")}",
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

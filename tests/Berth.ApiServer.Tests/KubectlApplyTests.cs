using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>
/// Client-side apply and the other kubectl commands that send strategic merge patches (patch, set image, set env),
/// through the real kubectl: the stored object must be what upstream would store.
/// </summary>
public sealed class KubectlApplyTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx:1.25
                env:
                - {name: A, value: "1"}
                - {name: B, value: "2"}
              - name: sidecar
                image: busybox:1.36
        """;

    private readonly TempDirectory _files = new("apply");
    private readonly string _ns = "apply-" + Guid.NewGuid().ToString("N")[..8];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task Apply_WhenTheManifestChanges_ThenCreatedUnchangedConfiguredAndTheObjectFollowsTheManifest()
    {
        await CreateNamespaceAsync();
        var manifest = await _files.WriteAsync(Deployment);

        Assert.Equal("deployment.apps/web created\n", (await ApplyAsync(manifest)).Out);
        Assert.Equal("deployment.apps/web unchanged\n", (await ApplyAsync(manifest)).Out);

        // The image changes, env A and the sidecar go, replicas grow.
        var changed = await _files.WriteAsync(Deployment
            .Replace("nginx:1.25", "nginx:1.26", StringComparison.Ordinal)
            .Replace("        - {name: A, value: \"1\"}\n", "", StringComparison.Ordinal)
            .Replace("  replicas: 2", "  replicas: 3", StringComparison.Ordinal)
            .Replace("\n      - name: sidecar\n        image: busybox:1.36", "", StringComparison.Ordinal));
        Assert.Equal("deployment.apps/web configured\n", (await ApplyAsync(changed)).Out);
        Assert.Equal("deployment.apps/web unchanged\n", (await ApplyAsync(changed)).Out);

        var stored = await GetAsync("deployment", "web");
        Assert.Equal(3, stored["spec"]!["replicas"]!.GetValue<int>());
        AssertJson("""[{"name":"web","image":"nginx:1.26","env":[{"name":"B","value":"2"}]}]""", Containers(stored));
        Assert.Equal(2, stored["metadata"]!["generation"]!.GetValue<int>());
    }

    [Fact]
    public async Task Apply_WhenAKeyLeavesTheManifest_ThenItLeavesTheObjectButKeysOthersAddedStay()
    {
        await CreateNamespaceAsync();
        var manifest = await _files.WriteAsync("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n  b: \"2\"\n");
        await ApplyAsync(manifest);
        // Someone else adds a key; apply leaves what it never managed alone.
        Assert.Equal(0, (await Kubectl.RunAsync("patch", "configmap", "settings", "-n", _ns, "-p", """{"data":{"c":"3"}}""")).ExitCode);

        var fewer = await _files.WriteAsync("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  b: \"2\"\n");
        Assert.Equal("configmap/settings configured\n", (await ApplyAsync(fewer)).Out);

        AssertJson("""{"b":"2","c":"3"}""", (await GetAsync("configmap", "settings"))["data"]);
    }

    [Fact]
    public async Task PatchAndSet_WhenTheyNameOneContainer_ThenTheOthersStayAsTheyWere()
    {
        await CreateNamespaceAsync();
        await ApplyAsync(await _files.WriteAsync(Deployment));

        var patched = await Kubectl.RunAsync("patch", "deployment", "web", "-n", _ns, "-p",
            """{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}}}}""");
        var image = await Kubectl.RunAsync("set", "image", "deployment/web", "web=nginx:1.27", "-n", _ns);
        var env = await Kubectl.RunAsync("set", "env", "deployment/web", "-c", "web", "C=3", "-n", _ns);

        Assert.True(patched.ExitCode == 0, patched.Err);
        Assert.Equal("deployment.apps/web patched\n", patched.Out);
        Assert.Equal("deployment.apps/web image updated\n", image.Out);
        Assert.Equal("deployment.apps/web env updated\n", env.Out);
        var containers = Containers(await GetAsync("deployment", "web"));
        AssertJson("""[{"name":"web","image":"nginx:1.27","env":[{"name":"A","value":"1"},{"name":"B","value":"2"},{"name":"C","value":"3"}]},{"name":"sidecar","image":"busybox:1.37"}]""",
            containers);
    }

    [Fact]
    public async Task Patch_WhenTheStrategicPatchIsMalformed_ThenItIsRefusedAndNothingChanges()
    {
        await CreateNamespaceAsync();
        await ApplyAsync(await _files.WriteAsync(Deployment));
        var before = await GetAsync("deployment", "web");

        var refused = await Kubectl.RunAsync("patch", "deployment", "web", "-n", _ns, "-p",
            """{"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}}""");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("does not contain declared merge key: name", refused.Err, StringComparison.Ordinal);
        Assert.Equal(before["metadata"]!["resourceVersion"]!.GetValue<string>(), (await GetAsync("deployment", "web"))["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task DiffEditReplaceAndSetResources_ShowAndChangeWhatTheyShould()
    {
        await CreateNamespaceAsync();
        var manifest = await _files.WriteAsync(Deployment);
        await ApplyAsync(manifest);
        var changed = await _files.WriteAsync(Deployment.Replace("nginx:1.25", "nginx:1.26", StringComparison.Ordinal));

        var diff = await Kubectl.RunAsync("diff", "-f", changed, "-n", _ns);
        Assert.Equal(1, diff.ExitCode);
        Assert.Contains("-        image: nginx:1.25\n+        image: nginx:1.26\n", diff.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await Kubectl.RunAsync("diff", "-f", manifest, "-n", _ns)).ExitCode);

        // kubectl edit runs $EDITOR on the object; this one bumps the image.
        var editor = _files.File("editor.sh");
        await File.WriteAllTextAsync(editor, "#!/bin/sh\nsed -i 's/nginx:1.25/nginx:1.30/' \"$1\"\n");
        File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var edit = Kubectl.Start(["edit", "deployment", "web", "-n", _ns], redirectInput: false, ("EDITOR", editor));
        await edit.WaitForExitAsync();
        Assert.True(edit.ExitCode == 0, await edit.StandardError.ReadToEndAsync());
        Assert.Equal("nginx:1.30", Containers(await GetAsync("deployment", "web"))[0]!["image"]!.GetValue<string>());
        edit.Dispose();

        var replaced = await Kubectl.RunAsync("replace", "-f", changed, "-n", _ns);
        Assert.Equal("deployment.apps/web replaced\n", replaced.Out);
        Assert.Equal("nginx:1.26", Containers(await GetAsync("deployment", "web"))[0]!["image"]!.GetValue<string>());

        var resources = await Kubectl.RunAsync("set", "resources", "deployment/web", "-c", "web", "--limits=cpu=500m,memory=256Mi", "-n", _ns);
        Assert.Equal("deployment.apps/web resource requirements updated\n", resources.Out);
        var limits = (await GetAsync("deployment", "web"))["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!;
        AssertJson("""{"cpu":"500m","memory":"256Mi"}""", limits);
    }

    [Fact]
    public async Task ApplyPrune_WhenAnObjectLeavesTheDirectory_ThenItIsDeleted()
    {
        await CreateNamespaceAsync();
        var directory = _files.File("manifests");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "a.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {set: demo}\ndata: {k: v}\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "b.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {set: demo}\ndata: {k: v}\n");
        var first = await Kubectl.RunAsync("apply", "-f", directory, "-n", _ns, "--prune", "-l", "set=demo");
        Assert.True(first.ExitCode == 0, first.Err);

        File.Delete(Path.Combine(directory, "b.yaml"));
        var second = await Kubectl.RunAsync("apply", "-f", directory, "-n", _ns, "--prune", "-l", "set=demo");

        Assert.True(second.ExitCode == 0, second.Err);
        Assert.Contains("configmap/a unchanged", second.Out, StringComparison.Ordinal);
        Assert.Contains("configmap/b pruned", second.Out, StringComparison.Ordinal);
        Assert.NotEqual(0, (await Kubectl.RunAsync("get", "configmap", "b", "-n", _ns)).ExitCode);
    }

    public void Dispose() => _files.Dispose();

    /// <summary>A deployment's containers as the manifest states them: name, image and env (the server adds defaults).</summary>
    private static JsonArray Containers(JsonNode deployment) => new([.. deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray()
        .Select(c => (JsonNode)new JsonObject([.. c!.AsObject()
            .Where(p => p.Key is "name" or "image" or "env")
            .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))]))]);

    /// <summary>Equal as JSON: kubectl prints object keys sorted, so their order is not compared.</summary>
    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");

    private async Task CreateNamespaceAsync() => Assert.Equal(0, (await Kubectl.RunAsync("create", "namespace", _ns)).ExitCode);

    private async Task<(int ExitCode, string Out, string Err)> ApplyAsync(string path)
    {
        var result = await Kubectl.RunAsync("apply", "-f", path, "-n", _ns);
        Assert.True(result.ExitCode == 0, result.Err);
        return result;
    }

    private async Task<JsonNode> GetAsync(string kind, string name)
    {
        var got = await Kubectl.RunAsync("get", kind, name, "-n", _ns, "-o", "json");
        Assert.True(got.ExitCode == 0, got.Err);
        return JsonNode.Parse(got.Out)!;
    }
}

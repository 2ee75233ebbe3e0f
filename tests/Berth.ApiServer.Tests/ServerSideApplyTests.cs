using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>
/// Server-side apply and managedFields through the real kubectl and raw HTTPS: ownership per manager, pruning,
/// conflicts and <c>--force-conflicts</c>, the client-side to server-side migration, and the errors upstream gives.
/// </summary>
public sealed class ServerSideApplyTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels: {tier: front}
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
        """;

    private const string ApplyPatch = "application/apply-patch+yaml";

    private readonly TempDirectory _files = new("ssa");
    private readonly string _ns = "ssa-" + Guid.NewGuid().ToString("N")[..8];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task ServerSideApply_WhenTheManifestChanges_ThenTheObjectFollowsItAndDroppedFieldsArePruned()
    {
        await CreateNamespaceAsync();

        Assert.Equal("deployment.apps/web serverside-applied\n", (await ApplyAsync(await _files.WriteAsync(Deployment))).Out);
        var created = await GetAsync("deployment", "web");
        var entry = Assert.Single(created["metadata"]!["managedFields"]!.AsArray())!;
        Assert.Equal(("kubectl", "Apply", "apps/v1"), (Text(entry, "manager"), Text(entry, "operation"), Text(entry, "apiVersion")));
        Assert.Contains("k:{\"name\":\"web\"}", entry["fieldsV1"]!["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!.AsObject().Select(p => p.Key));

        var changed = Deployment
            .Replace("  labels: {tier: front}\n", "", StringComparison.Ordinal)
            .Replace("nginx:1.25", "nginx:1.26", StringComparison.Ordinal)
            .Replace("        - {name: A, value: \"1\"}\n", "", StringComparison.Ordinal);
        Assert.Equal("deployment.apps/web serverside-applied\n", (await ApplyAsync(await _files.WriteAsync(changed))).Out);

        var stored = await GetAsync("deployment", "web");
        Assert.Null(stored["metadata"]!["labels"]);
        var container = stored["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.26", Text(container, "image"));
        AssertJson("""[{"name":"B","value":"2"}]""", container["env"]);
        // Defaults the server filled in belong to nobody and stay.
        Assert.Equal("IfNotPresent", Text(container, "imagePullPolicy"));
    }

    [Fact]
    public async Task ServerSideApply_WhenAnotherManagerSetAFieldDifferently_ThenItConflictsUntilForced()
    {
        await CreateNamespaceAsync();
        var manifest = await _files.WriteAsync(Deployment);
        await ApplyAsync(manifest);
        var other = await _files.WriteAsync(Deployment.Replace("replicas: 2", "replicas: 5", StringComparison.Ordinal));

        var conflict = await Kubectl.RunAsync("apply", "--server-side", "--field-manager=autoscaler", "-f", other, "-n", _ns);

        Assert.Equal(1, conflict.ExitCode);
        Assert.Contains("error: Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas", conflict.Err, StringComparison.Ordinal);
        Assert.Contains("--force-conflicts", conflict.Err, StringComparison.Ordinal);
        Assert.Equal(2, (await GetAsync("deployment", "web"))["spec"]!["replicas"]!.GetValue<int>());

        var forced = await Kubectl.RunAsync("apply", "--server-side", "--field-manager=autoscaler", "--force-conflicts", "-f", other, "-n", _ns);
        Assert.True(forced.ExitCode == 0, forced.Err);
        var stored = await GetAsync("deployment", "web");
        Assert.Equal(5, stored["spec"]!["replicas"]!.GetValue<int>());
        // replicas changed hands; everything else is now owned by both managers.
        var owners = stored["metadata"]!["managedFields"]!.AsArray().ToDictionary(e => Text(e!, "manager"), e => e!["fieldsV1"]!["f:spec"]!.AsObject());
        Assert.False(owners["kubectl"].ContainsKey("f:replicas"));
        Assert.True(owners["autoscaler"].ContainsKey("f:replicas"));

        // kubectl re-applying its own manifest now conflicts with the new owner, naming it.
        var back = await Kubectl.RunAsync("apply", "--server-side", "-f", manifest, "-n", _ns);
        Assert.Contains("conflict with \"autoscaler\": .spec.replicas", back.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerSideApply_WhenTheObjectWasAppliedClientSide_ThenKubectlMigratesOwnershipSoRemovalsPrune()
    {
        await CreateNamespaceAsync();
        var both = await _files.WriteAsync("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n  b: \"2\"\n");
        Assert.Equal(0, (await Kubectl.RunAsync("apply", "-f", both, "-n", _ns)).ExitCode);
        var csa = Assert.Single((await GetAsync("configmap", "settings"))["metadata"]!["managedFields"]!.AsArray())!;
        Assert.Equal(("kubectl-client-side-apply", "Update"), (Text(csa, "manager"), Text(csa, "operation")));
        Assert.NotNull(csa["fieldsV1"]!["f:metadata"]!["f:annotations"]!["f:kubectl.kubernetes.io/last-applied-configuration"]);

        await ApplyAsync(both);

        var managers = (await GetAsync("configmap", "settings"))["metadata"]!["managedFields"]!.AsArray().Select(e => Text(e!, "manager")).Order().ToList();
        Assert.Equal(["kubectl", "kubectl-last-applied"], managers);
        await ApplyAsync(await _files.WriteAsync("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n"));
        AssertJson("""{"a":"1"}""", (await GetAsync("configmap", "settings"))["data"]);
    }

    [Fact]
    public async Task Writes_WhenKubectlCreatesLabelsAndScales_ThenEachRecordsAnUpdateEntryForItsManager()
    {
        await CreateNamespaceAsync();
        Assert.Equal(0, (await Kubectl.RunAsync("create", "deployment", "web", "--image=nginx", "-n", _ns)).ExitCode);
        Assert.Equal(0, (await Kubectl.RunAsync("label", "deployment", "web", "team=a", "-n", _ns)).ExitCode);
        Assert.Equal(0, (await Kubectl.RunAsync("scale", "deployment", "web", "--replicas=3", "-n", _ns)).ExitCode);

        var entries = (await GetAsync("deployment", "web"))["metadata"]!["managedFields"]!.AsArray().Select(e => e!).ToList();

        var create = entries.Single(e => Text(e, "manager") == "kubectl-create");
        Assert.Equal("Update", Text(create, "operation"));
        // The creator owns what the server defaulted, as upstream records it.
        Assert.NotNull(create["fieldsV1"]!["f:spec"]!["f:progressDeadlineSeconds"]);
        Assert.NotNull(create["fieldsV1"]!["f:spec"]!["f:template"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"nginx\"}"]!["f:image"]);
        Assert.Null(create["fieldsV1"]!["f:spec"]!["f:replicas"]);
        var label = entries.Single(e => Text(e, "manager") == "kubectl-label");
        Assert.NotNull(label["fieldsV1"]!["f:metadata"]!["f:labels"]!["f:team"]);
        var scale = entries.Single(e => e["subresource"]?.GetValue<string>() == "scale");
        Assert.NotNull(scale["fieldsV1"]!["f:spec"]!["f:replicas"]);
        // kubectl hides them unless asked.
        Assert.DoesNotContain("managedFields", (await Kubectl.RunAsync("get", "deployment", "web", "-n", _ns, "-o", "yaml")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiffServerSide_WhenTheManifestChanges_ThenItShowsTheChangeAndStoresNothing()
    {
        await CreateNamespaceAsync();
        await ApplyAsync(await _files.WriteAsync(Deployment));
        var before = await GetAsync("deployment", "web");

        var diff = await Kubectl.RunAsync("diff", "--server-side", "-f", await _files.WriteAsync(Deployment.Replace("nginx:1.25", "nginx:1.27", StringComparison.Ordinal)), "-n", _ns);

        Assert.Equal(1, diff.ExitCode);
        Assert.Contains("-        image: nginx:1.25\n+        image: nginx:1.27\n", diff.Out, StringComparison.Ordinal);
        Assert.Equal(Text(before["metadata"]!, "resourceVersion"), Text((await GetAsync("deployment", "web"))["metadata"]!, "resourceVersion"));
    }

    [Fact]
    public async Task ApplyPatch_WhenTheRequestIsWrong_ThenUpstreamsErrorsAndNothingChanges()
    {
        await CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{_ns}/configmaps/c";
        const string Config = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}""";

        var noManager = await server.SendAsync(HttpMethod.Patch, path, Config, ApplyPatch);
        Assert.Equal(422, noManager.Code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch", Text(noManager.Body!, "message"));

        var created = await server.SendAsync(HttpMethod.Patch, path + "?fieldManager=tool", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n", ApplyPatch);
        Assert.Equal(201, created.Code);

        var unknown = await server.SendAsync(HttpMethod.Patch, path + "?fieldManager=tool", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"bogus":1}""", ApplyPatch);
        Assert.Equal(400, unknown.Code);
        Assert.Equal($"failed to create typed patch object ({_ns}/c; v1, Kind=ConfigMap): .bogus: field not declared in schema", Text(unknown.Body!, "message"));

        var withManagedFields = await server.SendAsync(HttpMethod.Patch, path + "?fieldManager=tool",
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","managedFields":[{"manager":"x"}]}}""", ApplyPatch);
        Assert.Equal(400, withManagedFields.Code);

        var malformed = await server.SendAsync(HttpMethod.Patch, path + "?fieldManager=tool", "data: [unclosed", ApplyPatch);
        Assert.Equal(400, malformed.Code);

        var forcedMerge = await server.SendAsync(HttpMethod.Patch, path + "?force=true", """{"data":{"k":"w"}}""", "application/merge-patch+json");
        Assert.Equal(422, forcedMerge.Code);
        Assert.Equal("PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch", Text(forcedMerge.Body!, "message"));

        var conflict = await server.SendAsync(HttpMethod.Patch, path + "?fieldManager=other", Config.Replace("\"v\"", "\"w\"", StringComparison.Ordinal), ApplyPatch);
        Assert.Equal(409, conflict.Code);
        AssertJson("""[{"reason":"FieldManagerConflict","message":"conflict with \"tool\"","field":".data.k"}]""", conflict.Body!["details"]!["causes"]);

        var (_, stored) = await server.SendAsync(HttpMethod.Get, path);
        AssertJson("""{"k":"v"}""", stored!["data"]);
    }

    public void Dispose() => _files.Dispose();

    private static string Text(JsonNode node, string field) => node[field]!.GetValue<string>();

    /// <summary>Equal as JSON: kubectl prints object keys sorted, so their order is not compared.</summary>
    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual?.ToJsonString()}");

    private async Task CreateNamespaceAsync() => Assert.Equal(0, (await Kubectl.RunAsync("create", "namespace", _ns)).ExitCode);

    private async Task<(int ExitCode, string Out, string Err)> ApplyAsync(string path)
    {
        var result = await Kubectl.RunAsync("apply", "--server-side", "-f", path, "-n", _ns);
        Assert.True(result.ExitCode == 0, result.Err);
        return result;
    }

    private async Task<JsonNode> GetAsync(string kind, string name)
    {
        var got = await Kubectl.RunAsync("get", kind, name, "-n", _ns, "-o", "json", "--show-managed-fields");
        Assert.True(got.ExitCode == 0, got.Err);
        return JsonNode.Parse(got.Out)!;
    }
}

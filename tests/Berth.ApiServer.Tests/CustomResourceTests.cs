using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Testing;
using k8s;
using k8s.Models;
using AnyObject = Berth.ApiServer.Tests.KubernetesClientEveryKindTests.AnyObject;

namespace Berth.ApiServer.Tests;

/// <summary>
/// CustomResourceDefinitions through the real kubectl and the official client: a definition is served at once
/// (discovery, CRUD, watch, Tables with its printer columns, scale, OpenAPI for explain) and takes its objects
/// with it when it is deleted.
/// </summary>
public sealed class CustomResourceTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Definition = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: crontabs.GROUP
        spec:
          group: GROUP
          scope: Namespaced
          names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [SHORT]}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      cronSpec: {type: string, description: The schedule in cron format.}
                      image: {type: string}
                      replicas: {type: integer, minimum: 0}
                      concurrencyPolicy: {type: string, enum: [Allow, Forbid], default: Allow}
                      extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
                  status:
                    type: object
                    properties:
                      replicas: {type: integer}
            additionalPrinterColumns:
            - {name: Spec, type: string, jsonPath: .spec.cronSpec}
            - {name: Replicas, type: integer, jsonPath: .spec.replicas}
            subresources:
              status: {}
              scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
        """;

    private const string CronTab = """
        apiVersion: GROUP/v1
        kind: CronTab
        metadata:
          name: NAME
        spec:
          cronSpec: "* * * * */5"
          image: my-cron-image
          replicas: 3
        """;

    private readonly TempDirectory _files = new("crd");
    private readonly string _ns = "crd-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _group = Guid.NewGuid().ToString("N")[..8] + ".example.com";
    private readonly string _short = "ct" + Guid.NewGuid().ToString("N")[..6];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task Definition_WhenCreated_ThenItsResourceIsServedAndPrintsItsColumns()
    {
        await DefineAsync();

        Assert.Equal($"crontab.{_group}/daily created\n", (await Kubectl.SucceedAsync("apply", "-f", await _files.WriteAsync(Object("daily")), "-n", _ns)).Out);
        Assert.Equal($"crontab.{_group}/daily unchanged\n", (await Kubectl.SucceedAsync("apply", "-f", await _files.WriteAsync(Object("daily")), "-n", _ns)).Out);

        var table = (await Kubectl.SucceedAsync("get", _short, "-n", _ns)).Out.Split('\n');
        Assert.Matches(@"^NAME\s+SPEC\s+REPLICAS$", table[0]);
        Assert.Matches(@"^daily\s+\* \* \* \* \*/5\s+3$", table[1]);
        Assert.Contains(_group + "/v1", (await Kubectl.SucceedAsync("api-resources", "--api-group", _group)).Out, StringComparison.Ordinal);

        var conditions = JsonNode.Parse((await Kubectl.SucceedAsync("get", "crd", "crontabs." + _group, "-o", "jsonpath={.status.conditions}")).Out)!.AsArray();
        Assert.Contains(conditions, c => c!["type"]!.GetValue<string>() == "Established" && c["status"]!.GetValue<string>() == "True");
        Assert.Contains(conditions, c => c!["type"]!.GetValue<string>() == "NamesAccepted" && c["reason"]!.GetValue<string>() == "NoConflicts");
    }

    [Fact]
    public async Task CustomObjects_WhenPatchedAppliedScaledAndExplained_ThenTheyBehaveAsBuiltIns()
    {
        await DefineAsync();
        await Kubectl.SucceedAsync("apply", "-f", await _files.WriteAsync(Object("daily")), "-n", _ns);

        await Kubectl.SucceedAsync("patch", Resource, "daily", "-n", _ns, "--type=merge", "-p", """{"spec":{"image":"other"}}""");
        var strategic = await Kubectl.RunAsync("patch", Resource, "daily", "-n", _ns, "-p", """{"spec":{"image":"x"}}""");
        Assert.NotEqual(0, strategic.ExitCode);
        Assert.Contains("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml", strategic.Err, StringComparison.Ordinal);

        var applied = await Kubectl.SucceedAsync("apply", "--server-side", "--force-conflicts", "-f", await _files.WriteAsync(Object("daily").Replace("replicas: 3", "replicas: 4", StringComparison.Ordinal)), "-n", _ns);
        Assert.Equal($"crontab.{_group}/daily serverside-applied\n", applied.Out);

        Assert.Equal($"crontab.{_group}/daily scaled\n", (await Kubectl.SucceedAsync("scale", Resource, "daily", "--replicas=7", "-n", _ns)).Out);
        var stored = JsonNode.Parse((await Kubectl.SucceedAsync("get", Resource, "daily", "-n", _ns, "-o", "json")).Out)!;
        Assert.Equal(7, stored["spec"]!["replicas"]!.GetValue<int>());
        // The forced apply took the image back from the merge patch.
        Assert.Equal("my-cron-image", stored["spec"]!["image"]!.GetValue<string>());

        var explain = await Kubectl.SucceedAsync("explain", $"crontabs.spec.cronSpec", "--api-version", _group + "/v1");
        Assert.Contains("FIELD: cronSpec <string>", explain.Out, StringComparison.Ordinal);
        Assert.Contains("The schedule in cron format.", explain.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CustomObjects_WhenWritten_ThenTheSchemaPrunesDefaultsAndValidatesThem()
    {
        await DefineAsync();
        var unknown = Object("daily").Replace("  replicas: 3", "  replicas: 3\n  bogus: 1\n  extra: {anything: [1, 2]}", StringComparison.Ordinal);

        var strict = await Kubectl.RunAsync("apply", "-f", await _files.WriteAsync(unknown), "-n", _ns);
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains("strict decoding error: unknown field \"spec.bogus\"", strict.Err, StringComparison.Ordinal);

        var warned = await Kubectl.SucceedAsync("apply", "--validate=warn", "-f", await _files.WriteAsync(unknown), "-n", _ns);
        Assert.Contains("Warning: unknown field \"spec.bogus\"", warned.Err, StringComparison.Ordinal);
        var stored = JsonNode.Parse((await Kubectl.SucceedAsync("get", Resource, "daily", "-n", _ns, "-o", "json")).Out)!["spec"]!;
        Assert.Null(stored["bogus"]);
        Assert.Equal("[1,2]", stored["extra"]!["anything"]!.ToJsonString());
        Assert.Equal("Allow", stored["concurrencyPolicy"]!.GetValue<string>());

        var invalid = await Kubectl.RunAsync("apply", "-f", await _files.WriteAsync(Object("bad")
            .Replace("replicas: 3", "replicas: -1\n  concurrencyPolicy: Sometimes\n  image: 7", StringComparison.Ordinal)), "-n", _ns);
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0", invalid.Err, StringComparison.Ordinal);
        Assert.Contains("spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\"", invalid.Err, StringComparison.Ordinal);
        Assert.Contains("spec.image: Invalid value: \"integer\": spec.image in body must be of type string: \"integer\"", invalid.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenericClient_WhenItCreatesWatchesAndDeletes_ThenEveryStepIsSeen()
    {
        await DefineAsync();
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));
        using var generic = new GenericClient(client, _group, "v1", "crontabs", disposeClient: false);
        var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<JsonElement>(_group, "v1", _ns, "crontabs");
        var resourceVersion = list.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, item) in client.CustomObjects.WatchListNamespacedCustomObjectAsync(_group, "v1", _ns, "crontabs",
                resourceVersion: resourceVersion, cancellationToken: deadline.Token))
            {
                seen.Add((type, ((JsonElement)item).GetProperty("metadata").GetProperty("name").GetString()!));
                if (type == WatchEventType.Deleted)
                    return;
            }
        });

        var created = await generic.CreateNamespacedAsync(new AnyObject
        {
            ApiVersion = _group + "/v1",
            Kind = "CronTab",
            Metadata = new V1ObjectMeta { Name = "nightly" },
            Rest = new Dictionary<string, JsonElement> { ["spec"] = JsonDocument.Parse("""{"cronSpec":"0 0 * * *","replicas":1}""").RootElement.Clone() },
        }, _ns);
        var read = await generic.ReadNamespacedAsync<AnyObject>(_ns, "nightly");
        await generic.DeleteNamespacedAsync<AnyObject>(_ns, "nightly");
        await watching.WaitAsync(deadline.Token);

        Assert.Equal(created.Metadata.Uid, read.Metadata.Uid);
        Assert.Equal([(WatchEventType.Added, "nightly"), (WatchEventType.Deleted, "nightly")], seen);
    }

    [Fact]
    public async Task Definition_WhenDeleted_ThenItsObjectsGoAndTheResourceIsNoLongerServed()
    {
        await DefineAsync();
        await Kubectl.SucceedAsync("apply", "-f", await _files.WriteAsync(Object("a")), "-n", _ns);
        await Kubectl.SucceedAsync("apply", "-f", await _files.WriteAsync(Object("b")), "-n", _ns);

        Assert.Equal($"customresourcedefinition.apiextensions.k8s.io \"crontabs.{_group}\" deleted\n", (await Kubectl.SucceedAsync("delete", "crd", "crontabs." + _group)).Out);

        var (code, _) = await server.SendAsync(HttpMethod.Get, $"/apis/{_group}/v1/namespaces/{_ns}/crontabs");
        Assert.Equal(404, code);
        var left = await server.Store.ListAsync($"/registry/{_group}/crontabs/", Berth.Storage.ListOptions.All, CancellationToken.None);
        Assert.Empty(left.Items);
    }

    [Fact]
    public async Task Definition_WhenInvalid_ThenEveryProblemIsAFieldCause()
    {
        var invalid = await Kubectl.RunAsync("apply", "-f", await _files.WriteAsync("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: wrong.example.com}
            spec:
              group: nodots
              scope: Everywhere
              names: {plural: things, kind: Thing}
              versions: [{name: v1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}]
            """));

        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains("spec.group: Invalid value: \"nodots\": should be a domain with at least one dot", invalid.Err, StringComparison.Ordinal);
        Assert.Contains("metadata.name: Invalid value: \"wrong.example.com\": must be spec.names.plural+\".\"+spec.group", invalid.Err, StringComparison.Ordinal);
        Assert.Contains("spec.scope: Unsupported value: \"Everywhere\"", invalid.Err, StringComparison.Ordinal);
        Assert.Contains("must have exactly one version marked as storage version", invalid.Err, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();

    private async Task DefineAsync()
    {
        await Kubectl.SucceedAsync("create", "namespace", _ns);
        await Kubectl.SucceedAsync("apply", "-f", await _files.WriteAsync(Definition.Replace("GROUP", _group, StringComparison.Ordinal).Replace("SHORT", _short, StringComparison.Ordinal)));
        await Kubectl.SucceedAsync("wait", "--for", "condition=established", "--timeout=30s", "crd/crontabs." + _group);
    }

    /// <summary>The resource by its full name: the tests' definitions share their plural and differ by group.</summary>
    private string Resource => "crontabs." + _group;

    private string Object(string name) =>
        CronTab.Replace("GROUP", _group, StringComparison.Ordinal).Replace("NAME", name, StringComparison.Ordinal);
}

using System.Text.Json.Nodes;
using Berth.ApiServer.Bootstrap;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>
/// Upstream's Priority admission, system PriorityClasses and PriorityClass validation, through kubectl and REST.
/// Only the global-default tests create pods without a class name, so no other test here depends on which class is
/// the default.
/// </summary>
public sealed class PriorityAdmissionTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private const string PriorityClasses = "/apis/scheduling.k8s.io/v1/priorityclasses";
    private const string Pods = "/api/v1/namespaces/default/pods";

    private readonly TempDirectory _files = new("priority");
    private readonly string _name = "prio-" + Guid.NewGuid().ToString("N")[..10];
    private readonly List<string[]> _cleanup = [];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task GetPriorityClasses_OnANewCluster_ListsTheSystemClasses()
    {
        var table = await Kubectl.SucceedAsync("get", "priorityclasses");
        var nodeCritical = await GetAsync("priorityclass", "system-node-critical");
        var clusterCritical = await GetAsync("priorityclass", "system-cluster-critical");

        Assert.Matches(@"(?m)^system-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority$", table.Out);
        Assert.Matches(@"(?m)^system-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority$", table.Out);
        Assert.Equal("Used for system critical pods that must not be moved from their current node.", (string?)nodeCritical["description"]);
        Assert.Equal("Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
            (string?)clusterCritical["description"]);
    }

    [Fact]
    public async Task EnsureAsync_WhenTheClassesExist_LeavesThemAsTheyAre()
    {
        var before = (await GetAsync("priorityclass", "system-cluster-critical"))["metadata"]!;

        await SystemPriorityClasses.EnsureAsync(server.Store, TimeProvider.System, CancellationToken.None);
        var after = (await GetAsync("priorityclass", "system-cluster-critical"))["metadata"]!;

        Assert.Equal((string?)before["uid"], (string?)after["uid"]);
        Assert.Equal((string?)before["resourceVersion"], (string?)after["resourceVersion"]);
    }

    [Fact]
    public async Task DeletePriorityClass_WhenItIsASystemClass_IsForbiddenAndKeepsIt()
    {
        var deleted = await Kubectl.RunAsync("delete", "priorityclass", "system-node-critical");
        var kept = await Kubectl.RunAsync("get", "priorityclass", "system-node-critical");

        Assert.Equal(1, deleted.ExitCode);
        Assert.Equal("Error from server (Forbidden): priorityclasses.scheduling.k8s.io \"system-node-critical\" is forbidden: " +
            "this is a system priority class and cannot be deleted\n", deleted.Err);
        Assert.True(kept.ExitCode == 0, kept.Err);
    }

    [Fact]
    public async Task CreatePod_NamingAPriorityClass_TakesItsValueAndPreemptionPolicy()
    {
        await CreatePriorityClassAsync(_name, """ "value":4321,"preemptionPolicy":"Never" """);

        await CreatePodAsync(_name + "-own", $$"""{"priorityClassName":"{{_name}}"}""");
        await CreatePodAsync(_name + "-system", """{"priorityClassName":"system-node-critical"}""");
        var own = (await GetAsync("pod", _name + "-own"))["spec"]!;
        var system = (await GetAsync("pod", _name + "-system"))["spec"]!;

        Assert.Equal(_name, (string?)own["priorityClassName"]);
        Assert.Equal(4321, (int)own["priority"]!);
        Assert.Equal("Never", (string?)own["preemptionPolicy"]);
        Assert.Equal(2000001000, (int)system["priority"]!);
        Assert.Equal("PreemptLowerPriority", (string?)system["preemptionPolicy"]);
    }

    [Fact]
    public async Task CreatePod_NamingAnUnknownPriorityClass_IsForbidden()
    {
        var file = await WriteAsync(Pod(_name, $$"""{"priorityClassName":"{{_name}}-missing"}"""));

        var created = await Kubectl.RunAsync("create", "-f", file);
        var got = await Kubectl.RunAsync("get", "pod", _name);

        Assert.Equal(1, created.ExitCode);
        Assert.Equal($"Error from server (Forbidden): error when creating \"{file}\": pods \"{_name}\" is forbidden: " +
            $"no PriorityClass with name {_name}-missing was found\n", created.Err);
        Assert.Equal(1, got.ExitCode);
    }

    public static TheoryData<string, int, string?> StatedPriorities => new()
    {
        { """ "priority":5 """, 403,
            "the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name" },
        { """ "preemptionPolicy":"Never" """, 403,
            "the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name" },
        { """ "priority":1000,"preemptionPolicy":"PreemptLowerPriority" """, 201, null },
    };

    [Theory]
    [MemberData(nameof(StatedPriorities))]
    public async Task CreatePod_StatingAPriorityOrPolicy_IsForbiddenUnlessItIsTheComputedOne(string stated, int expectedCode, string? reason)
    {
        await CreatePriorityClassAsync(_name, """ "value":1000 """);
        _cleanup.Add(["delete", "pod", _name, "--ignore-not-found"]);

        var (code, body) = await server.SendAsync(HttpMethod.Post, Pods, Pod(_name, $$"""{"priorityClassName":"{{_name}}",{{stated}}}"""));

        Assert.Equal(expectedCode, code);
        if (reason is not null)
        {
            Assert.Equal("Forbidden", (string?)body!["reason"]);
            Assert.Equal($"pods \"{_name}\" is forbidden: {reason}", (string?)body["message"]);
            Assert.Equal(404, (await server.SendAsync(HttpMethod.Get, $"{Pods}/{_name}")).Code);
        }
    }

    [Fact]
    public async Task CreatePod_WithoutAPriorityClassName_TakesTheGlobalDefaultClass()
    {
        await CreatePriorityClassAsync(_name, """ "value":77,"globalDefault":true,"preemptionPolicy":"Never" """);
        // Admission reads classes from the watch cache, as upstream's reads its informer; a list is a consistent read,
        // so once it shows the new default, so does the cache.
        var table = await Kubectl.SucceedAsync("get", "priorityclasses");

        await CreatePodAsync(_name, "{}");
        var spec = (await GetAsync("pod", _name))["spec"]!;

        Assert.Matches($@"(?m)^{_name}\s+77\s+true\s+", table.Out);
        Assert.Equal(_name, (string?)spec["priorityClassName"]);
        Assert.Equal(77, (int)spec["priority"]!);
        Assert.Equal("Never", (string?)spec["preemptionPolicy"]);
    }

    [Fact]
    public async Task CreatePriorityClass_WhenAnotherIsTheGlobalDefault_IsForbidden()
    {
        await CreatePriorityClassAsync(_name, """ "value":10,"globalDefault":true """);
        await CreatePriorityClassAsync(_name + "-plain", """ "value":20 """);
        var second = await WriteAsync(PriorityClass(_name + "-second", """ "value":30,"globalDefault":true """));
        _cleanup.Add(["delete", "priorityclass", _name + "-second", "--ignore-not-found"]);

        var created = await Kubectl.RunAsync("create", "-f", second);
        var patched = await Kubectl.RunAsync("patch", "priorityclass", _name + "-plain", "--type=merge", "-p", """{"globalDefault":true}""");
        var described = await Kubectl.RunAsync("patch", "priorityclass", _name, "--type=merge", "-p", """{"description":"still the default"}""");

        var refusal = $"is forbidden: PriorityClass {_name} is already marked as default. Only one default can exist\n";
        Assert.Equal(1, created.ExitCode);
        Assert.Equal($"Error from server (Forbidden): error when creating \"{second}\": priorityclasses.scheduling.k8s.io \"{_name}-second\" {refusal}",
            created.Err);
        Assert.Equal(1, patched.ExitCode);
        Assert.Equal($"Error from server (Forbidden): priorityclasses.scheduling.k8s.io \"{_name}-plain\" {refusal}", patched.Err);
        Assert.True(described.ExitCode == 0, described.Err);
    }

    public static TheoryData<string, string, string?> PriorityClassRules => new()
    {
        { "", """ "value":1000000001 """, "value: Forbidden: maximum allowed value of a user defined priority is 1000000000" },
        { "", """ "value":1000000000 """, null },
        { "system-", """ "value":10 """,
            "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: {0} is not a known system priority class" },
        { "", """ "value":10,"preemptionPolicy":"Sometimes" """,
            "preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"PreemptLowerPriority\", \"Never\"" },
    };

    [Theory]
    [MemberData(nameof(PriorityClassRules))]
    public async Task CreatePriorityClass_BreakingUpstreamRules_IsInvalid(string prefix, string fields, string? error)
    {
        var name = prefix + _name;
        _cleanup.Add(["delete", "priorityclass", name, "--ignore-not-found"]);

        var (code, body) = await server.SendAsync(HttpMethod.Post, PriorityClasses, PriorityClass(name, fields));

        if (error is null)
        {
            Assert.Equal(201, code);
            return;
        }
        Assert.Equal(422, code);
        Assert.Equal($"PriorityClass.scheduling.k8s.io \"{name}\" is invalid: {string.Format(System.Globalization.CultureInfo.InvariantCulture, error, name)}",
            (string?)body!["message"]);
    }

    [Fact]
    public async Task CreatePriorityClass_NamedLikeASystemClassWithAnotherValue_IsInvalid()
    {
        var (code, body) = await server.SendAsync(HttpMethod.Post, PriorityClasses, PriorityClass("system-node-critical", """ "value":5 """));

        Assert.Equal(422, code);
        Assert.Equal("PriorityClass.scheduling.k8s.io \"system-node-critical\" is invalid: metadata.name: Forbidden: priority class names with " +
            "'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000", (string?)body!["message"]);
    }

    public static TheoryData<string, string> ImmutableFields => new()
    {
        { """{"value":5}""", "value: Forbidden: may not be changed in an update." },
        { """{"preemptionPolicy":"Never"}""", "preemptionPolicy: Invalid value: \"Never\": field is immutable" },
    };

    [Theory]
    [MemberData(nameof(ImmutableFields))]
    public async Task PatchPriorityClass_ChangingValueOrPolicy_IsInvalid(string patch, string error)
    {
        await CreatePriorityClassAsync(_name, """ "value":1 """);

        var patched = await Kubectl.RunAsync("patch", "priorityclass", _name, "--type=merge", "-p", patch);
        var kept = await GetAsync("priorityclass", _name);

        Assert.Equal(1, patched.ExitCode);
        Assert.Equal($"The PriorityClass \"{_name}\" is invalid: {error}\n", patched.Err);
        Assert.Equal(1, (int)kept["value"]!);
        Assert.Equal("PreemptLowerPriority", (string?)kept["preemptionPolicy"]);
    }

    [Fact]
    public async Task ReplacePod_LeavingOutPriority_KeepsTheAdmittedPriority()
    {
        await CreatePriorityClassAsync(_name, """ "value":600 """);
        await CreatePodAsync(_name, $$"""{"priorityClassName":"{{_name}}"}""");
        var pod = await GetAsync("pod", _name);
        pod["spec"]!.AsObject().Remove("priority");
        pod["spec"]!.AsObject().Remove("preemptionPolicy");

        var (code, body) = await server.SendAsync(HttpMethod.Put, $"{Pods}/{_name}", pod.ToJsonString());

        Assert.True(code == 200, body?.ToJsonString());
        Assert.Equal(600, (int)body!["spec"]!["priority"]!);
        Assert.Equal("PreemptLowerPriority", (string?)body["spec"]!["preemptionPolicy"]);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var args in Enumerable.Reverse(_cleanup))
            await Kubectl.RunAsync(args);
        _files.Dispose();
    }

    private async Task CreatePriorityClassAsync(string name, string fields)
    {
        _cleanup.Add(["delete", "priorityclass", name, "--ignore-not-found"]);
        await Kubectl.SucceedAsync("create", "-f", await WriteAsync(PriorityClass(name, fields)));
    }

    private async Task CreatePodAsync(string name, string spec)
    {
        _cleanup.Add(["delete", "pod", name, "--ignore-not-found", "--wait=false"]);
        await Kubectl.SucceedAsync("create", "-f", await WriteAsync(Pod(name, spec)));
    }

    private async Task<JsonNode> GetAsync(string kind, string name) =>
        JsonNode.Parse((await Kubectl.SucceedAsync("get", kind, name, "-o", "json")).Out)!;

    private async Task<string> WriteAsync(string json)
    {
        var path = _files.File($"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, json);
        return path;
    }

    private static string PriorityClass(string name, string fields) =>
        $$"""{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"{{name}}"},{{fields}}}""";

    /// <summary>A pod in the default namespace whose spec is <paramref name="spec"/> with one container added.</summary>
    private static string Pod(string name, string spec)
    {
        var podSpec = JsonNode.Parse(spec)!.AsObject();
        podSpec["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "busybox" });
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = podSpec,
        }.ToJsonString();
    }
}

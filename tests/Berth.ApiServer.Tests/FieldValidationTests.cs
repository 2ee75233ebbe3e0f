using System.Text.Json.Nodes;
using Berth.Testing;

namespace Berth.ApiServer.Tests;

/// <summary>Unknown fields through the real kubectl: --validate=strict (the default) refuses, warn warns, false ignores; none is stored.</summary>
public sealed class FieldValidationTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly TempDirectory _files = new("validation");
    private readonly string _ns = "fv-" + Guid.NewGuid().ToString("N")[..8];

    private Kubectl Kubectl => server.Kubectl;

    [Fact]
    public async Task Create_WhenValidationIsStrict_ThenUnknownFieldsAreRefusedWithTheirPaths()
    {
        var manifest = await PrepareAsync("strict");

        var (code, _, error) = await Kubectl.RunAsync("create", "-f", manifest, "-n", _ns);

        Assert.NotEqual(0, code);
        Assert.Contains("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: " +
            "unknown field \"spec.replica\", unknown field \"spec.template.spec.containers[0].imagePolicy\"", error, StringComparison.Ordinal);
        Assert.NotEqual(0, (await Kubectl.RunAsync("get", "deployment", "strict", "-n", _ns)).ExitCode);
    }

    [Fact]
    public async Task Create_WhenValidationWarns_ThenKubectlPrintsAWarningPerFieldAndTheFieldsAreDropped()
    {
        var manifest = await PrepareAsync("warned");

        var (code, output, error) = await Kubectl.RunAsync("create", "-f", manifest, "-n", _ns, "--validate=warn");

        Assert.True(code == 0, error);
        Assert.Equal("deployment.apps/warned created\n", output);
        Assert.Contains("Warning: unknown field \"spec.replica\"", error, StringComparison.Ordinal);
        Assert.Contains("Warning: unknown field \"spec.template.spec.containers[0].imagePolicy\"", error, StringComparison.Ordinal);
        var stored = JsonNode.Parse((await Kubectl.RunAsync("get", "deployment", "warned", "-n", _ns, "-o", "json")).Out)!;
        Assert.Null(stored["spec"]!["replica"]);
        Assert.Null(stored["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePolicy"]);
    }

    [Fact]
    public async Task Create_WhenValidationIsOff_ThenNothingIsSaidAndTheFieldsAreDropped()
    {
        var manifest = await PrepareAsync("ignored");

        var (code, _, error) = await Kubectl.RunAsync("create", "-f", manifest, "-n", _ns, "--validate=false");

        Assert.True(code == 0, error);
        Assert.DoesNotContain("unknown field", error, StringComparison.Ordinal);
        var stored = JsonNode.Parse((await Kubectl.RunAsync("get", "deployment", "ignored", "-n", _ns, "-o", "json")).Out)!;
        Assert.Null(stored["spec"]!["replica"]);
    }

    public void Dispose() => _files.Dispose();

    /// <summary>The namespace, and a deployment manifest with a misspelt field at two depths.</summary>
    private async Task<string> PrepareAsync(string name)
    {
        await Kubectl.RunAsync("create", "namespace", _ns);
        var path = _files.File(name + ".json");
        await File.WriteAllTextAsync(path, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"NAME"},"spec":{"replica":2,"selector":{"matchLabels":{"app":"x"}},
             "template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"nginx","imagePolicy":"Always"}]}}}}
            """.Replace("NAME", name, StringComparison.Ordinal));
        return path;
    }
}

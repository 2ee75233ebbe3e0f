namespace Berth.ApiServer.Tests;

/// <summary>OpenAPI v3 as kubectl reads it: the index, hashed group-version documents, and kubectl explain.</summary>
public sealed class OpenApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Explain_PrintsTheFieldWithItsTypeAndDescription()
    {
        var (code, output, error) = await server.Kubectl.RunAsync("explain", "pods.spec.containers.image");

        Assert.True(code == 0, error);
        Assert.StartsWith("KIND:       Pod\nVERSION:    v1\n\nFIELD: image <string>\n\n\nDESCRIPTION:\n    Container image name. More info:\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_WhenRecursive_ListsNestedFieldsWithTheirTypes()
    {
        var (code, output, error) = await server.Kubectl.RunAsync("explain", "deployment.spec.strategy", "--recursive");

        Assert.True(code == 0, error);
        Assert.Contains("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n", output, StringComparison.Ordinal);
        Assert.Matches(@"rollingUpdate\s+<RollingUpdateDeployment>\n\s+maxSurge\s+<IntOrString>\n\s+maxUnavailable\s+<IntOrString>\n\s+type\s+<string>", output);
    }

    [Fact]
    public async Task Explain_WhenAFieldTakesEitherForm_ThenItNamesTheTypeAsUpstreamDoes()
    {
        var port = await server.Kubectl.RunAsync("explain", "pods.spec.containers.livenessProbe.httpGet.port");
        var limits = await server.Kubectl.RunAsync("explain", "pods.spec.containers.resources");

        Assert.Contains("FIELD: port <IntOrString>", port.Out, StringComparison.Ordinal);
        Assert.Matches(@"limits\s+<map\[string\]Quantity>", limits.Out);
    }

    [Fact]
    public async Task GroupVersionDocument_IsServedByHashWithTheKindsAndTheirPatchOperations()
    {
        var (indexCode, index) = await server.SendAsync(HttpMethod.Get, "/openapi/v3");
        var url = index!["paths"]!["apis/apps/v1"]!["serverRelativeURL"]!.GetValue<string>();
        var (code, document) = await server.SendAsync(HttpMethod.Get, url);
        using var stale = await server.Admin.GetAsync(new Uri(url[..url.IndexOf("hash=", StringComparison.Ordinal)] + "hash=0000", UriKind.Relative));

        Assert.Equal(200, indexCode);
        Assert.Equal(200, code);
        Assert.Contains("api/v1", index["paths"]!.AsObject().Select(p => p.Key));
        var schema = document!["components"]!["schemas"]!.AsObject()
            .Single(s => s.Value!["x-kubernetes-group-version-kind"]?[0]?["kind"]?.GetValue<string>() == "Deployment").Value!;
        Assert.Equal("object", schema["type"]!.GetValue<string>());
        Assert.NotNull(schema["properties"]!["spec"]);
        // kubectl apply takes its patch metadata from here once the PATCH operation offers strategic merge patches.
        var podSpec = document["components"]!["schemas"]!.AsObject().Single(s => s.Key.EndsWith(".PodSpec", StringComparison.Ordinal)).Value!["properties"]!;
        Assert.Equal("name", podSpec["containers"]!["x-kubernetes-patch-merge-key"]!.GetValue<string>());
        Assert.Equal("merge", podSpec["containers"]!["x-kubernetes-patch-strategy"]!.GetValue<string>());
        Assert.Equal("merge,retainKeys", podSpec["volumes"]!["x-kubernetes-patch-strategy"]!.GetValue<string>());
        var patch = document["paths"]!["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!["patch"]!;
        Assert.Contains("fieldValidation", patch["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()));
        Assert.Contains("application/strategic-merge-patch+json", patch["requestBody"]!["content"]!.AsObject().Select(c => c.Key));
        // A stale hash is redirected (301) to the current document, which the client followed.
        Assert.Equal(200, (int)stale.StatusCode);
        Assert.Equal(url, stale.RequestMessage!.RequestUri!.PathAndQuery);
    }
}

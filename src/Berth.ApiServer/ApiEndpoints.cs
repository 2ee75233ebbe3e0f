using System.Text.Json.Nodes;
using Berth.ApiServer.Discovery;
using Berth.ApiServer.Http;
using Berth.ApiServer.Observability;
using Berth.ApiServer.OpenApi;
using Berth.ApiServer.Rest;
using Berth.ApiServer.Security;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer;

/// <summary>
/// Routes a request: version and health, the cluster CA (<c>/cacerts</c>, which a joining agent checks against its
/// token), discovery, then the resource URLs.
/// </summary>
internal sealed class ApiEndpoints(ServedResources served, OpenApiDocuments openApi, ResourceHandler resources, RequestMetrics metrics, string caPem)
{
    /// <summary>The Kubernetes version Berth serves (ARCHITECTURE.md 3.1); kubectl's dispatcher picks kubectl 1.33 by it.</summary>
    private static readonly JsonObject Version = new()
    {
        ["major"] = "1",
        ["minor"] = "33",
        ["emulationMajor"] = "1",
        ["emulationMinor"] = "33",
        ["minCompatibilityMajor"] = "1",
        ["minCompatibilityMinor"] = "32",
        ["gitVersion"] = "v1.33.0-berth",
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-11-25T00:00:00Z",
        ["goVersion"] = "dotnet" + Environment.Version,
        ["compiler"] = "dotnet",
        ["platform"] = "linux/amd64",
    };

    /// <summary>
    /// The OpenAPI v2 document as the gnostic protobuf kubectl reads: for now the empty document (swagger "2.0"),
    /// which lets kubectl's client-side validation pass kinds it finds no schema for. The full documents come with
    /// the declarative-API work.
    /// </summary>
    private static readonly byte[] EmptyOpenApiV2 = [0x0a, 0x03, (byte)'2', (byte)'.', (byte)'0'];

    private const string OpenApiV2Protobuf = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

    /// <summary>
    /// What anyone may ask without credentials, as upstream's system:public-info-viewer allows, and the cluster CA
    /// certificate (public by nature), as k3s serves it to agents that hold only a join token.
    /// </summary>
    public static bool IsPublic(PathString path) =>
        path.Value is "/version" or "/healthz" or "/livez" or "/readyz" or "/cacerts" || path.StartsWithSegments("/healthz") ||
        path.StartsWithSegments("/livez") || path.StartsWithSegments("/readyz");

    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value?.TrimEnd('/') ?? "";
        var get = HttpMethods.IsGet(context.Request.Method);
        if (!IsResourcePath(path) && context.Features.Get<UserInfo>() is { } user &&
            BootstrapAuthorizer.ForbidsPath(user, context.Request.Method, path) is { } forbidden)
        {
            await ApiResponse.WriteStatusAsync(context, forbidden);
            return;
        }
        switch (path)
        {
            case "/cacerts" when get:
                context.Response.ContentType = "application/x-pem-file";
                await context.Response.WriteAsync(caPem, context.RequestAborted);
                return;
            case "/version" when get:
                await ApiResponse.WriteAsync(context, 200, Version);
                return;
            case "/healthz" or "/livez" or "/readyz" when get:
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("ok", context.RequestAborted);
                return;
            case "/openapi/v2" when get:
                await WriteBytesAsync(context, EmptyOpenApiV2, OpenApiV2Protobuf);
                return;
            case "/openapi/v3" when get:
                await WriteBytesAsync(context, openApi.Index, ApiResponse.Json);
                return;
            case "/metrics" when get:
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await context.Response.WriteAsync(metrics.Render(), context.RequestAborted);
                return;
            case "/api" when get:
                await WriteDiscoveryAsync(context, served.Discovery.AggregatedCore,
                    DiscoveryDocuments.LegacyCore($"{context.Request.Host.Host}:{context.Connection.LocalPort}"));
                return;
            case "/apis" when get:
                await WriteDiscoveryAsync(context, served.Discovery.AggregatedGroups, served.Discovery.LegacyGroups);
                return;
        }

        if (get && path.StartsWith("/openapi/v3/", StringComparison.Ordinal))
        {
            await WriteOpenApiAsync(context, path["/openapi/v3/".Length..]);
            return;
        }
        if (get && DiscoveryPath(path) is { } document)
        {
            await WriteBytesAsync(context, document, ApiResponse.Json);
            return;
        }
        if (path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/apis/", StringComparison.Ordinal))
        {
            await resources.HandleAsync(context);
            return;
        }
        await ApiResponse.WriteStatusAsync(context, ApiStatus.NoSuchPath());
    }

    /// <summary>Whether <paramref name="path"/> names resources (which the resource handler authorizes), not discovery.</summary>
    private static bool IsResourcePath(string path) =>
        path.Trim('/').Split('/') switch
        {
            ["api", _, _, ..] => true,
            ["apis", _, _, _, ..] => true,
            _ => false,
        };

    /// <summary><c>/api/v1</c>, <c>/apis/{group}</c> and <c>/apis/{group}/{version}</c>.</summary>
    private byte[]? DiscoveryPath(string path)
    {
        var segments = path.Trim('/').Split('/');
        return segments switch
        {
            ["api", var version] => served.Discovery.ResourceList(version),
            ["apis", var group] => DiscoveryDocuments.Group(served.Table, group),
            ["apis", var group, var version] => served.Discovery.ResourceList($"{group}/{version}"),
            _ => null,
        };
    }

    /// <summary>
    /// A group-version's OpenAPI v3 document. As upstream: with the current <c>hash</c> it may be cached for good;
    /// with a stale one the client is sent (301) to the current URL.
    /// </summary>
    private async Task WriteOpenApiAsync(HttpContext context, string groupVersion)
    {
        if (openApi.Document(groupVersion) is not var (json, hash))
        {
            await ApiResponse.WriteStatusAsync(context, ApiStatus.NoSuchPath());
            return;
        }
        var headers = context.Response.Headers;
        headers.ETag = $"\"{hash}\"";
        headers.Vary = "Accept";
        if (context.Request.Query["hash"] is [{ } asked])
        {
            if (asked != hash)
            {
                context.Response.StatusCode = StatusCodes.Status301MovedPermanently;
                headers.Location = $"/openapi/v3/{groupVersion}?hash={hash}";
                return;
            }
            headers.CacheControl = "public, immutable";
            headers.Expires = DateTimeOffset.UtcNow.AddYears(1).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            headers.CacheControl = "no-cache, private";
        }
        await WriteBytesAsync(context, json, ApiResponse.Json);
    }

    /// <summary>Aggregated discovery when the client asks for it (kubectl does), legacy otherwise.</summary>
    private static Task WriteDiscoveryAsync(HttpContext context, byte[] aggregated, byte[] legacy)
    {
        var accept = context.Request.Headers.Accept.ToString();
        return accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && accept.Contains("v=v2", StringComparison.Ordinal)
            ? WriteBytesAsync(context, aggregated, DiscoveryDocuments.AggregatedContentType)
            : WriteBytesAsync(context, legacy, ApiResponse.Json);
    }

    private static async Task WriteBytesAsync(HttpContext context, byte[] body, string contentType)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}

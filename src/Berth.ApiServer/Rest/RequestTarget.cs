using Berth.Core.Errors;
using Berth.Core.Resources;

namespace Berth.ApiServer.Rest;

/// <summary>
/// What a resource URL names: <c>/api/v1/namespaces/{ns}/{resource}/{name}/{subresource}</c> and the
/// <c>/apis/{group}/{version}/...</c> forms, cluster-scoped or across all namespaces when there is no namespace.
/// </summary>
internal sealed record RequestTarget(ResourceInfo Resource, string? Namespace, string? Name, string? Subresource)
{
    public static RequestTarget Parse(string path, ResourceTable table)
    {
        var segments = path.Trim('/').Split('/');
        string group, version;
        int rest;
        if (segments is ["api", var v, ..])
            (group, version, rest) = ("", v, 2);
        else if (segments is ["apis", var g, var v2, ..])
            (group, version, rest) = (g, v2, 3);
        else
            throw new ApiException(ApiStatus.NoSuchPath());

        var tail = segments[rest..];
        if (tail.Length == 0)
            throw new ApiException(ApiStatus.NoSuchPath());

        // /namespaces/{ns}/{resource}/... names a namespaced resource; /namespaces/{name}[/{sub}] a namespace.
        if (tail is ["namespaces", var ns, var plural, ..] && table.Find(group, version, plural) is { Namespaced: true } namespaced)
            return Build(namespaced, ns, tail[3..]);

        var resource = table.Find(group, version, tail[0]) ?? throw new ApiException(ApiStatus.NoSuchPath());
        return Build(resource, null, tail[1..]);
    }

    private static RequestTarget Build(ResourceInfo resource, string? ns, string[] rest)
    {
        var target = rest switch
        {
            [] => new RequestTarget(resource, ns, null, null),
            [var name] => new RequestTarget(resource, ns, name, null),
            [var name, var sub] when resource.FindSubresource(sub) is not null => new RequestTarget(resource, ns, name, sub),
            _ => throw new ApiException(ApiStatus.NoSuchPath()),
        };
        if (target.Name is not null && resource.Namespaced && ns is null)
            throw new ApiException(ApiStatus.NoSuchPath());
        return target;
    }
}

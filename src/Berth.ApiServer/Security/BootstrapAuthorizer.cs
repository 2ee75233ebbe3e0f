using Berth.Core.Errors;
using Berth.Core.Resources;

namespace Berth.ApiServer.Security;

/// <summary>
/// The one authorization rule Berth has until RBAC exists: whoever authenticated with the join token (group
/// <c>system:bootstrappers</c>) may do what upstream's <c>system:node-bootstrapper</c> role allows, namely create, get,
/// list and watch CertificateSigningRequests, plus read discovery, OpenAPI, version and health as every
/// authenticated user may. Everything else is refused with upstream's 403 Status and message. Every other
/// authenticated user may still do anything.
/// </summary>
internal static class BootstrapAuthorizer
{
    public const string Group = "system:bootstrappers";

    private static readonly string[] CsrVerbs = ["create", "get", "list", "watch"];

    /// <summary>
    /// Null when <paramref name="user"/> may <paramref name="verb"/> the resource (or its
    /// <paramref name="subresource"/>) in <paramref name="ns"/> (null: cluster scope, or all namespaces), else the
    /// 403 to answer. <paramref name="name"/> is the object the URL names, if any.
    /// </summary>
    public static ApiStatus? ForbidsResource(UserInfo user, string verb, ResourceInfo resource, string? subresource, string? ns, string? name)
    {
        if (!user.IsIn(Group))
            return null;
        if (resource is { Group: "certificates.k8s.io", Plural: "certificatesigningrequests" } && subresource is null && CsrVerbs.Contains(verb))
            return null;
        var what = subresource is null ? resource.Plural : $"{resource.Plural}/{subresource}";
        var scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
        var reason = $"User \"{user.Name}\" cannot {verb} resource \"{what}\" in API group \"{resource.Group}\" {scope}";
        var message = name is null ? $"{resource.QualifiedPlural} is forbidden: {reason}" : $"{resource.QualifiedPlural} \"{name}\" is forbidden: {reason}";
        return new ApiStatus(403, "Forbidden", message, name, resource.Group, resource.Plural);
    }

    /// <summary>
    /// Null when <paramref name="user"/> may send <paramref name="method"/> to a <paramref name="path"/> that names no
    /// resource, else the 403 to answer: bootstrappers may only read discovery, OpenAPI, version and health.
    /// </summary>
    public static ApiStatus? ForbidsPath(UserInfo user, string method, string path)
    {
        if (!user.IsIn(Group))
            return null;
        var readable = path is "/api" or "/apis" or "/version" or "/healthz" or "/livez" or "/readyz" ||
            path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/apis/", StringComparison.Ordinal) ||
            path.StartsWith("/openapi/", StringComparison.Ordinal);
        if (readable && method is "GET" or "HEAD")
            return null;
        return new ApiStatus(403, "Forbidden", $"forbidden: User \"{user.Name}\" cannot {method.ToLowerInvariant()} path \"{path}\"");
    }

    /// <summary>The verb of a resource request as authorization names it (a collection GET is list or watch).</summary>
    public static string Verb(string method, bool named, bool watch) => (method, named) switch
    {
        ("GET", false) => watch ? "watch" : "list",
        ("GET", true) => watch ? "watch" : "get",
        ("HEAD", _) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", false) => "deletecollection",
        ("DELETE", true) => "delete",
        _ => method.ToLowerInvariant(),
    };
}

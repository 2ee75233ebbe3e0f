using System.Text.Json.Nodes;
using Berth.ApiServer.Security;

namespace Berth.ApiServer.Defaulting;

/// <summary>
/// What the server itself writes into a CertificateSigningRequest, as upstream's strategy does: on create, who asked
/// (<c>spec.username</c>, <c>spec.groups</c>, <c>spec.uid</c>, <c>spec.extra</c>), from authentication and never from
/// the body, since approvers decide by it; on update, the spec stays as created.
/// </summary>
internal static class CertificateSigningRequestDefaults
{
    public static bool Applies(Core.Resources.ResourceInfo resource) =>
        resource is { Group: "certificates.k8s.io", Plural: "certificatesigningrequests" };

    /// <summary>Records <paramref name="requester"/> (null for a server-internal create) as the request's author.</summary>
    public static void SetRequester(JsonObject csr, UserInfo? requester)
    {
        var spec = csr["spec"] as JsonObject ?? (JsonObject)(csr["spec"] = new JsonObject());
        spec.Remove("username");
        spec.Remove("groups");
        spec.Remove("uid");
        spec.Remove("extra");
        if (requester is null)
            return;
        spec["username"] = requester.Name;
        spec["groups"] = new JsonArray([.. requester.Groups.Select(g => (JsonNode)JsonValue.Create(g))]);
        if (!string.IsNullOrEmpty(requester.Uid))
            spec["uid"] = requester.Uid;
    }
}

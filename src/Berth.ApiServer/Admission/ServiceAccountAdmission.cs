using System.Text.Json.Nodes;
using Berth.ApiServer.Caching;
using Berth.ApiServer.Defaulting;
using Berth.ApiServer.Rest;
using Berth.Core.Resources;
using Berth.Storage;

namespace Berth.ApiServer.Admission;

/// <summary>
/// Upstream's ServiceAccount admission plugin, its token part: a new pod whose service account's token is to be
/// mounted (the pod's <c>automountServiceAccountToken</c>, else its account's, else yes) gets a projected volume
/// <c>kube-api-access-&lt;random&gt;</c> with a token of its account bound to it, the cluster CA
/// (<c>kube-root-ca.crt</c>) and its namespace, mounted read-only at upstream's path in every container and init
/// container that has nothing mounted there. Mirror pods get none. (Upstream also refuses a pod whose account does not
/// exist yet; Berth lets it through, so that a pod made with its namespace is not refused for a moment.)
/// </summary>
internal sealed class ServiceAccountAdmission(IStore store, WatchCaches caches)
{
    public const string MountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Upstream's kubelet asks for tokens of an hour and 7 seconds, a length nobody else picks, to tell its own.</summary>
    private const int TokenSeconds = 3607;

    private static readonly ResourceInfo ServiceAccounts = ResourceTable.BuiltIn.Find("", "v1", "serviceaccounts")!;

    /// <summary>Mutating admission of a create: adds the token volume and its mounts to a new pod.</summary>
    public async Task AdmitAsync(ResourceInfo resource, JsonObject obj, string ns, CancellationToken cancellationToken)
    {
        if (resource is not { Group: "", Plural: "pods" } || obj["spec"] is not JsonObject spec)
            return;
        if (ObjectJson.Metadata(obj)["annotations"]?["kubernetes.io/config.mirror"] is not null)
            return;
        var account = ObjectJson.GetString(spec, "serviceAccountName") is { Length: > 0 } named ? named
            : ObjectJson.GetString(spec, "serviceAccount") is { Length: > 0 } deprecated ? deprecated
            : "default";
        var automount = spec["automountServiceAccountToken"] is JsonValue podSays && podSays.TryGetValue<bool>(out var pod) ? pod
            : await AdmissionLookup.FindAsync(store, caches, ServiceAccounts, ns, account, cancellationToken) is { } found && found["automountServiceAccountToken"] is JsonValue accountSays
                && accountSays.TryGetValue<bool>(out var fromAccount) ? fromAccount
            : true;
        if (!automount)
            return;
        var containers = spec.Items("initContainers").Concat(spec.Items("containers")).ToList();
        var volumeName = "kube-api-access-" + ResourceHandler.RandomSuffix();
        var mounted = false;
        foreach (var container in containers)
        {
            if (container["volumeMounts"] is not JsonArray mounts)
                container["volumeMounts"] = mounts = [];
            if (mounts.OfType<JsonObject>().Any(m => ObjectJson.GetString(m, "mountPath")?.TrimEnd('/') == MountPath))
                continue;
            mounts.Add((JsonNode)new JsonObject { ["name"] = volumeName, ["readOnly"] = true, ["mountPath"] = MountPath });
            mounted = true;
        }
        if (!mounted)
            return;
        if (spec["volumes"] is not JsonArray volumes)
            spec["volumes"] = volumes = [];
        volumes.Add((JsonNode)TokenVolume(volumeName));
    }

    private static JsonObject TokenVolume(string name) => new()
    {
        ["name"] = name,
        ["projected"] = new JsonObject
        {
            ["defaultMode"] = 420,
            ["sources"] = new JsonArray(
                new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = TokenSeconds, ["path"] = "token" } },
                new JsonObject
                {
                    ["configMap"] = new JsonObject
                    {
                        ["name"] = "kube-root-ca.crt",
                        ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }),
                    },
                },
                new JsonObject
                {
                    ["downwardAPI"] = new JsonObject
                    {
                        ["items"] = new JsonArray(new JsonObject
                        {
                            ["path"] = "namespace",
                            ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" },
                        }),
                    },
                }),
        },
    };

}

using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Core.Resources;
using Berth.Testing;
using k8s;
using k8s.Models;

namespace Berth.ApiServer.Tests;

/// <summary>Create, read, list and delete of every served resource through the official client's GenericClient.</summary>
public sealed class KubernetesClientEveryKindTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly Kubernetes _client = new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.KubeconfigPath));

    public static TheoryData<string, string, string> Resources()
    {
        var data = new TheoryData<string, string, string>();
        // The metrics API is read-only: RestApiTests covers it.
        foreach (var r in ResourceTable.BuiltIn.All.Where(r => r.Plural != "namespaces" && r.Stored))
            data.Add(r.Group, r.Version, r.Plural);
        return data;
    }

    public void Dispose() => _client.Dispose();

    [Theory]
    [MemberData(nameof(Resources))]
    public async Task Crud_WorksForEveryResource(string group, string version, string plural)
    {
        var resource = ResourceTable.BuiltIn.Find(group, version, plural)!;
        using var generic = new GenericClient(_client, group, version, plural, disposeClient: false);
        var id = Guid.NewGuid().ToString("N")[..8];
        // A definition's name is its plural and group.
        var name = plural == "customresourcedefinitions" ? $"every{id}.example.com" : "every-" + id;
        var obj = new AnyObject
        {
            ApiVersion = resource.GroupVersion,
            Kind = resource.Kind,
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["suite"] = "every-kind" } },
            Rest = RequiredSpec(resource, id) is { } spec ? new Dictionary<string, JsonElement> { ["spec"] = JsonDocument.Parse(spec).RootElement.Clone() }
                : resource.Plural == "endpointslices" ? new Dictionary<string, JsonElement> { ["addressType"] = JsonDocument.Parse("\"IPv4\"").RootElement.Clone() }
                : null,
        };

        if (resource.Namespaced)
        {
            var created = await generic.CreateNamespacedAsync(obj, "default");
            var read = await generic.ReadNamespacedAsync<AnyObject>("default", name);
            var listed = await generic.ListNamespacedAsync<AnyList>("default", labelSelector: "suite=every-kind");
            await generic.DeleteNamespacedAsync<AnyObject>("default", name);

            Assert.Equal(name, created.Metadata.Name);
            Assert.Equal(created.Metadata.Uid, read.Metadata.Uid);
            Assert.Contains(listed.Items, i => i.Metadata.Name == name);
        }
        else
        {
            var created = await generic.CreateAsync(obj);
            var read = await generic.ReadAsync<AnyObject>(name);
            await generic.DeleteAsync<AnyObject>(name);

            Assert.Equal(name, created.Metadata.Name);
            Assert.Equal(created.Metadata.Uid, read.Metadata.Uid);
        }
        // A definition goes once its objects are deleted, which its finalizer waits for; everything else at once,
        // but claims and volumes, which storage protection keeps until its controller (not running here) lets them go.
        var path = resource.Namespaced ? $"{Prefix(resource)}/namespaces/default/{plural}/{name}" : $"{Prefix(resource)}/{plural}/{name}";
        if (plural is "persistentvolumeclaims" or "persistentvolumes")
        {
            var (_, kept) = await server.SendAsync(HttpMethod.Get, path);
            Assert.NotNull(kept?["metadata"]?["deletionTimestamp"]);
            Assert.Equal(plural == "persistentvolumes" ? "kubernetes.io/pv-protection" : "kubernetes.io/pvc-protection", (string?)kept?["metadata"]?["finalizers"]?[0]);
            await server.SendAsync(HttpMethod.Patch, path, """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        }
        await Eventually.TrueAsync(async () => (await server.SendAsync(HttpMethod.Get, path)).Code == 404,
            plural == "customresourcedefinitions" ? TimeSpan.FromSeconds(10) : TimeSpan.Zero, $"{name} to be gone");
    }

    /// <summary>
    /// The spec the kinds that validate theirs need: pods a container, workloads a selector and a matching template,
    /// jobs a restart policy, services a port, certificate signing requests a PKCS#10 request, a signer and a usage,
    /// definitions their names and a version. (An EndpointSlice needs no spec but its address type.)
    /// </summary>
    private static string? RequiredSpec(ResourceInfo r, string id) => (r.Group, r.Plural) switch
    {
        ("", "pods") => """{"containers":[{"name":"c","image":"busybox"}]}""",
        ("apps", "deployments" or "replicasets" or "statefulsets" or "daemonsets") =>
            """{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}""",
        ("", "services") => """{"ports":[{"port":80}]}""",
        ("batch", "jobs") => """{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}""",
        ("batch", "cronjobs") => """{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}}""",
        ("certificates.k8s.io", "certificatesigningrequests") =>
            $$"""{"request":"{{SigningRequest()}}","signerName":"example.com/every-kind","usages":["client auth"]}""",
        ("apiextensions.k8s.io", "customresourcedefinitions") =>
            """{"group":"example.com","scope":"Namespaced","names":{"plural":"everyID","kind":"EveryID"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}"""
                .Replace("ID", id, StringComparison.Ordinal),
        _ => null,
    };

    /// <summary>A PKCS#10 request as a CSR's spec.request holds it (base64 of the PEM).</summary>
    private static string SigningRequest()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var pem = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=every-kind", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
            .CreateSigningRequestPem();
        return Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(pem));
    }

    private static string Prefix(ResourceInfo r) => r.Group.Length == 0 ? "/api/v1" : $"/apis/{r.Group}/{r.Version}";

    /// <summary>Any object: the common fields typed, the rest kept as it came.</summary>
    public sealed class AnyObject : IKubernetesObject<V1ObjectMeta>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "";

        [JsonPropertyName("metadata")]
        public V1ObjectMeta Metadata { get; set; } = new();

        [JsonExtensionData]
        public Dictionary<string, JsonElement>? Rest { get; set; }
    }

    public sealed class AnyList : IKubernetesObject<V1ListMeta>, IItems<AnyObject>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = "";

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = "";

        [JsonPropertyName("metadata")]
        public V1ListMeta Metadata { get; set; } = new();

        [JsonPropertyName("items")]
        public IList<AnyObject> Items { get; set; } = [];
    }
}

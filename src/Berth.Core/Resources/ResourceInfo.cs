namespace Berth.Core.Resources;

/// <summary>
/// Everything the API server needs to know about one served resource: where it lives in the URL space and the
/// store, how discovery describes it, and its subresources. One entry in <see cref="ResourceTable"/> per resource.
/// </summary>
public sealed record ResourceInfo(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    bool Namespaced,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlyList<SubresourceInfo> Subresources)
{
    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary><c>v1</c> for the core group, else <c>group/version</c>: the apiVersion of its objects.</summary>
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The resource as errors name it: <c>pods</c>, <c>deployments.apps</c>.</summary>
    public string QualifiedPlural => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>The kind as validation errors name it: <c>Pod</c>, <c>Deployment.apps</c>.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    public string ListKind => Kind + "List";

    /// <summary>The store prefix under which every object of this resource is kept.</summary>
    public string StoragePrefix => Group.Length == 0 ? $"/registry/{Plural}/" : $"/registry/{Group}/{Plural}/";

    /// <summary>The store key of one object; <paramref name="ns"/> is ignored for cluster-scoped resources.</summary>
    public string StorageKey(string? ns, string name) => Namespaced ? $"{StoragePrefix}{ns}/{name}" : StoragePrefix + name;

    /// <summary>The store prefix of one namespace's objects, or of all of them when <paramref name="ns"/> is null.</summary>
    public string StoragePrefixFor(string? ns) => Namespaced && ns is not null ? $"{StoragePrefix}{ns}/" : StoragePrefix;

    public SubresourceInfo? FindSubresource(string name) => Subresources.FirstOrDefault(s => s.Name == name);

    public bool HasStatus => FindSubresource("status") is not null;

    /// <summary>Whether the server counts spec changes in <c>metadata.generation</c> (workloads do; config objects do not).</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>What may be done with it: everything for a stored resource.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>
    /// Whether its objects are kept in the store; false for a read-only view the server computes when asked (the
    /// metrics API), which has no watch cache and no store keys.
    /// </summary>
    public bool Stored { get; init; } = true;

    /// <summary>
    /// Whether the API server keeps a watch cache of it. Not for events, as upstream: they are many, written once or
    /// a few times and rarely read, so holding them in memory costs more than reading the store when asked.
    /// </summary>
    public bool Cached { get; init; } = true;

    /// <summary>For a resource a CustomResourceDefinition defines, what the definition says of this version; null for built-ins.</summary>
    public CustomResourceVersion? Custom { get; init; }
}

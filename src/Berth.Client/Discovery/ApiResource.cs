using System.Globalization;

namespace Berth.Client.Discovery;

/// <summary>One resource the API server serves, as discovery describes it, and the paths to reach it.</summary>
public sealed record ApiResource(string Group, string Version, string Kind, string Plural, bool Namespaced, IReadOnlyList<string> Verbs)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public bool Supports(string verb) => Verbs.Contains(verb);

    /// <summary>The collection: across all namespaces when <paramref name="ns"/> is null.</summary>
    public string CollectionPath(string? ns = null)
    {
        var root = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        return Namespaced && ns is not null ? $"{root}/namespaces/{ns}/{Plural}" : $"{root}/{Plural}";
    }

    public string ObjectPath(string? ns, string name) => string.Create(CultureInfo.InvariantCulture, $"{CollectionPath(ns)}/{name}");

    public override string ToString() => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}

using System.Text.RegularExpressions;
using Berth.Core.Resources;

namespace Berth.ApiServer.Rest;

/// <summary>Which names each resource accepts, with upstream's messages (apimachinery validation).</summary>
internal static partial class NameRules
{
    private const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    public const string LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an " +
        "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    /// <summary>Null if <paramref name="name"/> is a valid name for <paramref name="resource"/>, else the reasons.</summary>
    public static string? Validate(ResourceInfo resource, string name)
    {
        if (resource.Group == "rbac.authorization.k8s.io")
            return ValidatePathSegment(name);
        if (resource.Plural is "namespaces")
            return name.Length > 63 ? "must be no more than 63 characters" : Label().IsMatch(name) ? null : LabelMessage;
        return name.Length > 253 ? "must be no more than 253 characters" : Subdomain().IsMatch(name) ? null : SubdomainMessage;
    }

    /// <summary>Whether <paramref name="name"/> is a lowercase RFC 1123 label (container names, namespaces).</summary>
    public static bool IsDnsLabel(string name) => name.Length <= 63 && Label().IsMatch(name);

    /// <summary>Whether <paramref name="name"/> is a lowercase RFC 1123 subdomain (most object names, domain names).</summary>
    public static bool IsDnsSubdomain(string name) => name.Length <= 253 && Subdomain().IsMatch(name);

    private static string? ValidatePathSegment(string name) =>
        name is "." or ".." ? $"may not be '{name}'"
        : name.Contains('/', StringComparison.Ordinal) ? "may not contain '/'"
        : name.Contains('%', StringComparison.Ordinal) ? "may not contain '%'"
        : name.Any(c => c is < '!' or > '~') ? "may only contain printable ASCII characters"
        : name.Length > 253 ? "must be no more than 253 characters"
        : null;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();
}

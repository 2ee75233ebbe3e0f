using System.Text.Json.Nodes;

namespace Berth.Agent.Pods;

/// <summary>A pod's hostname: <c>spec.hostname</c>, else its name cut to a DNS label's 63 characters.</summary>
internal static class PodHostname
{
    public static string Of(string name, JsonObject spec) =>
        spec["hostname"]?.ToString() is { Length: > 0 } hostname ? hostname : name.Length > 63 ? name[..63].TrimEnd('-', '.') : name;
}

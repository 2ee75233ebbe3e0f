namespace Berth.Core.Resources;

/// <summary>A subresource such as <c>pods/status</c> or <c>deployments/scale</c>, with the kind it answers in.</summary>
public sealed record SubresourceInfo(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs);

namespace Berth.ApiServer.Observability;

/// <summary>What a resource request was, for metrics: set by the REST handler, read when the request ends.</summary>
internal sealed record RequestLabels(string Verb, string Group, string Resource, string Subresource);

namespace Berth.Agent.Cri;

/// <summary>An image a runtime has: the names it goes by, its ID and its size in bytes (CRI's Image).</summary>
public sealed record ImageInfo(IReadOnlyList<string> Names, string Id, ulong Size);

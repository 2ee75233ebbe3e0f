namespace Berth.Core.Networking;

/// <summary>The labels that tie an EndpointSlice to its Service and say who keeps it up to date (upstream's names).</summary>
public static class EndpointSliceLabels
{
    /// <summary>The Service the slice's endpoints stand behind.</summary>
    public const string ServiceName = "kubernetes.io/service-name";

    /// <summary>The controller or agent that writes the slice.</summary>
    public const string ManagedBy = "endpointslice.kubernetes.io/managed-by";
}

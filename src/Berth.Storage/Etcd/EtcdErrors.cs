using Grpc.Core;

namespace Berth.Storage.Etcd;

/// <summary>Recognises etcd's expected outcomes among its gRPC errors (their texts are etcd's API).</summary>
internal static class EtcdErrors
{
    public static bool IsCompacted(RpcException e) =>
        e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("compacted", StringComparison.Ordinal);

    public static bool IsFutureRevision(RpcException e) =>
        e.StatusCode == StatusCode.OutOfRange && e.Status.Detail.Contains("future revision", StringComparison.Ordinal);

    public static bool IsLeaseNotFound(RpcException e) =>
        e.StatusCode == StatusCode.NotFound && e.Status.Detail.Contains("lease not found", StringComparison.Ordinal);
}

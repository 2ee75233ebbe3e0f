using System.Text.Json.Nodes;
using Berth.Client.Queues;
using Berth.Core.Serialization;

namespace Berth.Agent.Pods;

/// <summary>Admitting a new pod to the node, or failing it with the reason kubectl shows.</summary>
public sealed partial class PodLifecycle
{
    private async Task<(string Reason, string Message)?> RefusalAsync(JsonObject pod, string uid, CancellationToken cancellationToken)
    {
        // The watch's copy of the node, unless it has not shown the node yet (a pod bound to a node just registered).
        var node = _nodes.NodeOf(nodeName);
        if (node is null)
        {
            var read = await client.GetAsync($"/api/v1/nodes/{nodeName}", cancellationToken);
            read.ThrowIfFailed($"reading node {nodeName} to admit a pod");
            node = read.Body!.AsObject();
        }
        var admitted = _pods.On(nodeName)
            .Where(p => p.Uid != uid && !p.Terminal && (_admitted.ContainsKey(p.Uid) || p.Phase == "Running"))
            .Select(p => p.Claim)
            .ToList();
        return PodAdmission.PressureRefusal(pod, node) ?? PodAdmission.Refusal(pod["spec"] as JsonObject ?? [], node, admitted);
    }

    /// <summary>A pod the node will not run fails at once, with the reason kubectl shows as its STATUS.</summary>
    private async Task<ReconcileResult> RejectAsync(string path, JsonObject pod, (string Reason, string Message) refusal, CancellationToken cancellationToken)
    {
        Log.Rejected(_logger, path, refusal.Message);
        var status = (pod["status"] as JsonObject)?.DeepClone().AsObject() ?? [];
        status["phase"] = "Failed";
        status["reason"] = refusal.Reason;
        status["message"] = refusal.Message;
        status["startTime"] ??= WireTime.Time(time.GetUtcNow());
        await WriteStatusAsync(path, pod, status, cancellationToken);
        return ReconcileResult.Done;
    }
}

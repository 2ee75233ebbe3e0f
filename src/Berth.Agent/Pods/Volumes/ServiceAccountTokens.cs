using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Client;

namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// The tokens of projected <c>serviceAccountToken</c> sources, as upstream's kubelet gets them: a TokenRequest for the
/// pod's service account, bound to the pod, with the source's audience and lifetime (an hour by default). A token is
/// kept until 80% of its lifetime (or a day) has passed, then asked for again, so that the volume's resync always
/// finds a fresh one.
/// </summary>
internal sealed class ServiceAccountTokens(ApiClient client, TimeProvider time)
{
    private const long DefaultSeconds = 3600;
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<string, (byte[] Token, DateTimeOffset Renew, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);

    public async Task<byte[]> TokenAsync(JsonObject source, JsonObject pod, CancellationToken cancellationToken)
    {
        var metadata = pod["metadata"]!;
        var (ns, name, uid) = (metadata["namespace"]!.GetValue<string>(), metadata["name"]!.GetValue<string>(), metadata["uid"]?.ToString() ?? "");
        var account = pod["spec"]?["serviceAccountName"]?.ToString() is { Length: > 0 } named ? named : "default";
        var audience = source["audience"]?.ToString() ?? "";
        var seconds = source["expirationSeconds"] is JsonValue given && given.TryGetValue<long>(out var s) ? s : DefaultSeconds;
        var key = $"{uid}/{account}/{audience}/{seconds}";
        var now = time.GetUtcNow();
        if (_tokens.TryGetValue(key, out var kept) && now < kept.Renew)
            return kept.Token;

        var spec = new JsonObject
        {
            ["expirationSeconds"] = seconds,
            ["boundObjectRef"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["name"] = name, ["uid"] = uid },
        };
        if (audience.Length > 0)
            spec["audiences"] = new JsonArray(audience);
        var request = new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenRequest", ["spec"] = spec };
        var answer = await client.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/serviceaccounts/{account}/token", request, cancellationToken);
        if (!answer.Succeeded || answer.Body?["status"]?["token"]?.ToString() is not { Length: > 0 } token)
            throw new VolumeException($"failed to fetch token: {answer.Message}");
        var expires = answer.Body["status"]?["expirationTimestamp"]?.ToString() is { } stamp && DateTimeOffset.TryParse(stamp, out var at) ? at : now.AddSeconds(seconds);
        var lifetime = expires - now;
        var renew = now + (lifetime * 0.8 < MaxAge ? lifetime * 0.8 : MaxAge);
        foreach (var stale in _tokens.Where(t => t.Value.Expires <= now).Select(t => t.Key).ToList())
            _tokens.TryRemove(stale, out _);
        var bytes = Encoding.UTF8.GetBytes(token);
        _tokens[key] = (bytes, renew, expires);
        return bytes;
    }

    /// <summary>Forgets a pod's tokens once it is gone.</summary>
    public void Forget(string uid)
    {
        foreach (var key in _tokens.Keys.Where(k => k.StartsWith(uid + "/", StringComparison.Ordinal)).ToList())
            _tokens.TryRemove(key, out _);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

/// <summary>A DELETE's options, from its DeleteOptions body (kubectl) or its query parameters.</summary>
internal sealed record DeleteOptions(long? GracePeriodSeconds, string? PropagationPolicy, bool DryRun, string? PreconditionUid, string? PreconditionResourceVersion)
{
    private static readonly string[] Policies = ["Orphan", "Background", "Foreground"];

    public static DeleteOptions From(JsonObject? body, IQueryCollection query)
    {
        long? grace = null;
        if (body?["gracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var bodyGrace))
            grace = bodyGrace;
        else if (query["gracePeriodSeconds"] is [{ } text] && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var queryGrace))
            grace = queryGrace;

        var policy = (body is null ? null : ObjectJson.GetString(body, "propagationPolicy")) ?? (string?)query["propagationPolicy"];
        if (body?["orphanDependents"] is JsonValue orphan && orphan.TryGetValue<bool>(out var orphanDependents) && policy is null)
            policy = orphanDependents ? "Orphan" : "Background";
        if (policy is not null && !Policies.Contains(policy))
            throw new ApiException(ApiStatus.BadRequest($"propagationPolicy: Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\""));

        var dryRun = query["dryRun"].Contains("All") || (body?["dryRun"] is JsonArray dry && dry.Any(d => d?.GetValue<string>() == "All"));
        var preconditions = body?["preconditions"] as JsonObject;
        return new DeleteOptions(grace, policy, dryRun,
            preconditions is null ? null : ObjectJson.GetString(preconditions, "uid"),
            preconditions is null ? null : ObjectJson.GetString(preconditions, "resourceVersion"));
    }
}

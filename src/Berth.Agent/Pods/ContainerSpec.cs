using System.Text.Json.Nodes;
using Berth.Agent.Runtime;

namespace Berth.Agent.Pods;

/// <summary>Where a container stands in its pod's start order.</summary>
internal enum ContainerRole
{
    /// <summary>An init container: runs to completion, one after another, before anything else.</summary>
    Init,

    /// <summary>A restartable init container (<c>restartPolicy: Always</c>): started in order, then runs beside the app.</summary>
    Sidecar,

    /// <summary>An app container (<c>spec.containers</c>).</summary>
    App,
}

/// <summary>One container of a pod's spec, with the parts the agent acts on.</summary>
internal sealed record ContainerSpec(string Name, string Image, ContainerRole Role, JsonObject Source)
{
    /// <summary>The pod's containers in start order: init containers and sidecars as listed, then app containers.</summary>
    public static IReadOnlyList<ContainerSpec> Of(JsonObject podSpec) =>
    [
        .. (podSpec["initContainers"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => From(c, c["restartPolicy"]?.ToString() == "Always" ? ContainerRole.Sidecar : ContainerRole.Init)),
        .. (podSpec["containers"] as JsonArray ?? []).OfType<JsonObject>().Select(c => From(c, ContainerRole.App)),
    ];

    /// <summary>The probe configured for a use (startup, readiness, liveness), if any.</summary>
    public JsonObject? Probe(HandlerUse use) => Source[use switch
    {
        HandlerUse.StartupProbe => "startupProbe",
        HandlerUse.ReadinessProbe => "readinessProbe",
        HandlerUse.LivenessProbe => "livenessProbe",
        _ => throw new ArgumentOutOfRangeException(nameof(use), use, "not a probe"),
    }] as JsonObject;

    /// <summary>The postStart or preStop handler, if any.</summary>
    public JsonObject? Hook(HandlerUse use) =>
        Source["lifecycle"]?[use == HandlerUse.PostStartHook ? "postStart" : "preStop"] as JsonObject;

    private static ContainerSpec From(JsonObject container, ContainerRole role) =>
        new(container["name"]?.ToString() ?? "", container["image"]?.ToString() ?? "", role, container);
}

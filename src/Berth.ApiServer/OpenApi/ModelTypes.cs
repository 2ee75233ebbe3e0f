using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Berth.Core.Resources;
using k8s.Models;

namespace Berth.ApiServer.OpenApi;

/// <summary>The KubernetesClient model type of each built-in kind: the typed form its schema is read from.</summary>
internal static class ModelTypes
{
    private static readonly ConcurrentDictionary<ResourceInfo, Type?> Found = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Found by name (scanning every type would load them all): V1Pod, V2..., or with the group's first word where
    /// names collide (Corev1Event, Eventsv1Event); the KubernetesEntity attribute confirms it. Null for kinds the
    /// package does not have.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The KubernetesClient models are kept whole (OpenApi/KubernetesModels.xml).")]
    public static Type? For(ResourceInfo resource) => Found.GetOrAdd(resource, static resource =>
    {
        var assembly = typeof(V1Pod).Assembly;
        var version = char.ToUpperInvariant(resource.Version[0]) + resource.Version[1..];
        var groupWord = resource.Group.Length == 0 ? "Core" : char.ToUpperInvariant(resource.Group[0]) + resource.Group.Split('.')[0][1..];
        foreach (var name in new[] { version + resource.Kind, groupWord + resource.Version + resource.Kind })
        {
            if (assembly.GetType("k8s.Models." + name) is { } type && type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity &&
                (entity.Group ?? "") == resource.Group && entity.Kind == resource.Kind)
            {
                return type;
            }
        }
        return null;
    });
}

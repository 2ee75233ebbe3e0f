using System.Text.Json.Nodes;

namespace Berth.Core.Resources;

/// <summary>
/// One served version of a custom resource: the definition it comes from and that version's entry of
/// <c>spec.versions</c> (schema, printer columns, subresources), kept as the definition states it.
/// </summary>
/// <param name="Definition">The CustomResourceDefinition's name, <c>plural.group</c>.</param>
/// <param name="Version">The <c>spec.versions[]</c> entry.</param>
/// <param name="Terminating">Whether the definition is being deleted: its objects may be read and deleted, not created.</param>
public sealed record CustomResourceVersion(string Definition, JsonObject Version, bool Terminating)
{
    /// <summary>The version's <c>schema.openAPIV3Schema</c>, if it has one.</summary>
    public JsonObject? Schema => Version["schema"]?["openAPIV3Schema"] as JsonObject;
}

using System.Text.Json.Nodes;
using Berth.Core.Errors;

namespace Berth.Core.CustomResources;

/// <summary>
/// What a CRD version's structural schema (<c>schema.openAPIV3Schema</c>) does to a custom resource: prune the
/// fields it does not declare, fill in its defaults, and validate the result, each as upstream's apiextensions
/// server does and words it. A resource's own apiVersion, kind and metadata belong to the server: none of the
/// three touches them. <c>x-kubernetes-validations</c> (CEL rules) are not evaluated.
/// </summary>
public static class CustomResourceSchema
{
    /// <summary>
    /// Removes the fields of <paramref name="obj"/> that <paramref name="schema"/> does not declare, and nulls of
    /// fields that are neither nullable nor defaulted. Returns the removed fields' paths, sorted, as upstream's
    /// unknown-field warnings spell them (<c>spec.foo</c>, <c>spec.items[0].bar</c>); removed nulls are not reported.
    /// </summary>
    public static List<string> Prune(JsonObject obj, JsonObject schema) => SchemaPruning.Prune(obj, schema);

    /// <summary>
    /// Fills each absent field of <paramref name="obj"/> that has a default with a copy of it (also a null one,
    /// unless nullable), inside objects, map values and list elements that exist.
    /// </summary>
    public static void ApplyDefaults(JsonObject obj, JsonObject schema) => SchemaDefaulting.ApplyDefaults(obj, schema);

    /// <summary>
    /// The ways <paramref name="obj"/> breaks <paramref name="schema"/>, in upstream's order: the value rules, then
    /// embedded resources' type meta, then list-type uniqueness. A cause repeated word for word is reported once.
    /// </summary>
    public static List<StatusCause> Validate(JsonObject obj, JsonObject schema)
    {
        var causes = new List<StatusCause>();
        OpenApiValidation.Validate(obj, schema, causes);
        EmbeddedResourceValidation.Validate(obj, schema, causes);
        ListTypeValidation.Validate(obj, schema, causes);
        return causes.Distinct().ToList();
    }
}

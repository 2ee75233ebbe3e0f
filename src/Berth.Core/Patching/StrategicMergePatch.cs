using System.Text.Json.Nodes;

namespace Berth.Core.Patching;

/// <summary>
/// Strategic merge patch, the patch kubectl apply sends for built-in kinds. Like a JSON merge patch, except where
/// the schema says otherwise: lists of objects with a merge key are merged element by element, lists of primitives
/// with the merge strategy as sets; and the directives kubectl writes are honoured: <c>$patch</c>
/// (replace/delete/merge), <c>$retainKeys</c>, <c>$setElementOrder/field</c> and <c>$deleteFromPrimitiveList/field</c>.
/// </summary>
public static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string SetElementOrder = "$setElementOrder/";
    private const string DeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="original"/>, a <paramref name="kind"/>.</summary>
    public static JsonObject Apply(JsonObject original, JsonObject patch, string kind) =>
        MergeObject(original, patch, PatchSchema.BuiltIn.ForKind(kind));

    private static JsonObject MergeObject(JsonObject? original, JsonObject patch, PatchType type)
    {
        switch (patch[PatchDirective]?.GetValue<string>())
        {
            case "replace":
                return WithoutDirectives(patch, type);
            case "delete":
                return [];
            case null or "merge":
                break;
            case var other:
                throw new PatchException($"unknown patch type: {other} in map: {patch.ToJsonString()}");
        }

        var result = original?.DeepClone().AsObject() ?? [];
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(DeleteFromPrimitiveList, StringComparison.Ordinal))
            {
                var field = key[DeleteFromPrimitiveList.Length..];
                if (value is not JsonArray doomed || result[field] is not JsonArray list)
                    continue;
                foreach (var item in list.Where(i => doomed.Any(d => JsonNode.DeepEquals(d, i))).ToList())
                    list.Remove(item);
            }
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith('$'))
                continue;
            if (value is null)
            {
                result.Remove(key);
                continue;
            }
            result[key] = MergeValue(result[key], value, type.Field(key), type);
        }
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith(SetElementOrder, StringComparison.Ordinal) && value is JsonArray order)
            {
                var field = key[SetElementOrder.Length..];
                if (result[field] is JsonArray list)
                    result[field] = Reorder(list, order, type.Field(field)?.MergeKey);
            }
        }
        if (patch[RetainKeys] is JsonArray retain)
        {
            var kept = retain.Select(k => k?.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
            foreach (var (key, value) in patch)
            {
                if (!key.StartsWith('$') && value is not null && !kept.Contains(key))
                    throw new PatchException($"the patch has a non-nil value for field \"{key}\" which is not in the $retainKeys list");
            }
            foreach (var key in result.Select(p => p.Key).Where(k => !kept.Contains(k)).ToList())
                result.Remove(key);
        }
        return result;
    }

    private static JsonNode MergeValue(JsonNode? original, JsonNode patch, PatchField? field, PatchType type)
    {
        switch (patch)
        {
            case JsonObject patchObject:
                return MergeObject(original as JsonObject, patchObject, field is { Kind: PatchFieldKind.Object } ? type.Of(field.Type) : PatchType.None);
            case JsonArray patchList when field is { Kind: PatchFieldKind.KeyedList }:
                return MergeKeyedList(original as JsonArray ?? [], patchList, field.MergeKey!, type.Of(field.Type));
            case JsonArray patchList when field is { Kind: PatchFieldKind.Set }:
                return MergeSet(original as JsonArray ?? [], patchList);
            case JsonArray patchList:
                // An atomic list is replaced whole; its objects may still carry directives to drop.
                return new JsonArray([.. patchList.Select(e => e is JsonObject o ? WithoutDirectives(o, PatchType.None) : e?.DeepClone())]);
            default:
                return patch.DeepClone();
        }
    }

    /// <summary>Merges a list of objects element by element, matched on <paramref name="mergeKey"/>.</summary>
    private static JsonArray MergeKeyedList(JsonArray original, JsonArray patch, string mergeKey, PatchType elementType)
    {
        if (patch.Any(e => e is JsonObject o && o[PatchDirective]?.GetValue<string>() == "replace" && o.Count == 1))
        {
            return new JsonArray([.. patch.OfType<JsonObject>()
                .Where(o => !(o.Count == 1 && o[PatchDirective] is not null))
                .Select(o => (JsonNode)WithoutDirectives(o, elementType))]);
        }
        var result = new JsonArray([.. original.Select(e => e?.DeepClone())]);
        foreach (var element in patch)
        {
            if (element is not JsonObject patchElement)
                throw new PatchException($"a list merged by \"{mergeKey}\" must hold objects, not {element?.ToJsonString() ?? "null"}");
            var directive = patchElement[PatchDirective]?.GetValue<string>();
            if (directive == "merge")
                throw new PatchException($"the $patch: merge directive is not allowed in a list: {patchElement.ToJsonString()}");
            var key = patchElement[mergeKey] ?? throw new PatchException($"map: {patchElement.ToJsonString()} does not contain declared merge key: {mergeKey}");
            var index = IndexOf(result, mergeKey, key);
            if (directive == "delete")
            {
                while (index >= 0)
                {
                    result.RemoveAt(index);
                    index = IndexOf(result, mergeKey, key);
                }
            }
            else if (index >= 0)
            {
                result[index] = MergeObject(result[index] as JsonObject, patchElement, elementType);
            }
            else
            {
                result.Add((JsonNode)MergeObject(null, patchElement, elementType));
            }
        }
        return result;
    }

    /// <summary>A list of primitives with the merge strategy: the union, in order, without repeats.</summary>
    private static JsonArray MergeSet(JsonArray original, JsonArray patch)
    {
        var result = new JsonArray([.. original.Select(e => e?.DeepClone())]);
        foreach (var value in patch)
        {
            if (!result.Any(e => JsonNode.DeepEquals(e, value)))
                result.Add(value?.DeepClone());
        }
        return result;
    }

    /// <summary>
    /// Puts the elements named in <paramref name="order"/> (by merge key, or the primitives themselves) in that order;
    /// the others, which only the server has, follow in their previous order.
    /// </summary>
    private static JsonArray Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        JsonNode? Identity(JsonNode? element) => mergeKey is null ? element : element?[mergeKey];
        var ordered = new List<JsonNode?>();
        foreach (var wanted in order)
        {
            var id = mergeKey is null ? wanted : wanted?[mergeKey];
            ordered.AddRange(list.Where(e => JsonNode.DeepEquals(Identity(e), id) && !ordered.Contains(e)));
        }
        ordered.AddRange(list.Where(e => !ordered.Contains(e)));
        return new JsonArray([.. ordered.Select(e => e?.DeepClone())]);
    }

    private static int IndexOf(JsonArray list, string mergeKey, JsonNode key)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (JsonNode.DeepEquals(list[i]?[mergeKey], key))
                return i;
        }
        return -1;
    }

    /// <summary>A patch value taken as it is: its directives are applied to nothing, which drops them.</summary>
    private static JsonObject WithoutDirectives(JsonObject patch, PatchType type)
    {
        var copy = patch.DeepClone().AsObject();
        copy.Remove(PatchDirective);
        return MergeObject(null, copy, type);
    }
}

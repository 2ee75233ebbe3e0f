using System.Text.Json.Nodes;
using Berth.Core.Patching;

namespace Berth.Core.FieldManagement;

/// <summary>
/// The two object transformations of server-side apply: merging an applied configuration into the live object, and
/// pruning what the applier stopped applying and nobody else owns.
/// </summary>
public static class ApplyMerge
{
    /// <summary>
    /// The live object with the applied configuration merged in: objects field by field (atomic ones replaced), keyed
    /// lists and sets item by item, everything else replaced. A null removes the field.
    /// </summary>
    public static JsonObject Merge(JsonObject live, JsonObject applied, PatchType type) => MergeObject(live, applied, type);

    /// <summary>
    /// Removes from <paramref name="merged"/> the paths in <paramref name="stale"/> that no path in
    /// <paramref name="keep"/> (other managers' fields) lies at or beneath; an object or list emptied by that goes too.
    /// </summary>
    public static void Prune(JsonObject merged, FieldSet stale, FieldSet keep, PatchType type) =>
        PruneObject(merged, stale, keep, type);

    private static JsonObject MergeObject(JsonObject live, JsonObject applied, PatchType type)
    {
        var result = live.DeepClone().AsObject();
        foreach (var (name, value) in applied)
        {
            if (value is null)
            {
                result.Remove(name);
                continue;
            }
            var field = type.Field(name);
            var current = result[name];
            if (ObjectFields.IsGranularObject(value, field) && current is JsonObject currentObject)
                result[name] = MergeObject(currentObject, (JsonObject)value, ObjectFields.ChildType(type, field));
            else if (ObjectFields.IsItemized(value, field) && current is JsonArray currentList)
                result[name] = MergeItems(currentList, (JsonArray)value, field!, ObjectFields.ChildType(type, field));
            else
                result[name] = value.DeepClone();
        }
        return result;
    }

    /// <summary>
    /// Merges two lists item by item. Items in both are merged and follow the applied order; items only the live list
    /// has keep their place among them; new items come where the applied list puts them.
    /// </summary>
    private static JsonArray MergeItems(JsonArray live, JsonArray applied, PatchField field, PatchType elementType)
    {
        var liveElements = Elements(live, field);
        var appliedElements = Elements(applied, field);
        var liveByElement = ObjectFields.Index(live, field);
        var appliedSet = appliedElements.ToHashSet(StringComparer.Ordinal);
        var shared = new Queue<string>(appliedElements.Where(liveByElement.ContainsKey));
        var result = new JsonArray();
        var (l, a) = (0, 0);
        while (l < live.Count || a < applied.Count)
        {
            if (l < live.Count && a < applied.Count)
            {
                if (liveElements[l] == appliedElements[a])
                {
                    result.Add(MergeItem(live[l], applied[a], field, elementType));
                    (l, a) = (l + 1, a + 1);
                    shared.Dequeue();
                    continue;
                }
                if (appliedSet.Contains(liveElements[l]) && shared.Count > 0 && shared.Peek() != liveElements[l])
                {
                    // A shared item the applied order wants later: it is emitted when the applied list reaches it.
                    l++;
                    continue;
                }
            }
            if (l < live.Count && !appliedSet.Contains(liveElements[l]))
            {
                result.Add(live[l]?.DeepClone());
                l++;
                continue;
            }
            if (a < applied.Count)
            {
                if (liveByElement.TryGetValue(appliedElements[a], out var match))
                {
                    result.Add(MergeItem(match, applied[a], field, elementType));
                    shared.Dequeue();
                }
                else
                {
                    result.Add(applied[a]?.DeepClone());
                }
                a++;
                continue;
            }
            l++;
        }
        return result;
    }

    private static JsonNode? MergeItem(JsonNode? live, JsonNode? applied, PatchField field, PatchType elementType) =>
        field.Kind == PatchFieldKind.KeyedList && live is JsonObject l && applied is JsonObject a
            ? MergeObject(l, a, elementType)
            : applied?.DeepClone();

    private static List<string> Elements(JsonArray items, PatchField field) =>
        [.. items.Select((item, i) => ObjectFields.ItemElement(item, field, i))];

    private static void PruneObject(JsonObject obj, FieldSet stale, FieldSet? keep, PatchType type)
    {
        foreach (var (element, staleChild) in stale.Children)
        {
            if (!element.StartsWith("f:", StringComparison.Ordinal) || !obj.TryGetPropertyValue(element[2..], out var value))
                continue;
            var name = element[2..];
            var keepChild = keep?.Child(element);
            if (staleChild.IsMember && keepChild is null or { IsEmpty: true })
            {
                obj.Remove(name);
                continue;
            }
            var field = type.Field(name);
            if (PruneValue(value, staleChild, keepChild, field, ObjectFields.ChildType(type, field)))
                obj.Remove(name);
        }
    }

    /// <summary>Prunes within a value; true when pruning emptied it, so that the value itself should go.</summary>
    private static bool PruneValue(JsonNode? value, FieldSet stale, FieldSet? keep, PatchField? field, PatchType type)
    {
        if (ObjectFields.IsGranularObject(value, field))
        {
            var obj = (JsonObject)value!;
            var before = obj.Count;
            PruneObject(obj, stale, keep, type);
            return before > 0 && obj.Count == 0;
        }
        if (ObjectFields.IsItemized(value, field))
        {
            var items = (JsonArray)value!;
            var before = items.Count;
            for (var i = items.Count - 1; i >= 0; i--)
            {
                var element = ObjectFields.ItemElement(items[i], field!, i);
                if (stale.Child(element) is not { } staleItem)
                    continue;
                var keepItem = keep?.Child(element);
                if (staleItem.IsMember && keepItem is null or { IsEmpty: true })
                    items.RemoveAt(i);
                else if (items[i] is JsonObject itemObject && field!.Kind == PatchFieldKind.KeyedList)
                    PruneObject(itemObject, staleItem, keepItem, type);
            }
            return before > 0 && items.Count == 0;
        }
        return false;
    }
}

using System.Text.Json.Nodes;
using Berth.Core.Patching;
using Berth.Core.Serialization;

namespace Berth.Core.FieldManagement;

/// <summary>What changed between two versions of an object, as three sets of paths.</summary>
public sealed record FieldChanges(FieldSet Added, FieldSet Modified, FieldSet Removed)
{
    /// <summary>The fields whose value a write sets: an owner of any of them loses it (or conflicts, for apply).</summary>
    public FieldSet Set => Added.Union(Modified);
}

/// <summary>
/// The field paths of objects, read with the schema that says how each list is identified: by a key (its items are
/// <c>k:</c> elements), as a set (<c>v:</c>), or atomically (the list is one leaf). Objects are field by field unless
/// atomic. Both walks agree with each other so that their sets can be compared.
/// </summary>
public static class ObjectFields
{
    /// <summary>
    /// The fields an applied configuration sets: every leaf value, every atomic object or list, and every list item.
    /// An object itself is not a member (its fields are), so an empty object owns nothing.
    /// </summary>
    public static FieldSet Of(JsonObject applied, PatchType type)
    {
        var set = new FieldSet();
        AddObject(set, applied, type);
        return set;
    }

    /// <summary>
    /// The fields <paramref name="updated"/> adds, modifies and removes relative to <paramref name="current"/>. Added
    /// and removed subtrees count every node in them, objects and items included, as upstream's comparison does;
    /// the top-level fields (metadata, spec) are never members themselves. Paths in <paramref name="ignore"/> are
    /// not compared at all, nor are the top-level fields for which <paramref name="topLevel"/> (if given) is false.
    /// </summary>
    public static FieldChanges Compare(JsonObject current, JsonObject updated, PatchType type, FieldSet? ignore = null, Func<string, bool>? topLevel = null)
    {
        var changes = new FieldChanges(new FieldSet(), new FieldSet(), new FieldSet());
        CompareObjects(current, updated, type, new Cursor(changes, null, null), depth: 0, ignore, topLevel);
        return changes;
    }

    /// <summary>The path element of a list item: its key, its value, or failing a key its position.</summary>
    internal static string ItemElement(JsonNode? item, PatchField field, int index) => field.Kind switch
    {
        PatchFieldKind.KeyedList when item is JsonObject o && KeyElement(o, field) is { } key => key,
        PatchFieldKind.Set => "v:" + (item?.ToJsonString(WireJson.Options) ?? "null"),
        _ => "i:" + index.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// An item's key element: its key fields (or their defaults) as a JSON object with the fields in name order, as
    /// upstream writes them; null when the item has none of them.
    /// </summary>
    private static string? KeyElement(JsonObject item, PatchField field)
    {
        var parts = new List<string>(field.ListKeys.Count);
        foreach (var key in field.ListKeys.OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            var value = item[key.Name] is { } present ? present.ToJsonString(WireJson.Options)
                : key.Default is { } fallback ? fallback.ToJsonString(WireJson.Options)
                : null;
            if (value is not null)
                parts.Add($"\"{key.Name}\":{value}");
        }
        return parts.Count == 0 || item[field.MergeKey!] is null ? null : "k:{" + string.Join(',', parts) + "}";
    }

    /// <summary>Whether a field's value is an object walked field by field (not atomic, and an object).</summary>
    internal static bool IsGranularObject(JsonNode? value, PatchField? field) =>
        value is JsonObject && field is not { Kind: PatchFieldKind.Atomic };

    /// <summary>Whether a field's value is a list walked item by item (one with keys or a set).</summary>
    internal static bool IsItemized(JsonNode? value, PatchField? field) =>
        value is JsonArray && field is { Kind: PatchFieldKind.KeyedList or PatchFieldKind.Set };

    internal static PatchType ChildType(PatchType type, PatchField? field) =>
        field is { Kind: PatchFieldKind.Object or PatchFieldKind.KeyedList } ? type.Of(field.Type) : PatchType.None;

    private static void AddObject(FieldSet node, JsonObject obj, PatchType type)
    {
        foreach (var (name, value) in obj)
        {
            var field = type.Field(name);
            var child = node.Descend(FieldElement(name));
            if (IsGranularObject(value, field))
            {
                AddObject(child, (JsonObject)value!, ChildType(type, field));
            }
            else if (IsItemized(value, field))
            {
                var items = (JsonArray)value!;
                for (var i = 0; i < items.Count; i++)
                {
                    var item = child.Descend(ItemElement(items[i], field!, i));
                    item.MarkMember();
                    if (field!.Kind == PatchFieldKind.KeyedList && items[i] is JsonObject itemObject)
                        AddObject(item, itemObject, ChildType(type, field));
                }
            }
            else
            {
                child.MarkMember();
            }
        }
    }

    private static void CompareObjects(JsonObject current, JsonObject updated, PatchType type, Cursor at, int depth, FieldSet? ignore = null, Func<string, bool>? topLevel = null)
    {
        foreach (var (name, value) in updated)
        {
            if (topLevel?.Invoke(name) == false)
                continue;
            var field = type.Field(name);
            var element = FieldElement(name);
            var ignored = ignore?.Child(element);
            if (ignored is { IsMember: true })
                continue;
            if (!current.TryGetPropertyValue(name, out var old))
                AddSubtree(at.Added.Descend(element), value, field, type, member: depth > 0);
            else if (ignored is not null && IsGranularObject(old, field) && IsGranularObject(value, field))
                CompareObjects((JsonObject)old!, (JsonObject)value!, ChildType(type, field), at.Child(element), depth + 1, ignored);
            else
                CompareValues(old, value, field, type, at.Child(element), depth + 1);
        }
        foreach (var (name, old) in current)
        {
            var element = FieldElement(name);
            if (!updated.ContainsKey(name) && ignore?.Child(element) is not { IsMember: true } && topLevel?.Invoke(name) != false)
                AddSubtree(at.Removed.Descend(element), old, type.Field(name), type, member: depth > 0);
        }
    }

    private static void CompareValues(JsonNode? old, JsonNode? value, PatchField? field, PatchType type, Cursor at, int depth)
    {
        if (IsGranularObject(old, field) && IsGranularObject(value, field))
        {
            CompareObjects((JsonObject)old!, (JsonObject)value!, ChildType(type, field), at, depth);
        }
        else if (IsItemized(old, field) && IsItemized(value, field))
        {
            CompareItems((JsonArray)old!, (JsonArray)value!, field!, ChildType(type, field), at, depth);
        }
        else if (IsGranularObject(old, field) || IsGranularObject(value, field) || IsItemized(old, field) || IsItemized(value, field))
        {
            // The value changed shape (an object became a string, say): the old subtree goes, the new one comes.
            AddSubtree(at.Removed, old, field, type, member: true);
            AddSubtree(at.Added, value, field, type, member: true);
        }
        else if (!JsonNode.DeepEquals(old, value))
        {
            at.Modified.MarkMember();
        }
    }

    private static void CompareItems(JsonArray old, JsonArray updated, PatchField field, PatchType elementType, Cursor at, int depth)
    {
        var oldItems = Index(old, field);
        var newItems = Index(updated, field);
        foreach (var (element, item) in newItems)
        {
            if (!oldItems.TryGetValue(element, out var before))
                AddSubtree(at.Added.Descend(element), item, null, elementType, member: true, isItem: true);
            else if (item is JsonObject o && before is JsonObject b && field.Kind == PatchFieldKind.KeyedList)
                CompareObjects(b, o, elementType, at.Child(element), depth + 1);
            else if (!JsonNode.DeepEquals(before, item))
                at.Modified.Descend(element).MarkMember();
        }
        foreach (var (element, item) in oldItems)
        {
            if (!newItems.ContainsKey(element))
                AddSubtree(at.Removed.Descend(element), item, null, elementType, member: true, isItem: true);
        }
    }

    /// <summary>The items of a list by path element; of items that share a key, the first counts.</summary>
    internal static Dictionary<string, JsonNode?> Index(JsonArray items, PatchField field)
    {
        var index = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
            index.TryAdd(ItemElement(items[i], field, i), items[i]);
        return index;
    }

    /// <summary>Marks a whole subtree: the node (when <paramref name="member"/>) and everything beneath it.</summary>
    private static void AddSubtree(FieldSet node, JsonNode? value, PatchField? field, PatchType type, bool member, bool isItem = false)
    {
        if (member)
            node.MarkMember();
        if (isItem)
        {
            if (value is JsonObject item)
                AddSubtreeFields(node, item, type);
            return;
        }
        if (IsGranularObject(value, field))
        {
            AddSubtreeFields(node, (JsonObject)value!, ChildType(type, field));
        }
        else if (IsItemized(value, field))
        {
            var items = (JsonArray)value!;
            for (var i = 0; i < items.Count; i++)
            {
                var itemNode = node.Descend(ItemElement(items[i], field!, i));
                itemNode.MarkMember();
                if (field!.Kind == PatchFieldKind.KeyedList && items[i] is JsonObject itemObject)
                    AddSubtreeFields(itemNode, itemObject, ChildType(type, field));
            }
        }
    }

    private static void AddSubtreeFields(FieldSet node, JsonObject obj, PatchType type)
    {
        foreach (var (name, value) in obj)
            AddSubtree(node.Descend(FieldElement(name)), value, type.Field(name), type, member: true);
    }

    /// <summary>
    /// The element of a field, shared between objects for the names a schema repeats (a bounded cache, since map
    /// keys such as labels are the users' own).
    /// </summary>
    private static string FieldElement(string name)
    {
        if (FieldElements.TryGetValue(name, out var element))
            return element;
        element = "f:" + name;
        if (FieldElements.Count < MaxCachedElements)
            FieldElements.TryAdd(name, element);
        return element;
    }

    private const int MaxCachedElements = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> FieldElements = new(StringComparer.Ordinal);

    /// <summary>
    /// A position in the three change sets during a comparison: its nodes are made only when a change is recorded
    /// there, so walking two equal subtrees builds nothing.
    /// </summary>
    private sealed class Cursor(FieldChanges changes, Cursor? parent, string? element)
    {
        private FieldSet? _added;
        private FieldSet? _modified;
        private FieldSet? _removed;

        public FieldSet Added => _added ??= parent is null ? changes.Added : parent.Added.Descend(element!);

        public FieldSet Modified => _modified ??= parent is null ? changes.Modified : parent.Modified.Descend(element!);

        public FieldSet Removed => _removed ??= parent is null ? changes.Removed : parent.Removed.Descend(element!);

        public Cursor Child(string childElement) => new(changes, this, childElement);
    }
}

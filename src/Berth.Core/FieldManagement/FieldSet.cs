using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Core.Serialization;

namespace Berth.Core.FieldManagement;

/// <summary>
/// A set of field paths, the unit of ownership in server-side apply, kept as a tree whose edges are path elements
/// in the FieldsV1 spelling: <c>f:name</c> (a field), <c>k:{"name":"web"}</c> (a list item by key),
/// <c>v:"x"</c> (a set item), <c>i:0</c> (an item by position). A node is a member when the path ending there is in
/// the set; FieldsV1 writes that as <c>"."</c> beside the node's children, or as an empty object for a leaf.
/// </summary>
public sealed class FieldSet
{
    /// <summary>The children in ordinal order of their elements (the order FieldsV1 is written in).</summary>
    private List<KeyValuePair<string, FieldSet>>? _children;

    /// <summary>Whether the path ending at this node is itself in the set.</summary>
    public bool IsMember { get; private set; }

    /// <summary>Whether no path at or beneath this node is a member.</summary>
    public bool IsEmpty => !IsMember && Children.All(c => c.Value.IsEmpty);

    public IEnumerable<KeyValuePair<string, FieldSet>> Children =>
        _children ?? Enumerable.Empty<KeyValuePair<string, FieldSet>>();

    public FieldSet? Child(string element) => Find(element) is var i and >= 0 ? _children![i].Value : null;

    /// <summary>The child at <paramref name="element"/>, created when missing.</summary>
    public FieldSet Descend(string element)
    {
        var i = Find(element);
        if (i >= 0)
            return _children![i].Value;
        var child = new FieldSet();
        (_children ??= []).Insert(~i, KeyValuePair.Create(element, child));
        return child;
    }

    public void MarkMember() => IsMember = true;

    public void ClearMember() => IsMember = false;

    /// <summary>Keeps only the paths at and beneath <paramref name="element"/> (changes this set).</summary>
    public void KeepOnly(string element)
    {
        IsMember = false;
        if (_children is null)
            return;
        _children.RemoveAll(c => c.Key != element);
    }

    /// <summary>Removes the subtree at each path of <paramref name="subtrees"/>: a path and everything under it (changes this set).</summary>
    public void RemoveSubtrees(IEnumerable<IReadOnlyList<string>> subtrees)
    {
        foreach (var path in subtrees)
        {
            var parent = this;
            for (var depth = 0; depth < path.Count - 1 && parent is not null; depth++)
                parent = parent.Child(path[depth]);
            if (parent?.Find(path[^1]) is >= 0 and var index)
                parent._children!.RemoveAt(index);
        }
    }

    /// <summary>Whether this set and <paramref name="other"/> have a member in common.</summary>
    public bool Overlaps(FieldSet other) =>
        (IsMember && other.IsMember) || Children.Any(c => other.Child(c.Key) is { } o && c.Value.Overlaps(o));

    public void Insert(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
            node = node.Descend(element);
        node.MarkMember();
    }

    /// <summary>The union (which may be one of the two sets itself, when the other is empty: sets are not changed once shared).</summary>
    public FieldSet Union(FieldSet other)
    {
        if (other.IsEmpty)
            return this;
        if (IsEmpty)
            return other;
        var result = Clone();
        result.AddAll(other);
        return result;
    }

    /// <summary>The members of this set that are not members of <paramref name="other"/>.</summary>
    public FieldSet Difference(FieldSet other) => other.IsEmpty ? this : Combine(this, other, (a, b) => a && !b) ?? new FieldSet();

    public FieldSet Intersection(FieldSet other) => Combine(this, other, (a, b) => a && b) ?? new FieldSet();

    /// <summary>Every member path, depth first in element order.</summary>
    public IEnumerable<IReadOnlyList<string>> Members()
    {
        var path = new List<string>();
        return Walk(this, path);

        static IEnumerable<IReadOnlyList<string>> Walk(FieldSet node, List<string> path)
        {
            if (node.IsMember && path.Count > 0)
                yield return path.ToArray();
            foreach (var (element, child) in node.Children)
            {
                path.Add(element);
                foreach (var member in Walk(child, path))
                    yield return member;
                path.RemoveAt(path.Count - 1);
            }
        }
    }

    public bool SetEquals(FieldSet other) => Difference(other).IsEmpty && other.Difference(this).IsEmpty;

    /// <summary>The FieldsV1 encoding, as in an object's <c>metadata.managedFields[].fieldsV1</c>.</summary>
    public JsonObject ToFieldsV1()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WireJson.Writer))
            Write(writer);
        // Parsed back lazily: the node is written out from these bytes unless someone looks inside.
        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    private void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        if (IsMember && Children.Any(c => !c.Value.IsEmpty))
        {
            writer.WritePropertyName(".");
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        foreach (var (element, child) in Children)
        {
            if (child.IsEmpty)
                continue;
            writer.WritePropertyName(element);
            child.Write(writer);
        }
        writer.WriteEndObject();
    }

    /// <summary>Reads FieldsV1; throws <see cref="FormatException"/> for anything that is not.</summary>
    public static FieldSet FromFieldsV1(JsonObject fields)
    {
        var set = new FieldSet();
        Read(set, fields, 0);
        return set;

        static void Read(FieldSet node, JsonObject fields, int depth)
        {
            if (depth > 100)
                throw new FormatException("fieldsV1 nests too deeply");
            foreach (var (element, value) in fields)
            {
                if (value is not JsonObject children)
                    throw new FormatException($"fieldsV1 element {element} is not an object");
                if (element == ".")
                {
                    node.MarkMember();
                    continue;
                }
                if (element.Length < 2 || element[1] != ':' || element[0] is not ('f' or 'k' or 'v' or 'i'))
                    throw new FormatException($"unknown fieldsV1 path element {element}");
                var child = node.Descend(element);
                if (children.Count == 0)
                    child.MarkMember();
                Read(child, children, depth + 1);
            }
        }
    }

    /// <summary>A path as upstream prints it in conflicts: <c>.spec.containers[name="web"].image</c>.</summary>
    public static string Describe(IReadOnlyList<string> path)
    {
        var text = new StringBuilder();
        foreach (var element in path)
        {
            var body = element[2..];
            switch (element[0])
            {
                case 'f':
                    text.Append('.').Append(body);
                    break;
                case 'k':
                    text.Append('[');
                    text.AppendJoin(",", JsonNode.Parse(body)!.AsObject().Select(p => $"{p.Key}={p.Value?.ToJsonString(WireJson.Options) ?? "null"}"));
                    text.Append(']');
                    break;
                case 'v':
                    text.Append("[=").Append(body).Append(']');
                    break;
                default:
                    text.Append('[').Append(body).Append(']');
                    break;
            }
        }
        return text.ToString();
    }

    private FieldSet Clone()
    {
        var copy = new FieldSet { IsMember = IsMember };
        if (_children is not null)
            copy._children = [.. _children.Select(c => KeyValuePair.Create(c.Key, c.Value.Clone()))];
        return copy;
    }

    private void AddAll(FieldSet other)
    {
        IsMember |= other.IsMember;
        foreach (var (element, child) in other.Children)
            Descend(element).AddAll(child);
    }

    private static FieldSet? Combine(FieldSet? a, FieldSet? b, Func<bool, bool, bool> member)
    {
        if (a is null)
            return null;
        var result = new FieldSet { IsMember = member(a.IsMember, b?.IsMember ?? false) };
        foreach (var (element, child) in a.Children)
        {
            if (Combine(child, b?.Child(element), member) is { IsEmpty: false } combined)
                (result._children ??= []).Add(KeyValuePair.Create(element, combined));
        }
        return result;
    }

    /// <summary>The index of <paramref name="element"/> among the children, or its complement where it would go.</summary>
    private int Find(string element)
    {
        if (_children is null)
            return -1;
        var (low, high) = (0, _children.Count - 1);
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var order = string.CompareOrdinal(_children[middle].Key, element);
            if (order == 0)
                return middle;
            if (order < 0)
                low = middle + 1;
            else
                high = middle - 1;
        }
        return ~low;
    }
}

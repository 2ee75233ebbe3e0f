using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Core.FieldManagement;

/// <summary>
/// A set of field paths, the unit of ownership in server-side apply, kept as a tree whose edges are path elements
/// in the FieldsV1 spelling: <c>f:name</c> (a field), <c>k:{"name":"web"}</c> (a list item by key),
/// <c>v:"x"</c> (a set item), <c>i:0</c> (an item by position). A node is a member when the path ending there is in
/// the set; FieldsV1 writes that as <c>"."</c> beside the node's children, or as an empty object for a leaf.
/// </summary>
public sealed class FieldSet
{
    private SortedDictionary<string, FieldSet>? _children;

    /// <summary>Whether the path ending at this node is itself in the set.</summary>
    public bool IsMember { get; private set; }

    /// <summary>Whether no path at or beneath this node is a member.</summary>
    public bool IsEmpty => !IsMember && Children.All(c => c.Value.IsEmpty);

    public IEnumerable<KeyValuePair<string, FieldSet>> Children =>
        _children ?? Enumerable.Empty<KeyValuePair<string, FieldSet>>();

    public FieldSet? Child(string element) => _children?.GetValueOrDefault(element);

    /// <summary>The child at <paramref name="element"/>, created when missing.</summary>
    public FieldSet Descend(string element)
    {
        _children ??= new SortedDictionary<string, FieldSet>(StringComparer.Ordinal);
        if (!_children.TryGetValue(element, out var child))
        {
            child = new FieldSet();
            _children[element] = child;
        }
        return child;
    }

    public void MarkMember() => IsMember = true;

    public void ClearMember() => IsMember = false;

    /// <summary>A set of only the paths at and beneath <paramref name="element"/>.</summary>
    public FieldSet Subtree(string element)
    {
        var result = new FieldSet();
        if (Child(element) is { } child)
            (result._children = new SortedDictionary<string, FieldSet>(StringComparer.Ordinal))[element] = child.Clone();
        return result;
    }

    public void Insert(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var element in path)
            node = node.Descend(element);
        node.MarkMember();
    }

    public FieldSet Union(FieldSet other)
    {
        var result = Clone();
        result.AddAll(other);
        return result;
    }

    /// <summary>The members of this set that are not members of <paramref name="other"/>.</summary>
    public FieldSet Difference(FieldSet other) => Combine(this, other, (a, b) => a && !b) ?? new FieldSet();

    public FieldSet Intersection(FieldSet other) => Combine(this, other, (a, b) => a && b) ?? new FieldSet();

    /// <summary>This set without the subtree at each path of <paramref name="subtrees"/> (a path and everything under it).</summary>
    public FieldSet WithoutSubtrees(IEnumerable<IReadOnlyList<string>> subtrees)
    {
        var result = Clone();
        foreach (var path in subtrees)
        {
            var parent = result;
            for (var i = 0; i < path.Count - 1 && parent is not null; i++)
                parent = parent.Child(path[i]);
            parent?._children?.Remove(path[^1]);
        }
        result.Prune();
        return result;
    }

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
        var result = new JsonObject();
        var children = Children.Where(c => !c.Value.IsEmpty).ToList();
        if (IsMember && children.Count > 0)
            result["."] = new JsonObject();
        foreach (var (element, child) in children)
            result[element] = child.ToFieldsV1();
        return result;
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
                    text.AppendJoin(",", JsonNode.Parse(body)!.AsObject().Select(p => $"{p.Key}={p.Value?.ToJsonString(Encoding) ?? "null"}"));
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

    /// <summary>How values are spelt inside path elements: compact, without escaping what JSON does not require.</summary>
    public static JsonSerializerOptions Encoding { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private FieldSet Clone()
    {
        var copy = new FieldSet { IsMember = IsMember };
        foreach (var (element, child) in Children)
            (copy._children ??= new SortedDictionary<string, FieldSet>(StringComparer.Ordinal))[element] = child.Clone();
        return copy;
    }

    private void AddAll(FieldSet other)
    {
        IsMember |= other.IsMember;
        foreach (var (element, child) in other.Children)
            Descend(element).AddAll(child);
    }

    /// <summary>Drops children that hold no member.</summary>
    private void Prune()
    {
        if (_children is null)
            return;
        foreach (var (element, child) in _children.ToList())
        {
            child.Prune();
            if (child.IsEmpty)
                _children.Remove(element);
        }
    }

    private static FieldSet? Combine(FieldSet? a, FieldSet? b, Func<bool, bool, bool> member)
    {
        if (a is null)
            return null;
        var result = new FieldSet { IsMember = member(a.IsMember, b?.IsMember ?? false) };
        foreach (var (element, child) in a.Children)
        {
            if (Combine(child, b?.Child(element), member) is { IsEmpty: false } combined)
                (result._children ??= new SortedDictionary<string, FieldSet>(StringComparer.Ordinal))[element] = combined;
        }
        return result;
    }
}

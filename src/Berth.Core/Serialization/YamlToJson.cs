using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Berth.Core.Serialization;

/// <summary>
/// YAML (request bodies sent as <c>application/yaml</c>, configuration files) turned into JSON the way Kubernetes' YAML decoding does it:
/// plain scalars become numbers, booleans (YAML 1.1's yes/no/on/off included) or null when they look like them,
/// quoted scalars stay strings.
/// </summary>
public static partial class YamlToJson
{
    /// <summary>Parses one YAML document; throws <see cref="YamlException"/> with the position of a syntax error.</summary>
    public static JsonNode? Convert(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : ToJson(stream.Documents[0].RootNode, 0);
    }

    private static JsonNode? ToJson(YamlNode node, int depth)
    {
        if (depth > 100)
            throw new YamlException(node.Start, node.End, "the document nests too deeply");
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = key is YamlScalarNode k ? k.Value ?? "" : throw new YamlException(key.Start, key.End, "mapping keys must be scalars");
                    obj[name] = ToJson(value, depth + 1);
                }
                return obj;
            case YamlSequenceNode sequence:
                return new JsonArray([.. sequence.Children.Select(child => ToJson(child, depth + 1))]);
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                throw new YamlException(node.Start, node.End, "aliases are not supported");
        }
    }

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
            return text;
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" or "y" or "Y":
                return true;
            case "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" or "n" or "N":
                return false;
        }
        if (Integer().IsMatch(text) && long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
            return integer;
        if (Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return number;
        return text;
    }

    [GeneratedRegex("^[-+]?[0-9][0-9_]*$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")]
    private static partial Regex Float();
}

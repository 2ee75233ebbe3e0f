using System.Globalization;

namespace Berth.Core.CustomResources;

/// <summary>
/// Paths as upstream's <c>field.Path</c> spells them: fields joined by dots, list indexes and map keys in brackets
/// (<c>spec.ports[0]</c>, <c>spec.selector[app]</c>).
/// </summary>
internal static class FieldPath
{
    public static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    public static string Key(string path, string key) => $"{path}[{key}]";

    public static string Index(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");
}

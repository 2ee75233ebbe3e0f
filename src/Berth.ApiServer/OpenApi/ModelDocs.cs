using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Xml;

namespace Berth.ApiServer.OpenApi;

/// <summary>
/// The descriptions of the KubernetesClient model types and their properties, read from the XML documentation that
/// ships in the package (zipped into this assembly at build time). Read once, while the documents are built.
/// </summary>
internal static class ModelDocs
{
    /// <summary>Member id (<c>T:k8s.Models.V1Pod</c>, <c>P:k8s.Models.V1Pod.Spec</c>) → its summary as one text.</summary>
    public static Dictionary<string, string> Load()
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        using var zip = Assembly.GetExecutingAssembly().GetManifestResourceStream("KubernetesClient.xml.zip")
            ?? throw new InvalidOperationException("KubernetesClient.xml.zip is not embedded");
        using var archive = new ZipArchive(zip, ZipArchiveMode.Read);
        using var stream = archive.GetEntry("KubernetesClient.xml")!.Open();
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { IgnoreComments = true, IgnoreWhitespace = true });
        string? member = null;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
                continue;
            if (reader.Name == "member")
            {
                var name = reader.GetAttribute("name");
                member = name is not null && (name.StartsWith("T:k8s.Models.", StringComparison.Ordinal) || name.StartsWith("P:k8s.Models.", StringComparison.Ordinal)) ? name : null;
            }
            else if (reader.Name == "summary" && member is not null)
            {
                docs[member] = Unwrap(reader.ReadElementContentAsString());
                member = null;
            }
        }
        return docs;
    }

    /// <summary>The summary as upstream wrote it: the package wraps lines at 80 columns; blank lines end paragraphs.</summary>
    private static string Unwrap(string text)
    {
        var paragraphs = new List<string>();
        var current = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                if (current.Length > 0)
                    paragraphs.Add(current.ToString());
                current.Clear();
                continue;
            }
            if (current.Length > 0)
                current.Append(' ');
            current.Append(trimmed);
        }
        if (current.Length > 0)
            paragraphs.Add(current.ToString());
        return string.Join("\n\n", paragraphs);
    }
}

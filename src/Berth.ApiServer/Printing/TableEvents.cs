using System.Text.Json.Nodes;
using Berth.Core.Resources;

namespace Berth.ApiServer.Printing;

/// <summary>
/// Turns the objects of a watch into one-row Tables, as <c>kubectl get -w</c> asks: the column definitions go
/// with the first event only, as upstream sends them.
/// </summary>
internal sealed class TableEvents(Printers printers, ResourceInfo resource, string? includeObject, TimeProvider time)
{
    private bool _columnsSent;

    public JsonObject Wrap(JsonObject obj)
    {
        var metadata = new JsonObject { ["resourceVersion"] = obj["metadata"]?["resourceVersion"]?.DeepClone() };
        var table = printers.Table(resource, [obj], metadata, includeObject, time.GetUtcNow(), withColumns: !_columnsSent);
        _columnsSent = true;
        return table;
    }
}

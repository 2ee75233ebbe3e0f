using System.Text.Json.Nodes;

namespace Berth.ApiServer.Printing;

/// <summary>How one kind prints: its columns, and the cells of a row for an object at a given moment.</summary>
internal sealed record Printer(IReadOnlyList<TableColumn> Columns, Func<JsonObject, DateTimeOffset, IReadOnlyList<JsonNode?>> Cells);

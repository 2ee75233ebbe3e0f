namespace Berth.ApiServer.Protobuf;

/// <summary>One field of a wire message: its number, JSON name and type, and how Go treats it.</summary>
/// <param name="Number">The field number on the wire.</param>
/// <param name="Name">The JSON name.</param>
/// <param name="Type">A scalar (string, bytes, int32, int64, bool, double), a message name, or "map".</param>
/// <param name="Repeated">A list: each element arrives as its own field.</param>
/// <param name="MapValue">For maps (keys are strings): the value type.</param>
/// <param name="Pointer">The Go field is a pointer: a zero value was set on purpose and is kept.</param>
/// <param name="Inline">An embedded struct: nested on the wire, merged into the parent in JSON.</param>
internal sealed record WireField(int Number, string Name, string Type, bool Repeated, string? MapValue, bool Pointer, bool Inline);

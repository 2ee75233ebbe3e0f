namespace Berth.Core.Patching;

/// <summary>A JSON patch that cannot be applied to the document: a failed test, a missing path, a malformed operation.</summary>
public sealed class JsonPatchException(string message) : Exception(message);

namespace Berth.Core.Patching;

/// <summary>A patch that cannot be applied to the document: a failed test, a missing path, a malformed operation or directive.</summary>
public sealed class PatchException(string message) : Exception(message);

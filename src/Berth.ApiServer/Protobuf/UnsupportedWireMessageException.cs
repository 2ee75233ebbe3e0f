namespace Berth.ApiServer.Protobuf;

/// <summary>A protobuf body uses a message the wire schema does not describe, so it cannot be decoded faithfully.</summary>
internal sealed class UnsupportedWireMessageException(string message) : Exception(message);

namespace Berth.Agent.Credentials;

/// <summary>Joining the cluster failed for a reason the user can act on; the message says what to do, in one line.</summary>
public sealed class JoinException(string message) : Exception(message);

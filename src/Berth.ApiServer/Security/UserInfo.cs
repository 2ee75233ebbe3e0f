namespace Berth.ApiServer.Security;

/// <summary>Who made a request, as authentication established it.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups);

namespace Berth.ApiServer.Security;

/// <summary>Who made a request, as authentication established it; <paramref name="Uid"/> where the credential names one (service accounts).</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null)
{
    public bool IsIn(string group) => Groups.Contains(group, StringComparer.Ordinal);
}

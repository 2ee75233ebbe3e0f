namespace Berth.Controllers.TaintEviction;

/// <summary>A node's NoExecute taint: what a pod must tolerate to stay, and since when it has been there (if the taint says).</summary>
internal sealed record NoExecuteTaint(string Key, string Value, DateTimeOffset? Added);

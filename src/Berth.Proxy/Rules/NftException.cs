namespace Berth.Proxy.Rules;

/// <summary>nft refused a script.</summary>
internal sealed class NftException(string message) : Exception(message);

using Berth.Client;

namespace Berth.Controllers;

/// <summary>
/// Whether an owner may still adopt orphans, asked of the API server rather than an informer, as upstream's
/// controllers do before adopting: an informer's copy may not show yet that the owner is being deleted with the orphan
/// policy, and an orphan adopted then would be left with a dangling owner reference, which the garbage collector
/// takes for a reason to delete it.
/// </summary>
internal static class Adoption
{
    /// <summary>The object at <paramref name="path"/> is still the one with <paramref name="uid"/>, and is not being deleted.</summary>
    public static async Task<bool> OwnerStillAdoptsAsync(ApiClient client, string path, string uid, CancellationToken cancellationToken)
    {
        var found = await client.GetAsync(path, cancellationToken);
        return found.Succeeded && found.Body?["metadata"]?["uid"]?.ToString() == uid && found.Body["metadata"]?["deletionTimestamp"] is null;
    }
}

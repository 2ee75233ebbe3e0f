using Berth.Core.Resources;

namespace Berth.Core.Tests;

public sealed class ResourceTableTests
{
    [Theory]
    [InlineData("", "v1", "pods", "Pod", true, "/registry/pods/")]
    [InlineData("apps", "v1", "deployments", "Deployment", true, "/registry/apps/deployments/")]
    [InlineData("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, "/registry/rbac.authorization.k8s.io/clusterroles/")]
    public void Find_GivesEachResourcesKindScopeAndStorage(string group, string version, string plural, string kind, bool namespaced, string prefix)
    {
        var resource = ResourceTable.BuiltIn.Find(group, version, plural)!;

        Assert.Equal(kind, resource.Kind);
        Assert.Equal(namespaced, resource.Namespaced);
        Assert.Equal(prefix, resource.StoragePrefix);
    }

    [Fact]
    public void StoragePrefixes_AreDistinctAndNoneContainsAnother()
    {
        var prefixes = ResourceTable.BuiltIn.All.Select(r => r.StoragePrefix).ToList();

        Assert.Equal(prefixes.Count, prefixes.Distinct().Count());
        Assert.DoesNotContain(prefixes, a => prefixes.Any(b => a != b && b.StartsWith(a, StringComparison.Ordinal)));
    }

    [Fact]
    public void AllCategory_HoldsTheWorkloadKindsKubectlGetAllShows()
    {
        var all = ResourceTable.BuiltIn.All.Where(r => r.Categories.Contains("all")).Select(r => r.Plural).ToHashSet();

        Assert.Superset(new HashSet<string> { "pods", "services", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs" }, all);
    }
}

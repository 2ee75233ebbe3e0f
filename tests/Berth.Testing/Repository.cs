namespace Berth.Testing;

/// <summary>What the tests take from the repository's working tree: the shipped binary and the test images.</summary>
public static class Repository
{
    /// <summary>The folder holding Berth.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// <c>bin/berth</c> as <c>make build</c> compiles it to native code: the tests run what users run, not a
    /// JIT-compiled build of the same sources, which would hide what ahead-of-time compilation breaks.
    /// </summary>
    public static string Binary
    {
        get
        {
            var path = Path.Combine(Root, "bin", "berth");
            return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: run `make build` (make test does)");
        }
    }

    /// <summary>A test image archive built by <c>scripts/build-test-images.sh</c>; a missing one fails the tests with what to run.</summary>
    public static string TestImage(string archive)
    {
        var path = Path.Combine(Root, "artifacts", "images", archive);
        return File.Exists(path) ? path : throw new InvalidOperationException($"the test image {path} is missing: run scripts/build-test-images.sh (make test does)");
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Berth.slnx")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no Berth.slnx above {AppContext.BaseDirectory}");
    }
}

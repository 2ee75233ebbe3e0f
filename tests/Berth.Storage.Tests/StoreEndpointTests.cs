namespace Berth.Storage.Tests;

public sealed class StoreEndpointTests
{
    [Theory]
    [InlineData("sqlite:///var/lib/berth/server/db/state.db", "/var/lib/berth/server/db/state.db")]
    [InlineData("sqlite://.berth/state.db", ".berth/state.db")]
    public void Parse_WhenSqlite_ThenPath(string endpoint, string path)
    {
        var parsed = StoreEndpoint.Parse(endpoint);

        Assert.Equal(StoreBackend.Sqlite, parsed.Backend);
        Assert.Equal(path, parsed.SqlitePath);
        Assert.Equal(endpoint, parsed.ToString());
    }

    [Fact]
    public void Parse_WhenSeveralEtcdMembers_ThenEachIsAnHttpUri()
    {
        var parsed = StoreEndpoint.Parse("etcd://127.0.0.1:2379, 127.0.0.2:22379");

        Assert.Equal(StoreBackend.Etcd, parsed.Backend);
        Assert.Equal(["http://127.0.0.1:2379/", "http://127.0.0.2:22379/"], parsed.EtcdEndpoints.Select(u => u.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("postgres://localhost/db")]
    [InlineData("sqlite://")]
    [InlineData("etcd://")]
    [InlineData("etcd://127.0.0.1")]
    [InlineData("etcd://127.0.0.1:2379/path")]
    public void Parse_WhenMalformed_ThenFormatExceptionSaysWhatIsExpected(string endpoint)
    {
        var error = Assert.Throws<FormatException>(() => StoreEndpoint.Parse(endpoint));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }
}

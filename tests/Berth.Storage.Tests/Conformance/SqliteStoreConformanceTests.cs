using Berth.Storage.Sqlite;
using Berth.Testing;

namespace Berth.Storage.Tests.Conformance;

/// <summary>The store contract against the embedded SQLite backend, a fresh database file per test.</summary>
public sealed class SqliteStoreConformanceTests : StoreConformanceTests
{
    protected override Task<IStoreHarness> CreateHarnessAsync() => Task.FromResult<IStoreHarness>(new Harness());

    private sealed class Harness : IStoreHarness
    {
        private readonly TempDirectory _directory = new("sqlite");
        private SqliteStore _store;

        public Harness() => _store = Open();

        public IStore Store => _store;

        public async Task RestartAsync()
        {
            // In-process the harshest stop is closing the store; SqliteStoreTests kills a writer process with SIGKILL.
            await _store.DisposeAsync();
            _store = Open();
        }

        public async ValueTask DisposeAsync()
        {
            await _store.DisposeAsync();
            _directory.Dispose();
        }

        private SqliteStore Open() => SqliteStore.Open(new SqliteStoreOptions
        {
            Path = _directory.File("state.db"),
            WatchProgressInterval = TimeSpan.FromMilliseconds(200),
            LeaseCheckInterval = TimeSpan.FromMilliseconds(100),
        });
    }
}

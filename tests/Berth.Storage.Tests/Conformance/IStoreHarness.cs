namespace Berth.Storage.Tests.Conformance;

/// <summary>What the conformance suite needs from a backend: a store, and a way to crash and restart it.</summary>
public interface IStoreHarness : IAsyncDisposable
{
    IStore Store { get; }

    /// <summary>Stops the backend as abruptly as the backend allows and opens it again on the same data.</summary>
    Task RestartAsync();
}

namespace Berth.ApiServer.Tests;

/// <summary>A server whose events live two seconds, so a test can see them expire.</summary>
public sealed class ShortEventTtlServerFixture : ServerFixture
{
    protected override TimeSpan EventTtl => TimeSpan.FromSeconds(2);
}

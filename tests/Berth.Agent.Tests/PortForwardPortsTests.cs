using Berth.Agent.Streaming;

namespace Berth.Agent.Tests;

public sealed class PortForwardPortsTests
{
    [Fact]
    public void ParsePorts_TakesRepeatedAndCommaSeparatedPorts()
    {
        var ports = new List<int>();

        Assert.Null(PortForwardBridge.ParsePorts(["8080,8081", "9090"], ports));
        Assert.Equal([8080, 8081, 9090], ports);
    }

    [Theory]
    [InlineData(new string[0], "query parameter \"port\" is required")]
    [InlineData(new[] { "" }, "query parameter \"port\" cannot be empty")]
    [InlineData(new[] { "80,http" }, "unable to parse \"80,http\" as a port")]
    [InlineData(new[] { "70000" }, "unable to parse \"70000\" as a port")]
    [InlineData(new[] { "0" }, "port \"0\" must be > 0")]
    public void ParsePorts_RefusesWhatIsNotAPort_AsUpstreamsKubeletSays(string[] parameters, string message) =>
        Assert.Equal(message, PortForwardBridge.ParsePorts(parameters, []));
}

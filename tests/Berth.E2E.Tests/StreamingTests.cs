using System.Diagnostics;
using Berth.Testing;

namespace Berth.E2E.Tests;

/// <summary>
/// kubectl exec, cp, attach and port-forward through the API server and the agent to containerd's stream server,
/// over kubectl's default WebSocket protocols and over its SPDY fallback.
/// </summary>
public sealed class StreamingTests(ContainerdCluster cluster) : IClassFixture<ContainerdCluster>
{
    private static readonly (string, string)[] WebSockets = [];
    private static readonly (string, string)[] Spdy = [("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", "false"), ("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false")];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Exec_RunsACommand_WithItsOutputAndExitCode(bool spdy)
    {
        var ns = await ServersAsync("exec");

        var (code, output, error) = await cluster.Kubectl.RunAsync(null, spdy ? Spdy : WebSockets,
            "exec", "-n", ns, "servers", "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3");

        Assert.Equal(3, code);
        Assert.Equal("to-stdout\n", output);
        Assert.Contains("to-stderr\n", error, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 3", error, StringComparison.Ordinal);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Exec_WithStdin_PassesItsInputAndItsEnd(bool spdy)
    {
        var ns = await ServersAsync("stdin");

        // wc ends only when its input does: the end of kubectl's stdin must reach the process.
        var (code, output, error) = await cluster.Kubectl.RunAsync("first line\nsecond line\nthird line\n", spdy ? Spdy : WebSockets,
            "exec", "-i", "-n", ns, "servers", "--", "sh", "-c", "wc -l; echo input ended");

        Assert.True(code == 0, error);
        Assert.Equal("3\ninput ended\n", output);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task Exec_OnATerminal_SeesTheTerminalsSizeAndReturnsTheExitCode()
    {
        var ns = await ServersAsync("tty");

        // The size arrives as the first resize message, possibly just after the shell starts (stty fails until then): wait for it.
        var (code, terminal) = await cluster.Kubectl.RunOnTerminalAsync(97, 31, "exec", "-it", "-n", ns, "servers", "--", "sh", "-c",
            "for i in $(seq 100); do s=$(stty size 2>/dev/null); [ -n \"$s\" ] && [ \"$s\" != '0 0' ] && break; sleep 0.1; done; echo \"size $s on $(tty)\"; exit 5");

        Assert.Equal(5, code);
        Assert.Contains("size 31 97 on /dev/pts/", terminal, StringComparison.Ordinal);
        Assert.Contains("command terminated with exit code 5", terminal, StringComparison.Ordinal);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task Cp_CopiesAFileIntoAContainerAndBackOut()
    {
        var ns = await ServersAsync("cp");
        using var files = new TempDirectory("e2e-cp");
        var content = string.Join('\n', Enumerable.Range(0, 2000).Select(i => $"line {i} of a file copied with kubectl cp")) + "\n";
        var local = await files.WriteAsync(content);

        await cluster.Kubectl.SucceedAsync("cp", local, $"{ns}/servers:/tmp/copied.txt");
        var (_, inside, _) = await cluster.Kubectl.SucceedAsync("exec", "-n", ns, "servers", "--", "sha256sum", "/tmp/copied.txt");
        var back = Path.Combine(files.Path, "back.txt");
        await cluster.Kubectl.SucceedAsync("cp", $"{ns}/servers:/tmp/copied.txt", back);

        Assert.StartsWith(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content))), inside, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllTextAsync(back));
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task Attach_CarriesInputToTheContainerAndItsOutputBack()
    {
        var ns = await cluster.NamespaceAsync("attach");
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: echo}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: echo
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                stdin: true
                command: [sh, -c, 'while read line; do echo "got $line"; done']
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=condition=Ready", "pod/echo", "--timeout=55s");

        using var attach = cluster.Kubectl.Start(["attach", "-i", "-n", ns, "echo"], redirectInput: true);
        try
        {
            var seen = new System.Text.StringBuilder();
            var reading = Task.Run(async () =>
            {
                var buffer = new char[256];
                int read;
                while ((read = await attach.StandardOutput.ReadAsync(buffer)) > 0)
                {
                    lock (seen)
                        seen.Append(buffer, 0, read);
                }
            });
            // The attach is live once a line sent through it comes back; lines sent before that may be missed.
            await Eventually.TrueAsync(async () =>
            {
                await attach.StandardInput.WriteLineAsync("hello");
                await attach.StandardInput.FlushAsync();
                lock (seen)
                    return seen.ToString().Contains("got hello", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(30), "the attached container to echo a line");
        }
        finally
        {
            attach.Kill(entireProcessTree: true);
        }
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PortForward_CarriesConcurrentConnectionsToSeveralPorts(bool spdy)
    {
        var ns = await ServersAsync("forward");
        var (first, second) = (FreePort.Next(), FreePort.Next());

        using var forward = cluster.Kubectl.Start(["port-forward", "-n", ns, "pod/servers", $"{first}:8080", $"{second}:8081"], redirectInput: false, spdy ? Spdy : WebSockets);
        try
        {
            await WaitForLinesAsync(forward, 2, "Forwarding from 127.0.0.1:");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            var pages = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
                http.GetStringAsync(new Uri($"http://127.0.0.1:{(i % 2 == 0 ? first : second)}/index.html"))));

            for (var i = 0; i < pages.Length; i++)
                Assert.Equal(i % 2 == 0 ? "port 8080\n" : "port 8081\n", pages[i]);
        }
        finally
        {
            forward.Kill(entireProcessTree: true);
        }
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task PortForward_OfTheOfficialClientLibrary_OverTheWebSocketChannelProtocol_ReachesEachPort()
    {
        var ns = await ServersAsync("client-forward");
        using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var socket = await client.WebSocketNamespacedPodPortForwardAsync("servers", ns, [8080, 8081], "v4.channel.k8s.io", cancellationToken: deadline.Token);
        using var demuxer = new k8s.StreamDemuxer(socket, k8s.StreamType.PortForward);
        demuxer.Start();
        var pages = await Task.WhenAll(GetAsync(demuxer, 0), GetAsync(demuxer, 1));

        Assert.EndsWith("\r\n\r\nport 8080\n", pages[0], StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nport 8081\n", pages[1], StringComparison.Ordinal);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");

        async Task<string> GetAsync(k8s.StreamDemuxer streams, int port)
        {
            // The i-th port's data is channel 2i both ways.
            using var stream = streams.GetStream((byte)(2 * port), (byte)(2 * port));
            await stream.WriteAsync("GET /index.html HTTP/1.0\r\n\r\n"u8.ToArray(), deadline.Token);
            var page = new System.Text.StringBuilder();
            var buffer = new byte[4096];
            while (!page.ToString().EndsWith('\n') || !page.ToString().Contains("\r\n\r\nport", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, deadline.Token);
                if (read == 0)
                    break;
                page.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
            }
            return page.ToString();
        }
    }

    [Fact]
    public async Task Exec_OfTheOfficialClientLibrary_ReturnsTheOutputAndTheExitCode()
    {
        var ns = await ServersAsync("client-exec");
        using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(cluster.KubeconfigPath));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? output = null, errors = null;

        var code = await client.NamespacedPodExecAsync("servers", ns, "httpd", ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"], false,
            async (_, stdout, stderr) =>
            {
                using var outReader = new StreamReader(stdout);
                using var errReader = new StreamReader(stderr);
                var read = await Task.WhenAll(outReader.ReadToEndAsync(deadline.Token), errReader.ReadToEndAsync(deadline.Token));
                (output, errors) = (read[0], read[1]);
            }, deadline.Token);

        Assert.Equal(3, code);
        Assert.Equal("to-stdout\n", output);
        Assert.Equal("to-stderr\n", errors);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    [Fact]
    public async Task Exec_InAContainerThePodDoesNotHave_SaysWhichItHas()
    {
        var ns = await ServersAsync("nocontainer");

        var (code, _, error) = await cluster.Kubectl.RunAsync("exec", "-n", ns, "servers", "-c", "nope", "--", "true");

        Assert.Equal(1, code);
        Assert.Contains("container nope is not valid for pod servers", error, StringComparison.Ordinal);
        await cluster.Kubectl.SucceedAsync("delete", "namespace", ns, "--wait=false");
    }

    /// <summary>A namespace with a ready pod <c>servers</c> answering on 8080 and 8081 with the port's name.</summary>
    private async Task<string> ServersAsync(string purpose)
    {
        var ns = await cluster.NamespaceAsync(purpose);
        await cluster.ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: servers}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: httpd
                image: {{ContainerdCluster.Busybox}}
                imagePullPolicy: IfNotPresent
                command: [sh, -c, 'for p in 8080 8081; do mkdir -p /tmp/$p && echo "port $p" > /tmp/$p/index.html && httpd -p $p -h /tmp/$p; done; exec sleep 3600']
                readinessProbe:
                  exec: {command: [sh, -c, 'wget -q -O /dev/null http://127.0.0.1:8080/index.html && wget -q -O /dev/null http://127.0.0.1:8081/index.html']}
                  periodSeconds: 1
            """);
        await cluster.Kubectl.SucceedAsync("wait", "-n", ns, "--for=condition=Ready", "pod/servers", "--timeout=55s");
        return ns;
    }

    /// <summary>Waits until the process has printed <paramref name="count"/> lines starting with <paramref name="prefix"/>.</summary>
    private static async Task WaitForLinesAsync(Process process, int count, string prefix)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var found = 0;
        while (found < count)
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token)
                ?? throw new InvalidOperationException($"kubectl ended before printing {count} lines starting with {prefix}: {await process.StandardError.ReadToEndAsync(deadline.Token)}");
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                found++;
        }
    }
}

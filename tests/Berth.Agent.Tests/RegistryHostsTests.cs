using Berth.Agent.Containerd;
using Berth.Testing;

namespace Berth.Agent.Tests;

public sealed class RegistryHostsTests
{
    [Fact]
    public void Write_TurnsK3sRegistriesYamlIntoContainerdHostsFiles()
    {
        using var dir = new TempDirectory("registries");
        File.WriteAllText(dir.File(RegistryHosts.FileName), """
            mirrors:
              docker.io:
                endpoint:
                - "https://mirror.example:5000"
                - "http://127.0.0.1:5001/"
              "*":
                endpoint: ["http://127.0.0.1:5001"]
            configs:
              "mirror.example:5000":
                tls:
                  ca_file: /etc/ssl/mirror-ca.crt
                  cert_file: /etc/ssl/client.crt
                  key_file: /etc/ssl/client.key
              "registry.internal":
                tls:
                  insecure_skip_verify: true
            """);
        var certs = dir.File("certs.d");
        Directory.CreateDirectory(Path.Combine(certs, "stale.example"));

        RegistryHosts.Write(dir.Path, certs);

        Assert.Equal("""
            server = "https://registry-1.docker.io"
            [host."https://mirror.example:5000"]
              capabilities = ["pull", "resolve"]
              ca = "/etc/ssl/mirror-ca.crt"
              client = [["/etc/ssl/client.crt", "/etc/ssl/client.key"]]
            [host."http://127.0.0.1:5001"]
              capabilities = ["pull", "resolve"]

            """, File.ReadAllText(Path.Combine(certs, "docker.io", "hosts.toml")).ReplaceLineEndings("\n"));
        Assert.Equal("""
            [host."http://127.0.0.1:5001"]
              capabilities = ["pull", "resolve"]

            """, File.ReadAllText(Path.Combine(certs, "_default", "hosts.toml")));
        Assert.Equal("""
            server = "https://registry.internal"
            [host."https://registry.internal"]
              capabilities = ["pull", "resolve"]
              skip_verify = true

            """, File.ReadAllText(Path.Combine(certs, "registry.internal", "hosts.toml")));
        Assert.False(Directory.Exists(Path.Combine(certs, "stale.example")), "hosts files from an earlier registries.yaml are left");
    }

    [Fact]
    public void Write_WithoutRegistriesYaml_LeavesNoHostsFiles()
    {
        using var dir = new TempDirectory("registries");
        var certs = dir.File("certs.d");
        Directory.CreateDirectory(Path.Combine(certs, "old"));

        RegistryHosts.Write(dir.Path, certs);

        Assert.Empty(Directory.GetFileSystemEntries(certs));
    }

    [Fact]
    public void Credentials_ComeFromTheImagesRegistryElseFromTheFirstOfItsMirrorsThatHasSome()
    {
        using var dir = new TempDirectory("registries");
        File.WriteAllText(dir.File(RegistryHosts.FileName), """
            mirrors:
              docker.io:
                endpoint: ["http://127.0.0.1:5001", "https://mirror.example:5000/"]
            configs:
              "mirror.example:5000":
                auth: {username: mirror, password: secret}
              "registry.internal":
                auth:
                  auth: b3duZXI6czNjcjN0
              "127.0.0.1:5001":
                tls: {insecure_skip_verify: true}
            """);

        var credentials = RegistryCredentials.Load(dir.Path);

        Assert.Equal(("owner", "s3cr3t"), credentials.For("registry.internal/team/app:1") is { } own ? (own.Username, own.Password) : default);
        Assert.Equal(("mirror", "secret"), credentials.For("busybox") is { } mirrored ? (mirrored.Username, mirrored.Password) : default);
        Assert.Null(credentials.For("quay.io/team/app"));
        Assert.Null(RegistryCredentials.Load(dir.File("nowhere")).For("busybox"));
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Berth.Core.Security;

namespace Berth.Agent.Credentials;

/// <summary>
/// What a joined node authenticates with, kept in <c>&lt;data-dir&gt;/agent/</c>: the cluster CA it trusts the server
/// by (<c>ca.crt</c>), its client certificate and key (<c>client.crt</c>, <c>client.key</c>: CN
/// <c>system:node:&lt;name&gt;</c>, O <c>system:nodes</c>), and a kubeconfig with all three for the server
/// (<c>kubeconfig.yaml</c>), so that the node's identity can also be used with kubectl.
/// </summary>
public sealed record NodeCredentials(Uri Server, string NodeName, X509Certificate2 Authority, X509Certificate2 Client)
{
    private const string CaFile = "ca.crt";
    private const string CertificateFile = "client.crt";
    private const string KeyFile = "client.key";
    private const string KubeconfigFile = "kubeconfig.yaml";

    /// <summary>
    /// The credentials saved in <paramref name="agentDir"/>, if they are for <paramref name="server"/> and
    /// <paramref name="nodeName"/>, their CA is the one <paramref name="token"/> names, and the certificate still has a
    /// fifth of its lifetime left; otherwise null, with <paramref name="why"/> saying why (null when there are none).
    /// </summary>
    public static NodeCredentials? Load(string agentDir, Uri server, string nodeName, JoinToken token, TimeProvider time, out string? why)
    {
        why = null;
        if (!new[] { CaFile, CertificateFile, KeyFile, KubeconfigFile }.All(f => File.Exists(System.IO.Path.Combine(agentDir, f))))
            return null;
        try
        {
            return Read(agentDir, server, nodeName, token, time, out why);
        }
        catch (CryptographicException e)
        {
            why = $"they cannot be read ({e.Message})";
            return null;
        }
    }

    private static NodeCredentials? Read(string agentDir, Uri server, string nodeName, JoinToken token, TimeProvider time, out string? why)
    {
        why = null;
        string Path(string file) => System.IO.Path.Combine(agentDir, file);
        var savedServer = File.ReadLines(Path(KubeconfigFile)).Select(l => l.Trim())
            .FirstOrDefault(l => l.StartsWith("server:", StringComparison.Ordinal))?["server:".Length..].Trim();
        if (savedServer is null || !Uri.TryCreate(savedServer, UriKind.Absolute, out var saved) || saved != server)
        {
            why = $"they are for another server ({savedServer})";
            return null;
        }
        var authority = X509Certificate2.CreateFromPem(File.ReadAllText(Path(CaFile)));
        if (!token.Matches(authority))
        {
            why = "their CA is not the one the token names";
            return null;
        }
        var client = X509Certificate2.CreateFromPemFile(Path(CertificateFile), Path(KeyFile));
        var now = time.GetUtcNow().UtcDateTime;
        var left = client.NotAfter.ToUniversalTime() - now;
        if (client.GetNameInfo(X509NameType.SimpleName, false) != "system:node:" + nodeName)
            why = $"they are for another node ({client.GetNameInfo(X509NameType.SimpleName, false)})";
        else if (left < (client.NotAfter - client.NotBefore) / 5)
            why = $"the certificate expires at {client.NotAfter.ToUniversalTime():u}";
        else if (!IssuedBy(client, authority))
            why = "the certificate is not issued by their CA";
        if (why is null)
            return new NodeCredentials(server, nodeName, authority, client);
        client.Dispose();
        return null;
    }

    /// <summary>Writes the credentials into <paramref name="agentDir"/>; the key and the kubeconfig readable by the owner only.</summary>
    public void Save(string agentDir)
    {
        Directory.CreateDirectory(agentDir);
        using var key = Client.GetECDsaPrivateKey();
        var keyPem = key?.ExportPkcs8PrivateKeyPem() ?? Client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();
        var certificatePem = Client.ExportCertificatePem() + "\n";
        var caPem = Authority.ExportCertificatePem() + "\n";
        WritePrivate(System.IO.Path.Combine(agentDir, KeyFile), keyPem + "\n");
        File.WriteAllText(System.IO.Path.Combine(agentDir, CertificateFile), certificatePem);
        File.WriteAllText(System.IO.Path.Combine(agentDir, CaFile), caPem);
        WritePrivate(System.IO.Path.Combine(agentDir, KubeconfigFile), Kubeconfig(caPem, certificatePem, keyPem + "\n"));
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="authority"/> (a client or the server's serving certificate).</summary>
    public static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        return chain.Build(certificate);
    }

    private string Kubeconfig(string caPem, string certificatePem, string keyPem)
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
        var server = Server.ToString().TrimEnd('/');
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: berth
              cluster:
                server: {server}
                certificate-authority-data: {B64(caPem)}
            users:
            - name: system:node:{NodeName}
              user:
                client-certificate-data: {B64(certificatePem)}
                client-key-data: {B64(keyPem)}
            contexts:
            - name: berth
              context:
                cluster: berth
                user: system:node:{NodeName}
            current-context: berth

            """;
    }

    private static void WritePrivate(string path, string text)
    {
        // Created empty and owner-only first, so the secret is never readable by others, not even for a moment.
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }
}

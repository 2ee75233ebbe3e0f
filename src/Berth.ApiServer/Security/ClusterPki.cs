using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Berth.ApiServer.Security;

/// <summary>
/// The cluster's TLS material in <c>server/tls</c>: a CA, the API server's serving certificate, the admin's client
/// certificate (CN=admin, O=system:masters), the controllers' (CN=system:kube-controller-manager) and the scheduler's
/// (CN=system:kube-scheduler), as upstream's identities.
/// Made on first start, reused afterwards; a serving certificate that lacks a name now asked for is reissued from
/// the same CA.
/// </summary>
public sealed class ClusterPki
{
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private ClusterPki(X509Certificate2 ca, X509Certificate2 serving, X509Certificate2 adminClient, X509Certificate2 controllerManagerClient,
        X509Certificate2 schedulerClient, X509Certificate2 agentClient, string caPem, string adminCertPem, string adminKeyPem)
    {
        Ca = ca;
        ControllerManagerClient = controllerManagerClient;
        SchedulerClient = schedulerClient;
        AgentClient = agentClient;
        Serving = serving;
        AdminClient = adminClient;
        CaPem = caPem;
        AdminCertPem = adminCertPem;
        AdminKeyPem = adminKeyPem;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Serving { get; }

    public X509Certificate2 AdminClient { get; }

    public X509Certificate2 ControllerManagerClient { get; }

    public X509Certificate2 SchedulerClient { get; }

    /// <summary>What the API server presents to node agents (for logs): <c>CN=kube-apiserver-kubelet-client</c>, as upstream's.</summary>
    public X509Certificate2 AgentClient { get; }

    public string CaPem { get; }

    public string AdminCertPem { get; }

    public string AdminKeyPem { get; }

    public static ClusterPki LoadOrCreate(string tlsDir, IReadOnlyList<string> sans)
    {
        Directory.CreateDirectory(tlsDir);
        var ca = LoadOrCreate(tlsDir, "ca", () => CreateCa());
        var names = new[] { "localhost", "127.0.0.1", "::1", Dns.GetHostName() }.Concat(sans).Distinct(StringComparer.Ordinal).ToList();
        var serving = LoadOrCreate(tlsDir, "serving", () => Issue(ca, "CN=berth-apiserver", serverAuth: true, names),
            existing => names.All(n => existing.MatchesHostname(n)));
        var admin = LoadOrCreate(tlsDir, "admin", () => Issue(ca, "CN=admin, O=system:masters", serverAuth: false, []));
        var controllerManager = LoadOrCreate(tlsDir, "controller-manager", () => Issue(ca, "CN=system:kube-controller-manager", serverAuth: false, []));
        var scheduler = LoadOrCreate(tlsDir, "scheduler", () => Issue(ca, "CN=system:kube-scheduler", serverAuth: false, []));
        var agentClient = LoadOrCreate(tlsDir, "agent-client", () => Issue(ca, "CN=kube-apiserver-kubelet-client, O=system:masters", serverAuth: false, []));
        return new ClusterPki(ca, serving, admin, controllerManager, scheduler, agentClient,
            File.ReadAllText(Path.Combine(tlsDir, "ca.crt")),
            File.ReadAllText(Path.Combine(tlsDir, "admin.crt")),
            File.ReadAllText(Path.Combine(tlsDir, "admin.key")));
    }

    /// <summary>A client certificate for a node agent: <c>CN=system:node:&lt;name&gt;</c> in group <c>system:nodes</c>, as upstream's node credentials.</summary>
    public X509Certificate2 IssueNodeClient(string nodeName) => Issue(Ca, $"CN=system:node:{nodeName}, O=system:nodes", serverAuth: false, []);

    /// <summary>Whether <paramref name="certificate"/> was issued by this cluster's CA and is valid now.</summary>
    public bool IsTrustedClient(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }

    private static X509Certificate2 LoadOrCreate(string dir, string name, Func<X509Certificate2> create, Func<X509Certificate2, bool>? stillGood = null)
    {
        var certPath = Path.Combine(dir, name + ".crt");
        var keyPath = Path.Combine(dir, name + ".key");
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (existing.NotAfter > DateTime.UtcNow.AddDays(30) && (stillGood?.Invoke(existing) ?? true))
                return existing;
            existing.Dispose();
        }
        var created = create();
        File.WriteAllText(certPath, created.ExportCertificatePem());
        using var key = created.GetECDsaPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return created;
    }

    private static X509Certificate2 CreateCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=berth-ca@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        return request.CreateSelfSigned(now, now + CaLifetime);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool serverAuth, IEnumerable<string> names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in names)
            {
                if (IPAddress.TryParse(name, out var ip))
                    san.AddIpAddress(ip);
                else
                    san.AddDnsName(name);
            }
            request.CertificateExtensions.Add(san.Build());
        }
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, now, now + LeafLifetime, serial);
        return issued.CopyWithPrivateKey(key);
    }
}

using System.Text;

namespace Berth.ApiServer.Security;

/// <summary>Writes the admin kubeconfig: the cluster's CA, the server URL and the admin client certificate, inline.</summary>
public static class Kubeconfig
{
    public static string Render(string server, ClusterPki pki)
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: berth
              cluster:
                server: {server}
                certificate-authority-data: {B64(pki.CaPem)}
            users:
            - name: admin
              user:
                client-certificate-data: {B64(pki.AdminCertPem)}
                client-key-data: {B64(pki.AdminKeyPem)}
            contexts:
            - name: berth
              context:
                cluster: berth
                user: admin
                namespace: default
            current-context: berth

            """;
    }

    /// <summary>Writes the file readable by its owner only: it holds the admin's private key.</summary>
    public static void Write(string path, string server, ClusterPki pki)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, Render(server, pki));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}

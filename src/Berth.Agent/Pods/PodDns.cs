using System.Net;
using System.Text.Json.Nodes;
using Berth.Agent.Cri.Protocol;

namespace Berth.Agent.Pods;

/// <summary>
/// A pod's resolver configuration (its <c>/etc/resolv.conf</c>, which the runtime writes from CRI's DNSConfig), by
/// <c>spec.dnsPolicy</c> as upstream's kubelet makes it:
/// <list type="bullet">
/// <item><c>ClusterFirst</c> (the default): the cluster DNS servers; search <c>&lt;ns&gt;.svc.&lt;domain&gt;</c>,
/// <c>svc.&lt;domain&gt;</c>, <c>&lt;domain&gt;</c>, then the host's search domains; <c>options ndots:5</c>. On the host's
/// network it is <c>Default</c>, unless the policy is <c>ClusterFirstWithHostNet</c>.</item>
/// <item><c>Default</c>: the host's resolv.conf (nameservers, search domains, options).</item>
/// <item><c>None</c>: nothing but <c>spec.dnsConfig</c>.</item>
/// </list>
/// <c>spec.dnsConfig</c> then adds to it: nameservers and search domains appended without duplicates, options by name
/// (its own replace those of the same name). The result is cut to what resolvers take, as kubelet cuts it: three
/// nameservers; 32 search domains, none longer than 253 characters, 2,048 characters in all.
/// </summary>
internal sealed class PodDns(IReadOnlyList<string> clusterDns, string clusterDomain, Func<string> hostResolvConf)
{
    public const int MaxNameservers = 3;
    public const int MaxSearchPaths = 32;
    public const int MaxSearchListChars = 2048;

    /// <summary>The longest search domain kept: some resolvers (glibc 2.28) abort on a longer one.</summary>
    public const int MaxSearchPathLength = 253;

    private const string HostResolvConf = "/etc/resolv.conf";

    /// <summary>systemd-resolved's list of the real upstream servers, for hosts whose resolv.conf names only its 127.0.0.53 stub.</summary>
    private const string SystemdResolvConf = "/run/systemd/resolve/resolv.conf";

    /// <summary>The pods of a node whose cluster DNS is at <paramref name="clusterDns"/> (comma-separated addresses) for <paramref name="clusterDomain"/>.</summary>
    public PodDns(string clusterDns, string clusterDomain)
        : this([.. clusterDns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)], clusterDomain, ReadHostResolvConf)
    {
    }

    /// <summary>The DNSConfig of <paramref name="pod"/>'s sandbox.</summary>
    public DNSConfig For(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject ?? [];
        var ns = pod["metadata"]?["namespace"]?.ToString() is { Length: > 0 } n ? n : "default";
        var hostNetwork = spec["hostNetwork"]?.GetValue<bool>() == true;
        var policy = spec["dnsPolicy"]?.ToString() switch
        {
            "None" => Policy.None,
            "Default" => Policy.Host,
            "ClusterFirstWithHostNet" => Policy.Cluster,
            // ClusterFirst, and what the API server would have defaulted to it.
            _ => hostNetwork ? Policy.Host : Policy.Cluster,
        };
        // Without a cluster DNS server to name, a ClusterFirst pod gets the host's resolver, as kubelet gives it.
        if (policy == Policy.Cluster && clusterDns.Count == 0)
            policy = Policy.Host;

        List<string> servers = [];
        List<string> searches = [];
        List<string> options = [];
        if (policy != Policy.None)
        {
            var host = Parse(hostResolvConf());
            searches.AddRange(host.Searches);
            if (policy == Policy.Cluster)
            {
                servers.AddRange(clusterDns);
                var domain = clusterDomain.TrimEnd('.');
                if (domain.Length > 0)
                    searches.InsertRange(0, [$"{ns}.svc.{domain}", $"svc.{domain}", domain]);
                options.Add("ndots:5");
            }
            else
            {
                servers.AddRange(host.Servers);
                options.AddRange(host.Options);
            }
        }
        if (spec["dnsConfig"] is JsonObject dnsConfig)
        {
            servers.AddRange(Strings(dnsConfig["nameservers"]));
            searches.AddRange(Strings(dnsConfig["searches"]));
            foreach (var option in (dnsConfig["options"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (option["name"]?.ToString() is { Length: > 0 } name)
                    options = MergeOption(options, name, option["value"]?.ToString());
            }
        }

        var config = new DNSConfig();
        config.Servers.Add(servers.Distinct(StringComparer.Ordinal).Take(MaxNameservers));
        config.Searches.Add(FitSearches([.. searches.Distinct(StringComparer.Ordinal)]));
        config.Options.Add(options);
        return config;
    }

    /// <summary>The nameservers, search domains (the last search line's; no root '.') and options of a resolv.conf.</summary>
    internal static (List<string> Servers, List<string> Searches, List<string> Options) Parse(string resolvConf)
    {
        List<string> servers = [];
        List<string> searches = [];
        List<string> options = [];
        foreach (var line in resolvConf.Split('\n'))
        {
            if (line.Length > 0 && line[0] is '#' or ';')
                continue;
            var fields = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
                continue;
            switch (fields[0])
            {
                case "nameserver":
                    servers.Add(fields[1]);
                    break;
                case "search":
                    searches = [.. fields.Skip(1).Where(s => s != ".").Select(s => s.TrimEnd('.'))];
                    break;
                case "options":
                    foreach (var option in fields.Skip(1))
                    {
                        var colon = option.IndexOf(':', StringComparison.Ordinal);
                        options = MergeOption(options, colon < 0 ? option : option[..colon], colon < 0 ? null : option[(colon + 1)..]);
                    }
                    break;
            }
        }
        return (servers, searches, options);
    }

    /// <summary>Sets option <paramref name="name"/> (with <paramref name="value"/>, if any) in place of one of that name, or appends it.</summary>
    private static List<string> MergeOption(List<string> options, string name, string? value)
    {
        var option = string.IsNullOrEmpty(value) ? name : $"{name}:{value}";
        var index = options.FindIndex(o => o == name || o.StartsWith(name + ":", StringComparison.Ordinal));
        if (index < 0)
            options.Add(option);
        else
            options[index] = option;
        return options;
    }

    /// <summary>The search domains resolvers take: the first 32, without any too long, then cut from the end to 2,048 characters in all.</summary>
    private static List<string> FitSearches(List<string> searches)
    {
        var fitted = searches.Take(MaxSearchPaths).Where(s => s.Length <= MaxSearchPathLength).ToList();
        while (fitted.Count > 0 && string.Join(' ', fitted).Length > MaxSearchListChars)
            fitted.RemoveAt(fitted.Count - 1);
        return fitted;
    }

    private static IEnumerable<string> Strings(JsonNode? array) =>
        (array as JsonArray ?? []).Select(s => s?.ToString()).OfType<string>().Where(s => s.Length > 0);

    /// <summary>
    /// The host's resolv.conf (none: empty); when it names only loopback servers (systemd-resolved's stub, which a pod
    /// cannot reach from its own network), systemd-resolved's list of the servers behind it, as k3s picks it.
    /// </summary>
    private static string ReadHostResolvConf()
    {
        var host = File.Exists(HostResolvConf) ? File.ReadAllText(HostResolvConf) : "";
        if (Parse(host).Servers is { Count: > 0 } servers && servers.All(s => IPAddress.TryParse(s, out var address) && IPAddress.IsLoopback(address))
            && File.Exists(SystemdResolvConf))
            return File.ReadAllText(SystemdResolvConf);
        return host;
    }

    private enum Policy
    {
        Cluster,
        Host,
        None,
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Berth.Agent.Nodes;
using Berth.Agent.Runtime;
using Berth.Core.Quantities;

namespace Berth.Agent.Pods.Volumes;

/// <summary>
/// The host side of a pod's volumes, under <c>&lt;agent&gt;/pods/&lt;uid&gt;/volumes/&lt;kind&gt;/&lt;name&gt;</c> as upstream lays
/// them out: <c>emptyDir</c> (a folder, or tmpfs for <c>medium: Memory</c> with its size limit), <c>hostPath</c> (checked
/// against its <c>type</c>), claimed PersistentVolumes (<see cref="ClaimedVolumes"/>), and the volumes made from API data, written atomically and on tmpfs when they hold secrets.
/// Set up again on every look at the pod, so that ConfigMap and Secret changes reach running containers. Kinds not
/// handled yet fail the volume with a clear message.
/// </summary>
internal sealed class PodVolumes(string podsDir, VolumeFiles files, ClaimedVolumes claims)
{
    private const int DefaultMode = 420; // 0644

    /// <summary>Sets up every volume of the pod; returns each volume's host path by name.</summary>
    public async Task<Dictionary<string, PodVolume>> SetUpAsync(JsonObject pod, CancellationToken cancellationToken)
    {
        var uid = pod["metadata"]!["uid"]!.GetValue<string>();
        var ns = pod["metadata"]!["namespace"]!.GetValue<string>();
        var paths = new Dictionary<string, PodVolume>(StringComparer.Ordinal);
        foreach (var volume in (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = volume["name"]?.ToString() ?? "";
            try
            {
                paths[name] = volume["persistentVolumeClaim"] is JsonObject claim
                    ? await claims.SetUpAsync(claim, ns, cancellationToken)
                    : new PodVolume(await SetUpAsync(volume, name, uid, ns, pod, cancellationToken));
            }
            catch (VolumeException e)
            {
                throw new VolumeException($"MountVolume.SetUp failed for volume \"{name}\" : {e.Message}");
            }
        }
        return paths;
    }

    /// <summary>Whether the pod has volumes whose content follows API objects (and must be looked at again now and then).</summary>
    public static bool FollowsApiData(JsonObject pod) =>
        (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>().Any(v => v["configMap"] is not null || v["secret"] is not null || v["projected"] is not null || v["downwardAPI"] is not null);

    /// <summary>The mounts of a container's <c>volumeMounts</c>, with <c>subPath</c> kept inside its volume.</summary>
    public static List<ContainerMount> Mounts(JsonObject container, IReadOnlyDictionary<string, PodVolume> volumes)
    {
        var mounts = new List<ContainerMount>();
        foreach (var mount in (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = mount["name"]?.ToString() ?? "";
            if (!volumes.TryGetValue(name, out var volume))
                throw new VolumeException($"volume \"{name}\" is not set up");
            var hostPath = volume.HostPath;
            if (mount["subPath"]?.ToString() is { Length: > 0 } subPath)
            {
                var full = Path.GetFullPath(Path.Combine(hostPath, subPath));
                if (!full.StartsWith(hostPath.TrimEnd('/') + "/", StringComparison.Ordinal))
                    throw new VolumeException($"subPath \"{subPath}\" leaves volume \"{name}\"");
                // A missing subPath is created as a folder, as upstream does.
                if (!File.Exists(full) && !Directory.Exists(full))
                    Directory.CreateDirectory(full);
                hostPath = full;
            }
            var propagation = mount["mountPropagation"]?.ToString() switch
            {
                "HostToContainer" => MountPropagationMode.HostToContainer,
                "Bidirectional" => MountPropagationMode.Bidirectional,
                _ => MountPropagationMode.Private,
            };
            mounts.Add(new ContainerMount(mount["mountPath"]?.ToString() ?? "", hostPath, volume.ReadOnly || mount["readOnly"]?.GetValue<bool>() == true, propagation));
        }
        return mounts;
    }

    /// <summary>Removes everything of a pod's volumes (tmpfs mounts first); hostPath volumes are not the pod's and stay.</summary>
    public async Task TearDownAsync(string uid)
    {
        files.Forget(uid);
        var dir = Path.Combine(podsDir, uid);
        if (!Directory.Exists(dir))
            return;
        var root = dir + "/";
        foreach (var point in MountPoints().Where(p => p.StartsWith(root, StringComparison.Ordinal)).OrderByDescending(p => p.Length))
            await RunAsync("umount", point);
        Directory.Delete(dir, recursive: true);
    }

    private async Task<string> SetUpAsync(JsonObject volume, string name, string uid, string ns, JsonObject pod, CancellationToken cancellationToken)
    {
        if (volume["hostPath"] is JsonObject hostPath)
            return await HostPathVolume.SetUpAsync(hostPath["path"]?.ToString() ?? "", hostPath["type"]?.ToString() ?? "");
        if (volume["emptyDir"] is JsonObject emptyDir)
        {
            var dir = Path.Combine(podsDir, uid, "volumes", "kubernetes.io~empty-dir", name);
            var made = !Directory.Exists(dir);
            Folder(uid, "kubernetes.io~empty-dir", name);
            if (emptyDir["medium"]?.ToString() == "Memory")
                await EnsureTmpfsAsync(dir, emptyDir["sizeLimit"]?.ToString());
            if (made)
            {
                // Once, when made: what the containers write later is theirs.
                File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));
                await VolumeOwnership.ApplyAsync(dir, pod, readOnly: false);
            }
            return dir;
        }
        if (volume["configMap"] is JsonObject configMap)
            return await WriteAsync(Folder(uid, "kubernetes.io~configmap", name), await files.ConfigMapAsync(configMap, ns, VolumeFiles.Mode(configMap["defaultMode"], DefaultMode), cancellationToken), false, pod);
        if (volume["secret"] is JsonObject secret)
            return await WriteAsync(Folder(uid, "kubernetes.io~secret", name), await files.SecretAsync(secret, "secretName", ns, VolumeFiles.Mode(secret["defaultMode"], DefaultMode), cancellationToken), true, pod);
        if (volume["downwardAPI"] is JsonObject downward)
            return await WriteAsync(Folder(uid, "kubernetes.io~downward-api", name), await files.DownwardApiAsync(downward, pod, VolumeFiles.Mode(downward["defaultMode"], DefaultMode), cancellationToken), false, pod);
        if (volume["projected"] is JsonObject projected)
            return await WriteAsync(Folder(uid, "kubernetes.io~projected", name), await files.ProjectedAsync(projected, pod, cancellationToken), true, pod);
        var kind = volume.Select(p => p.Key).FirstOrDefault(k => k != "name") ?? "unknown";
        throw new VolumeException($"volumes of kind {kind} are not supported yet");
    }

    private static async Task<string> WriteAsync(string dir, List<VolumeFile> content, bool inMemory, JsonObject pod)
    {
        // Secrets never touch the node's disk.
        if (inMemory)
            await EnsureTmpfsAsync(dir, null);
        // The new files join the group before the switch makes them visible; then the volume's root does.
        await AtomicWriter.WriteAsync(dir, VolumeOwnership.WithFinalModes(content, pod), fresh => VolumeOwnership.ApplyAsync(fresh, pod, readOnly: true));
        await VolumeOwnership.ApplyAsync(dir, pod, readOnly: true);
        return dir;
    }

    private string Folder(string uid, string kind, string name)
    {
        var dir = Path.Combine(podsDir, uid, "volumes", kind, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static async Task EnsureTmpfsAsync(string dir, string? sizeLimit)
    {
        if (MountPoints().Contains(dir))
            return;
        var options = "mode=0755";
        if (sizeLimit is not null && Quantity.TryParse(sizeLimit, out var size) && size.Value > 0)
            options += ",size=" + decimal.Ceiling(size.Value).ToString(CultureInfo.InvariantCulture);
        await RunAsync("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir);
    }

    private static HashSet<string> MountPoints() =>
        File.ReadAllLines("/proc/self/mountinfo").Select(line => line.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var result = await HostCommand.RunAsync(program, arguments);
        if (!result.Succeeded)
            throw new VolumeException($"{program} {string.Join(' ', arguments)} failed: {result.Error.Trim()}");
    }
}

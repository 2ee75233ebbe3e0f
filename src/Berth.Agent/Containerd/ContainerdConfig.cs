using System.Text;

namespace Berth.Agent.Containerd;

/// <summary>
/// The configuration file of the agent's containerd. Its settings are the ones that work on these machines (see
/// ARCHITECTURE.md's reference notes): cgroupfs rather than systemd, <c>restrict_oom_score_adj</c> (root may lack
/// CAP_SYS_RESOURCE), network namespaces and runc state under the agent's own folders, and a stream server on loopback only.
/// </summary>
public static class ContainerdConfig
{
    public static string Render(ContainerdLayout layout, string sandboxImage, string cniBinDir)
    {
        var text = new StringBuilder();
        text.AppendLine("version = 2");
        text.AppendLine($"root = {Quote(layout.Root)}");
        text.AppendLine($"state = {Quote(layout.State)}");
        text.AppendLine("[grpc]");
        text.AppendLine($"  address = {Quote(layout.Socket)}");
        text.AppendLine("[plugins]");
        text.AppendLine("  [plugins.\"io.containerd.internal.v1.opt\"]");
        text.AppendLine($"    path = {Quote(layout.Opt)}");
        text.AppendLine("  [plugins.\"io.containerd.grpc.v1.cri\"]");
        text.AppendLine($"    sandbox_image = {Quote(sandboxImage)}");
        text.AppendLine("    stream_server_address = \"127.0.0.1\"");
        text.AppendLine("    stream_server_port = \"0\"");
        text.AppendLine("    enable_tls_streaming = false");
        text.AppendLine("    netns_mounts_under_state_dir = true");
        text.AppendLine("    restrict_oom_score_adj = true");
        text.AppendLine("    tolerate_missing_hugetlb_controller = true");
        text.AppendLine("    disable_hugetlb_controller = true");
        text.AppendLine("    max_container_log_line_size = 16384");
        text.AppendLine("    [plugins.\"io.containerd.grpc.v1.cri\".containerd]");
        text.AppendLine("      snapshotter = \"overlayfs\"");
        text.AppendLine("      default_runtime_name = \"runc\"");
        text.AppendLine("      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]");
        text.AppendLine("        runtime_type = \"io.containerd.runc.v2\"");
        text.AppendLine("        [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]");
        text.AppendLine("          SystemdCgroup = false");
        text.AppendLine($"          Root = {Quote(layout.RuncRoot)}");
        text.AppendLine("    [plugins.\"io.containerd.grpc.v1.cri\".cni]");
        text.AppendLine($"      bin_dir = {Quote(cniBinDir)}");
        text.AppendLine($"      conf_dir = {Quote(layout.CniConfDir)}");
        text.AppendLine("      max_conf_num = 1");
        text.AppendLine("    [plugins.\"io.containerd.grpc.v1.cri\".registry]");
        text.AppendLine($"      config_path = {Quote(layout.CertsDir)}");
        return text.ToString();
    }

    /// <summary>A TOML basic string.</summary>
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

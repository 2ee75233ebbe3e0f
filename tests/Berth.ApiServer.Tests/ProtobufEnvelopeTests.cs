using System.Text;
using Berth.ApiServer.Protobuf;

namespace Berth.ApiServer.Tests;

public sealed class ProtobufEnvelopeTests
{
    private static readonly ProtobufDecoder Decoder = new(WireSchema.Kubernetes);

    [Fact]
    public void Decode_WhatKubectlCreateNamespaceSends_GivesTheNamespaceAsJson()
    {
        // metadata { name: "foo", generateName: "", generation: 0, creationTimestamp: {} } as Go writes it, then empty spec and status.
        var metadata = Concat(Text(1, "foo"), Text(2, ""), Varint(7, 0), Message(8, []));
        var ns = Concat(Message(1, metadata), Message(2, []), Message(3, []));
        var body = Envelope("v1", "Namespace", ns);

        var obj = ProtobufEnvelope.Decode(body, Decoder);

        Assert.Equal("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo"},"spec":{},"status":{}}""", obj.ToJsonString());
    }

    [Fact]
    public void Decode_MapsQuantitiesIntOrStringAndPointerZeros_InTheirJsonForms()
    {
        // A deployment with replicas 0 (a pointer: kept), a container port, resources.limits.cpu = 500m, and a rolling
        // update of maxUnavailable 25% (IntOrString as string) and maxSurge 0 (IntOrString as number).
        var limits = Message(1, Concat(Text(1, "cpu"), Message(2, Text(1, "500m"))));
        var container = Concat(Text(1, "web"), Text(2, "nginx"), Message(6, Varint(3, 80)), Message(8, limits));
        var template = Concat(Message(1, Message(11, Concat(Text(1, "app"), Text(2, "web")))), Message(2, Message(2, container)));
        var rolling = Concat(Message(1, Concat(Varint(1, 1), Varint(2, 0), Text(3, "25%"))), Message(2, Concat(Varint(1, 0), Varint(2, 0), Text(3, ""))));
        var strategy = Concat(Text(1, "RollingUpdate"), Message(2, rolling));
        var spec = Concat(Varint(1, 0), Message(3, template), Message(4, strategy));
        var body = Envelope("apps/v1", "Deployment", Concat(Message(1, Text(1, "web")), Message(2, spec)));

        var obj = ProtobufEnvelope.Decode(body, Decoder);

        var s = obj["spec"]!;
        Assert.Equal(0, s["replicas"]!.GetValue<int>());
        Assert.Equal("web", s["template"]!["metadata"]!["labels"]!["app"]!.GetValue<string>());
        Assert.Equal(80, s["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]!.GetValue<int>());
        Assert.Equal("500m", s["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["cpu"]!.GetValue<string>());
        Assert.Equal("25%", s["strategy"]!["rollingUpdate"]!["maxUnavailable"]!.GetValue<string>());
        Assert.Equal(0, s["strategy"]!["rollingUpdate"]!["maxSurge"]!.GetValue<long>());
    }

    [Fact]
    public void Decode_TimesAndIntOrStringNumbers_InTheirJsonForms()
    {
        // A job: startTime 2026-01-02T03:04:05Z (seconds field 1, nanos 0), and a pod template whose container
        // probes port 8080 (IntOrString as a number).
        var probe = Message(10, Message(1, Message(2, Concat(Text(1, "/healthz"), Message(2, Concat(Varint(1, 0), Varint(2, 8080), Text(3, "")))))));
        var container = Concat(Text(1, "c"), Text(2, "busybox"), probe);
        var spec = Message(2, Message(6, Message(2, Message(2, container))));
        var status = Message(3, Message(2, Concat(Varint(1, 1767323045), Varint(2, 0))));
        var body = Envelope("batch/v1", "Job", Concat(Message(1, Text(1, "j")), spec, status));

        var obj = ProtobufEnvelope.Decode(body, Decoder);

        Assert.Equal("2026-01-02T03:04:05Z", obj["status"]!["startTime"]!.GetValue<string>());
        var port = obj["spec"]!["template"]!["spec"]!["containers"]![0]!["livenessProbe"]!["httpGet"]!["port"]!;
        Assert.Equal(8080, port.GetValue<long>());
    }

    [Fact]
    public void Decode_SecretData_IsBase64AsInJson()
    {
        var body = Envelope("v1", "Secret", Concat(Message(1, Text(1, "s")), Message(2, Concat(Text(1, "pw"), Bytes(2, "hunter2"u8.ToArray()))), Text(3, "Opaque")));

        var obj = ProtobufEnvelope.Decode(body, Decoder);

        Assert.Equal(Convert.ToBase64String("hunter2"u8.ToArray()), obj["data"]!["pw"]!.GetValue<string>());
        Assert.Equal("Opaque", obj["type"]!.GetValue<string>());
    }

    [Fact]
    public void Decode_WithoutTheMagicPrefix_IsAFormatError() =>
        Assert.Throws<FormatException>(() => ProtobufEnvelope.Decode(Message(1, []), Decoder));

    [Fact]
    public void Decode_OfAKindTheSchemaLacks_SaysSoInsteadOfDroppingFields() =>
        Assert.Throws<UnsupportedWireMessageException>(() => ProtobufEnvelope.Decode(Envelope("v1", "Pod", Message(1, Text(1, "p"))), Decoder));

    [Fact]
    public void Decode_OfATruncatedMessage_IsAFormatError()
    {
        var body = Envelope("v1", "ConfigMap", Message(1, Text(1, "cm")));

        Assert.Throws<FormatException>(() => ProtobufEnvelope.Decode(body.AsSpan(0, body.Length - 3), Decoder));
    }

    private static byte[] Envelope(string apiVersion, string kind, byte[] raw) =>
        Concat([0x6b, 0x38, 0x73, 0x00], Message(1, Concat(Text(1, apiVersion), Text(2, kind))), Bytes(2, raw), Text(3, ""), Text(4, ""));

    private static byte[] Text(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Message(int field, byte[] value) => Bytes(field, value);

    private static byte[] Bytes(int field, byte[] value) => Concat(VarintBytes((ulong)(field << 3 | 2)), VarintBytes((ulong)value.Length), value);

    private static byte[] Varint(int field, long value) => Concat(VarintBytes((ulong)(field << 3)), VarintBytes((ulong)value));

    private static byte[] VarintBytes(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
        return [.. bytes];
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}

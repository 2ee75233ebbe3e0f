using System.Text.Json.Nodes;
using Berth.Core.FieldManagement;
using Berth.Core.Patching;
using Berth.Core.Serialization;

namespace Berth.Core.Tests;

/// <summary>
/// Field ownership as the Kubernetes server-side apply documentation describes it: what each write owns, conflicts,
/// forcing, sharing, pruning what the applier stopped applying, and managed fields a client rewrites.
/// </summary>
public sealed class FieldManagerTests
{
    private static readonly FieldManager Fields = new(PatchSchema.BuiltIn.ForKind("Deployment"), "apps/v1", "2026-01-01T00:00:00Z", StatusIsSeparate: true);
    private static readonly FieldManager Later = Fields with { Now = "2026-01-01T00:05:00Z" };
    private static readonly FieldOwner Kubectl = new("kubectl", ManagedFieldsEntry.Apply, null);
    private static readonly FieldOwner Other = new("other", ManagedFieldsEntry.Apply, null);
    private static readonly FieldOwner Scaler = new("scaler", ManagedFieldsEntry.Update, "scale");

    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
         "spec":{"containers":[{"name":"web","image":"nginx:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}}}}
        """;

    [Fact]
    public void Apply_WhenItCreates_ThenTheManagerOwnsLeavesAtomicsAndListItemsButNotServerMetadata()
    {
        var created = Fields.Apply(null, Parse(Deployment), Kubectl, force: false);

        var entry = Assert.Single(created["metadata"]!["managedFields"]!.AsArray())!;
        const string Expected = """"
            {"manager":"kubectl","operation":"Apply","apiVersion":"apps/v1","time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"B\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{}}}}}}}}
            """";
        Assert.Equal(Expected, entry.ToJsonString(WireJson.Options));
    }

    [Fact]
    public void RecordUpdate_WhenACreateDefaultsFields_ThenTheCreatorOwnsEveryFieldAndNewMapsThemselves()
    {
        var obj = Parse("""{"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":1,"strategy":{"type":"Recreate"}}}""");

        Fields.RecordUpdate(null, obj, new FieldOwner("kubectl-create", ManagedFieldsEntry.Update, null));

        Assert.Equal("""{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:strategy":{".":{},"f:type":{}}}}""",
            obj["metadata"]!["managedFields"]![0]!["fieldsV1"]!.ToJsonString());
    }

    [Fact]
    public void Apply_WhenAnotherManagerChangedAFieldTheApplierSets_ThenItConflictsUnlessForcedWhichTransfersTheField()
    {
        var live = Fields.Apply(null, Parse(Deployment), Kubectl, force: false);
        var scaled = Scale(live, 5);

        var conflict = Assert.Throws<ApplyConflictException>(() => Later.Apply(scaled, Parse(Deployment), Kubectl, force: false));
        Assert.Equal("Apply failed with 1 conflict: conflict with \"scaler\" with subresource \"scale\" using apps/v1: .spec.replicas", conflict.Message);
        Assert.Equal(409, conflict.Status.Code);
        var cause = Assert.Single(conflict.Status.Causes!);
        Assert.Equal(("FieldManagerConflict", ".spec.replicas"), (cause.Reason, cause.Field));

        var forced = Later.Apply(scaled, Parse(Deployment), Kubectl, force: true);
        Assert.Equal(2, forced["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(["kubectl"], Managers(forced));
    }

    [Fact]
    public void Apply_WhenTheValueIsTheSameAsAnotherManagersValue_ThenBothOwnItWithoutConflict()
    {
        var live = Fields.Apply(null, Parse(Deployment), Kubectl, force: false);

        var shared = Later.Apply(live, Parse("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}}"""), Other, force: false);

        Assert.Equal(["kubectl", "other"], Managers(shared));
        // When kubectl stops applying replicas, the other manager still holds it, so it stays.
        var without = Parse(Deployment);
        without["spec"]!.AsObject().Remove("replicas");
        var reapplied = Later.Apply(shared, without, Kubectl, force: false);
        Assert.Equal(2, reapplied["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void Apply_WhenFieldsLeaveTheConfiguration_ThenTheyArePrunedAndEmptiedParentsGo()
    {
        var live = Fields.Apply(null, Parse(Deployment), Kubectl, force: false);
        var fewer = Parse(Deployment);
        fewer["metadata"]!.AsObject().Remove("labels");
        fewer["spec"]!["template"]!["spec"]!["containers"]![0]!["env"] = new JsonArray(new JsonObject { ["name"] = "B", ["value"] = "2" });

        var result = Later.Apply(live, fewer, Kubectl, force: false);

        Assert.Null(result["metadata"]!["labels"]);
        Assert.Equal("""[{"name":"B","value":"2"}]""", result["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.ToJsonString());
        Assert.Equal("2026-01-01T00:05:00Z", result["metadata"]!["managedFields"]![0]!["time"]!.GetValue<string>());
    }

    [Fact]
    public void Apply_WhenNothingChanges_ThenTheObjectAndItsManagedFieldsStayAsTheyWere()
    {
        var live = Fields.Apply(null, Parse(Deployment), Kubectl, force: false);

        var again = Later.Apply(live, Parse(Deployment), Kubectl, force: false);

        Assert.True(JsonNode.DeepEquals(live, again), again.ToJsonString());
    }

    [Fact]
    public void Apply_WhenTheConfigurationReordersAndAddsListItems_ThenSharedItemsFollowItAndOthersKeepTheirPlace()
    {
        var live = Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"x"},{"name":"b"}]}}}}""");

        var result = Fields.Apply(live, Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"b"},{"name":"new"},{"name":"a","image":"i"}]}}}}"""), Kubectl, force: false);

        Assert.Equal("""[{"name":"x"},{"name":"b"},{"name":"new"},{"name":"a","image":"i"}]""",
            result["spec"]!["template"]!["spec"]!["containers"]!.ToJsonString());
    }

    [Fact]
    public void RecordUpdate_WhenAnUpdateChangesOrRemovesFields_ThenTheyLeaveTheirPreviousOwners()
    {
        var live = Fields.Apply(null, Parse(Deployment), Kubectl, force: false);
        var edited = live.DeepClone().AsObject();
        edited["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:2";
        edited["metadata"]!.AsObject().Remove("labels");

        Later.RecordUpdate(live, edited, new FieldOwner("kubectl-edit", ManagedFieldsEntry.Update, null));

        var entries = ManagedFieldsEntry.Read(edited["metadata"]!["managedFields"]!.AsArray(), decodeFields: true);
        var apply = entries.Single(e => e.Manager == "kubectl").Fields.ToFieldsV1().ToJsonString(WireJson.Options);
        Assert.DoesNotContain("f:image", apply, StringComparison.Ordinal);
        Assert.StartsWith("""{"f:spec":""", apply, StringComparison.Ordinal);
        Assert.Equal("""{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}}""",
            entries.Single(e => e.Manager == "kubectl-edit").Fields.ToFieldsV1().ToJsonString(WireJson.Options));
    }

    [Fact]
    public void RecordUpdate_WhenAWriterChangesOnlyValuesItAloneOwns_ThenItsEntryKeepsItsFieldsAndTakesTheNewTimeAndVersion()
    {
        var creator = new FieldOwner("kubectl-create", ManagedFieldsEntry.Update, null);
        var created = Parse(Deployment);
        Fields.RecordUpdate(null, created, creator);
        var labelled = created.DeepClone().AsObject();
        labelled["metadata"]!["labels"]!["tier"] = "front";
        Fields.RecordUpdate(created, labelled, new FieldOwner("labeller", ManagedFieldsEntry.Update, null));
        var before = labelled["metadata"]!["managedFields"]!.AsArray();

        var edited = labelled.DeepClone().AsObject();
        edited["spec"]!["replicas"] = 3;
        edited["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:2";
        (Later with { ApiVersion = "apps/v1beta2" }).RecordUpdate(labelled, edited, creator);

        var after = edited["metadata"]!["managedFields"]!.AsArray();
        var entry = Entry(after, "kubectl-create");
        Assert.Equal("2026-01-01T00:05:00Z", entry["time"]!.GetValue<string>());
        Assert.Equal("apps/v1beta2", entry["apiVersion"]!.GetValue<string>());
        Assert.Equal(Entry(before, "kubectl-create")["fieldsV1"]!.ToJsonString(WireJson.Options), entry["fieldsV1"]!.ToJsonString(WireJson.Options));
        Assert.Equal(Entry(before, "labeller").ToJsonString(WireJson.Options), Entry(after, "labeller").ToJsonString(WireJson.Options));
    }

    [Fact]
    public void RecordUpdate_WhenAWriterChangesAValueItSharesOrDoesNotOwn_ThenTheValueLeavesItsOtherOwners()
    {
        var creator = new FieldOwner("kubectl-create", ManagedFieldsEntry.Update, null);
        var editor = new FieldOwner("kubectl-edit", ManagedFieldsEntry.Update, null);
        var created = Parse(Deployment);
        Fields.RecordUpdate(null, created, creator);
        var shared = Fields.Apply(created, Parse("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2}}"""), Other, force: false);
        var imaged = shared.DeepClone().AsObject();
        imaged["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:2";
        Fields.RecordUpdate(shared, imaged, editor);

        // The creator changes replicas, which the applier owns too: the applier loses it, and with it its entry.
        var scaled = imaged.DeepClone().AsObject();
        scaled["spec"]!["replicas"] = 3;
        Later.RecordUpdate(imaged, scaled, creator);
        Assert.Equal(["kubectl-create", "kubectl-edit"], Managers(scaled));

        // The editor changes replicas, which only the creator owns: it moves to the editor.
        var rescaled = scaled.DeepClone().AsObject();
        rescaled["spec"]!["replicas"] = 4;
        Later.RecordUpdate(scaled, rescaled, editor);
        var entries = ManagedFieldsEntry.Read(rescaled["metadata"]!["managedFields"]!.AsArray(), decodeFields: true);
        Assert.DoesNotContain("f:replicas", entries.Single(e => e.Manager == "kubectl-create").Fields.ToFieldsV1().ToJsonString(WireJson.Options), StringComparison.Ordinal);
        Assert.Equal("""{"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{"f:image":{}}}}}}}""",
            entries.Single(e => e.Manager == "kubectl-edit").Fields.ToFieldsV1().ToJsonString(WireJson.Options));
    }

    [Fact]
    public void RecordUpdate_WhenTheWriterSendsManagedFields_ThenTheyReplaceTheCurrentOnesAndOneEmptyEntryClearsThem()
    {
        var live = Fields.Apply(null, Parse(Deployment), Kubectl, force: false);
        var rewritten = live.DeepClone().AsObject();
        rewritten["metadata"]!["managedFields"]![0]!["manager"] = "renamed";
        Later.RecordUpdate(live, rewritten, new FieldOwner("kubectl-patch", ManagedFieldsEntry.Update, null));
        Assert.Equal(["renamed"], Managers(rewritten));

        var cleared = live.DeepClone().AsObject();
        cleared["metadata"]!["managedFields"] = new JsonArray(new JsonObject());
        Later.RecordUpdate(live, cleared, new FieldOwner("kubectl-patch", ManagedFieldsEntry.Update, null));
        Assert.Null(cleared["metadata"]!["managedFields"]);
    }

    [Fact]
    public void RecordUpdate_WhenMoreThanTenManagersUpdate_ThenTheOldestAreFoldedIntoAncientChanges()
    {
        var obj = Parse("""{"metadata":{"name":"cm"},"data":{}}""");
        var cm = new FieldManager(PatchSchema.BuiltIn.ForKind("ConfigMap"), "v1", "", StatusIsSeparate: false);
        for (var i = 0; i < 12; i++)
        {
            var next = obj.DeepClone().AsObject();
            next["data"]![$"k{i}"] = "v";
            (cm with { Now = $"2026-01-01T00:00:{i:00}Z" }).RecordUpdate(obj, next, new FieldOwner($"m{i}", ManagedFieldsEntry.Update, null));
            obj = next;
        }

        var managers = Managers(obj);
        Assert.Equal(10, managers.Count);
        Assert.Contains("ancient-changes", managers);
        Assert.DoesNotContain("m0", managers);
    }

    [Fact]
    public void Apply_WhenACustomSchemaKeysAListAndMakesAMapAtomic_ThenManagersShareTheListAndReplaceTheMap()
    {
        var schema = Parse("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "routes":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
                "items":{"type":"object","properties":{"name":{"type":"string"},"weight":{"type":"integer"}}}},
              "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
              "target":{"type":"object","x-kubernetes-map-type":"atomic","properties":{"host":{"type":"string"},"port":{"type":"integer"}}}}}}}
            """);
        var custom = new FieldManager(OpenApiPatchSchema.For("Route", schema), "example.com/v1", "2026-01-01T00:00:00Z", StatusIsSeparate: false);

        var first = custom.Apply(null, Parse("""{"spec":{"routes":[{"name":"a","weight":1}],"tags":["x"],"target":{"host":"h","port":1}}}"""), Kubectl, force: false);
        var both = custom.Apply(first, Parse("""{"spec":{"routes":[{"name":"b","weight":2}],"tags":["y"]}}"""), Other, force: false);
        var replaced = custom.Apply(both, Parse("""{"spec":{"routes":[{"name":"a","weight":1}],"tags":["x"],"target":{"host":"g"}}}"""), Kubectl, force: false);

        Assert.Equal("""[{"name":"a","weight":1},{"name":"b","weight":2}]""", both["spec"]!["routes"]!.ToJsonString());
        Assert.Equal("""["x","y"]""", both["spec"]!["tags"]!.ToJsonString());
        Assert.Equal("""{"host":"g"}""", replaced["spec"]!["target"]!.ToJsonString());
        var owned = replaced["metadata"]!["managedFields"]!.AsArray().Single(e => e!["manager"]!.GetValue<string>() == "kubectl")!["fieldsV1"]!;
        Assert.NotNull(owned["f:spec"]!["f:routes"]!["k:{\"name\":\"a\"}"]);
        Assert.NotNull(owned["f:spec"]!["f:tags"]!["v:\"x\""]);
    }

    [Fact]
    public void Apply_WhenPortsShareANumberAndDifferInProtocol_ThenTheyAreTwoItemsAndAnAbsentProtocolIsTcp()
    {
        var pods = new FieldManager(PatchSchema.BuiltIn.ForKind("Pod"), "v1", "2026-01-01T00:00:00Z", StatusIsSeparate: true);
        var live = pods.Apply(null, Parse("""{"spec":{"containers":[{"name":"dns","ports":[{"containerPort":53,"protocol":"UDP"},{"containerPort":53}]}]}}"""), Kubectl, force: false);
        live["spec"]!["containers"]![0]!["ports"]![1]!["protocol"] = "TCP";

        var again = pods.Apply(live, Parse("""{"spec":{"containers":[{"name":"dns","ports":[{"containerPort":53,"protocol":"UDP"},{"containerPort":53,"name":"dns-tcp"}]}]}}"""), Kubectl, force: false);

        Assert.Equal("""[{"containerPort":53,"protocol":"UDP"},{"containerPort":53,"protocol":"TCP","name":"dns-tcp"}]""",
            again["spec"]!["containers"]![0]!["ports"]!.ToJsonString());
        var ports = again["metadata"]!["managedFields"]![0]!["fieldsV1"]!["f:spec"]!["f:containers"]!["k:{\"name\":\"dns\"}"]!["f:ports"]!.AsObject();
        Assert.Equal(["k:{\"containerPort\":53,\"protocol\":\"TCP\"}", "k:{\"containerPort\":53,\"protocol\":\"UDP\"}"], ports.Select(p => p.Key));
    }

    [Fact]
    public void RecordUpdate_WhenStatusIsSeparate_ThenAStatusWriteOwnsOnlyStatusAndAnotherWriteNeverOwnsStatus()
    {
        var live = Parse("""{"metadata":{"name":"web"},"spec":{"replicas":1},"status":{"replicas":0}}""");
        Fields.RecordUpdate(null, live, new FieldOwner("creator", ManagedFieldsEntry.Update, null));

        var reported = live.DeepClone().AsObject();
        reported["spec"]!["replicas"] = 5;
        reported["status"]!["replicas"] = 1;
        reported["status"]!["readyReplicas"] = 1;
        Fields.RecordUpdate(live, reported, new FieldOwner("controller", ManagedFieldsEntry.Update, "status"));
        var edited = reported.DeepClone().AsObject();
        edited["spec"]!["paused"] = true;
        edited["status"]!.AsObject().Remove("readyReplicas");
        Fields.RecordUpdate(reported, edited, new FieldOwner("editor", ManagedFieldsEntry.Update, null));

        var entries = edited["metadata"]!["managedFields"]!.AsArray().ToDictionary(e => e!["manager"]!.GetValue<string>(), e => e!["fieldsV1"]!.ToJsonString());
        Assert.Equal("""{"f:spec":{"f:replicas":{}}}""", entries["creator"]);
        Assert.Equal("""{"f:status":{"f:readyReplicas":{},"f:replicas":{}}}""", entries["controller"]);
        Assert.Equal("""{"f:spec":{"f:paused":{}}}""", entries["editor"]);
    }

    [Fact]
    public void FieldSet_WhenReadFromFieldsV1_ThenItWritesTheSameAndDescribesPathsAsUpstream()
    {
        const string V1 = """{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}},"f:finalizers":{"v:\"x\"":{}}}}""";

        var set = FieldSet.FromFieldsV1(JsonNode.Parse(V1)!.AsObject());

        Assert.Equal(V1, set.ToFieldsV1().ToJsonString(WireJson.Options));
        Assert.Equal([".metadata.labels", ".metadata.labels.app", ".spec.containers[name=\"web\"]", ".spec.containers[name=\"web\"].image", ".spec.finalizers[=\"x\"]"],
            set.Members().Select(FieldSet.Describe));
        Assert.Throws<FormatException>(() => FieldSet.FromFieldsV1(JsonNode.Parse("""{"x:y":{}}""")!.AsObject()));
    }

    private static JsonObject Scale(JsonObject live, int replicas)
    {
        var scaled = live.DeepClone().AsObject();
        scaled["spec"]!["replicas"] = replicas;
        Fields.RecordUpdate(live, scaled, Scaler);
        return scaled;
    }

    private static List<string> Managers(JsonObject obj) =>
        [.. obj["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.GetValue<string>()).Order(StringComparer.Ordinal)];

    private static JsonNode Entry(JsonArray managedFields, string manager) =>
        managedFields.Single(e => e!["manager"]!.GetValue<string>() == manager)!;

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();
}

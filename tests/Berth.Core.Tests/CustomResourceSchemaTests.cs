using System.Text.Json.Nodes;
using Berth.Core.CustomResources;

namespace Berth.Core.Tests;

/// <summary>Pruning, defaulting and validation of custom resources by their CRD's structural schema, worded as upstream words them.</summary>
public sealed class CustomResourceSchemaTests
{
    private const string Widget = """
        {"type":"object","properties":{
          "spec":{"type":"object","properties":{
            "replicas":{"type":"integer"},
            "name":{"type":"string"},
            "items":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}}}},
            "labels":{"type":"object","additionalProperties":{"type":"string"}},
            "extra":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"known":{"type":"object","properties":{"a":{"type":"string"}}}}},
            "template":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object","properties":{"size":{"type":"integer"}}}}}
          }}}}
        """;

    [Fact]
    public void Prune_WhenFieldsAreNotDeclared_ThenTheyAreRemovedAndReportedByPathInOrder()
    {
        var obj = Json("""{"apiVersion":"x/v1","kind":"Widget","metadata":{"name":"w","anything":1},"spec":{"replicas":1,"foo":2,"items":[{"name":"a","bar":true}]},"status":{}}""");

        var unknown = CustomResourceSchema.Prune(obj, Json(Widget));

        Assert.Equal(["spec.foo", "spec.items[0].bar", "status"], unknown);
        Assert.Equal("""{"apiVersion":"x/v1","kind":"Widget","metadata":{"name":"w","anything":1},"spec":{"replicas":1,"items":[{"name":"a"}]}}""", obj.ToJsonString());
    }

    [Fact]
    public void Prune_WhenAnObjectPreservesUnknownFields_ThenItKeepsThemButItsDeclaredFieldsArePruned()
    {
        var obj = Json("""{"spec":{"extra":{"free":{"deep":1},"known":{"a":"x","b":"y"}}}}""");

        var unknown = CustomResourceSchema.Prune(obj, Json(Widget));

        Assert.Equal(["spec.extra.known.b"], unknown);
        Assert.Equal("""{"spec":{"extra":{"free":{"deep":1},"known":{"a":"x"}}}}""", obj.ToJsonString());
    }

    [Fact]
    public void Prune_WhenAnObjectIsAnEmbeddedResource_ThenItKeepsItsApiVersionKindAndMetadata()
    {
        var obj = Json("""{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"size":1,"other":2},"junk":3}}}""");

        var unknown = CustomResourceSchema.Prune(obj, Json(Widget));

        Assert.Equal(["spec.template.junk", "spec.template.spec.other"], unknown);
        Assert.Equal("""{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"size":1}}}}""", obj.ToJsonString());
    }

    [Fact]
    public void Prune_WhenAnObjectIsAMap_ThenEveryKeyStaysAndEachValueIsPrunedByTheValueSchema()
    {
        var schema = Json("""{"type":"object","properties":{"spec":{"type":"object","additionalProperties":{"type":"object","properties":{"port":{"type":"integer"}}}}}}""");
        var obj = Json("""{"spec":{"web":{"port":80,"host":"h"},"db":{"port":5432}}}""");

        var unknown = CustomResourceSchema.Prune(obj, schema);

        Assert.Equal(["spec.web.host"], unknown);
        Assert.Equal("""{"spec":{"web":{"port":80},"db":{"port":5432}}}""", obj.ToJsonString());
    }

    [Fact]
    public void Prune_WhenANonNullableFieldWithoutDefaultIsNull_ThenItIsDroppedWithoutAWarning()
    {
        var schema = Json("""{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string","nullable":true},"c":{"type":"string","default":"x"}}}}}""");
        var obj = Json("""{"spec":{"a":null,"b":null,"c":null}}""");

        var unknown = CustomResourceSchema.Prune(obj, schema);

        Assert.Empty(unknown);
        Assert.Equal("""{"spec":{"b":null,"c":null}}""", obj.ToJsonString());
    }

    [Fact]
    public void ApplyDefaults_WhenFieldsAreAbsent_ThenNestedDefaultsFillExistingObjectsButAbsentParentsStayAbsent()
    {
        var schema = Json("""
            {"type":"object","properties":{
              "spec":{"type":"object","properties":{
                "replicas":{"type":"integer","default":1},
                "strategy":{"type":"object","properties":{"type":{"type":"string","default":"Rolling"}}},
                "resources":{"type":"object","default":{},"properties":{"cpu":{"type":"string","default":"100m"}}}}}}}
            """);
        var obj = Json("""{"spec":{"replicas":3}}""");

        CustomResourceSchema.ApplyDefaults(obj, schema);

        Assert.Equal("""{"spec":{"replicas":3,"resources":{"cpu":"100m"}}}""", obj.ToJsonString());
    }

    [Fact]
    public void ApplyDefaults_WhenListElementsAndMapValuesLackFields_ThenEachGetsItsOwnCopyOfTheDefault()
    {
        var schema = Json("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "ports":{"type":"array","items":{"type":"object","properties":{"protocol":{"type":"string","default":"TCP"},"opts":{"type":"object","default":{"a":1}}}}},
              "limits":{"type":"object","additionalProperties":{"type":"object","properties":{"unit":{"type":"string","default":"Mi"}}}}}}}}
            """);
        var obj = Json("""{"spec":{"ports":[{"port":80},{"port":53,"protocol":"UDP"}],"limits":{"memory":{}}}}""");

        CustomResourceSchema.ApplyDefaults(obj, schema);

        Assert.Equal("""{"spec":{"ports":[{"port":80,"protocol":"TCP","opts":{"a":1}},{"port":53,"protocol":"UDP","opts":{"a":1}}],"limits":{"memory":{"unit":"Mi"}}}}""", obj.ToJsonString());
        obj["spec"]!["ports"]![0]!["opts"]!["a"] = 2;
        Assert.Equal(1, obj["spec"]!["ports"]![1]!["opts"]!["a"]!.GetValue<int>());
    }

    [Fact]
    public void ApplyDefaults_WhenAFieldIsNull_ThenTheDefaultReplacesItUnlessTheFieldIsNullable()
    {
        var schema = Json("""{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string","default":"x"},"b":{"type":"string","nullable":true,"default":"y"}}}}}""");
        var obj = Json("""{"spec":{"a":null,"b":null}}""");

        CustomResourceSchema.ApplyDefaults(obj, schema);

        Assert.Equal("""{"spec":{"a":"x","b":null}}""", obj.ToJsonString());
    }

    [Fact]
    public void Validate_WhenTypesMismatch_ThenEachIsATypeErrorNamingTheOffendingType()
    {
        var schema = Json("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "replicas":{"type":"integer"},"whole":{"type":"integer"},"ratio":{"type":"number"},"on":{"type":"boolean"},
              "tags":{"type":"array"},"port":{"x-kubernetes-int-or-string":true},"other":{"x-kubernetes-int-or-string":true}}}}}
            """);
        var obj = Json("""{"spec":{"replicas":"3","whole":2.0,"ratio":2,"on":"yes","tags":{},"port":"http","other":true}}""");

        var causes = CustomResourceSchema.Validate(obj, schema);

        Assert.Equal(
        [
            "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
            "spec.on: Invalid value: \"string\": spec.on in body must be of type boolean: \"string\"",
            "spec.tags: Invalid value: \"object\": spec.tags in body must be of type array: \"object\"",
            "spec.other: Invalid value: \"boolean\": spec.other in body must be of type integer,string: \"boolean\"",
        ], Lines(causes));
        Assert.All(causes, c => Assert.Equal("FieldValueTypeInvalid", c.Reason));
    }

    [Fact]
    public void Validate_WhenRequiredFieldsAreMissingOrValuesAreNotInTheEnum_ThenRequiredAndUnsupportedValue()
    {
        var schema = Json("""
            {"type":"object","required":["spec"],"properties":{"spec":{"type":"object","required":["mode","name"],"properties":{
              "name":{"type":"string"},"mode":{"type":"string","enum":["a","b"]},"level":{"type":"integer","enum":[1,2]}}}}}
            """);

        var missing = CustomResourceSchema.Validate(Json("""{"apiVersion":"x/v1"}"""), schema);
        var wrong = CustomResourceSchema.Validate(Json("""{"spec":{"mode":"c","level":3}}"""), schema);

        Assert.Equal(["spec: Required value"], Lines(missing));
        Assert.Equal(
        [
            "spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\"",
            "spec.level: Unsupported value: 3: supported values: \"1\", \"2\"",
            "spec.name: Required value",
        ], Lines(wrong));
        Assert.Equal(["FieldValueNotSupported", "FieldValueNotSupported", "FieldValueRequired"], wrong.Select(c => c.Reason));
    }

    [Fact]
    public void Validate_WhenStringRulesFail_ThenTooLongOrInvalidValueWithUpstreamWording()
    {
        var schema = Json("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "short":{"type":"string","maxLength":3},"one":{"type":"string","maxLength":1},"long":{"type":"string","minLength":2},
              "lower":{"type":"string","pattern":"^[a-z]+$"},"when":{"type":"string","format":"date-time"},"data":{"type":"string","format":"byte"},
              "unknown":{"type":"string","format":"no-such-format"}}}}}
            """);
        var obj = Json("""{"spec":{"short":"abcd","one":"ab","long":"a","lower":"Abc","when":"yesterday","data":"not base64!","unknown":"x"}}""");

        var causes = CustomResourceSchema.Validate(obj, schema);

        Assert.Equal(
        [
            "spec.short: Too long: may not be more than 3 bytes",
            "spec.one: Too long: may not be more than 1 byte",
            "spec.long: Invalid value: \"a\": spec.long in body should be at least 2 chars long",
            "spec.lower: Invalid value: \"Abc\": spec.lower in body should match '^[a-z]+$'",
            "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"",
            "spec.data: Invalid value: \"not base64!\": spec.data in body must be of type byte: \"not base64!\"",
        ], Lines(causes));
        Assert.Equal(["FieldValueTooLong", "FieldValueTooLong", "FieldValueInvalid", "FieldValueInvalid", "FieldValueTypeInvalid", "FieldValueTypeInvalid"], causes.Select(c => c.Reason));
    }

    [Fact]
    public void Validate_WhenStringsFitTheirFormats_ThenTheyPass()
    {
        var schema = Json("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "when":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"},"data":{"type":"string","format":"byte"},
              "id":{"type":"string","format":"uuid"},"ip":{"type":"string","format":"ipv4"},"net":{"type":"string","format":"cidr"},
              "name":{"type":"string","format":"k8s-short-name"},"count":{"type":"integer","format":"int32"}}}}}
            """);
        var obj = Json("""{"spec":{"when":"2024-05-01T10:00:00Z","day":"2024-02-29","data":"aGVsbG8=","id":"123e4567-e89b-12d3-a456-426614174000","ip":"10.0.0.1","net":"fd00::/8","name":"web-1","count":5}}""");

        Assert.Empty(CustomResourceSchema.Validate(obj, schema));
    }

    [Fact]
    public void Validate_WhenNumberRulesFail_ThenBoundsAndFactorsArePrintedAsUpstreamPrintsThem()
    {
        var schema = Json("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "replicas":{"type":"integer","minimum":1,"maximum":5},"port":{"type":"integer","maximum":65535,"exclusiveMaximum":true},
              "even":{"type":"integer","multipleOf":2},"ratio":{"type":"number","minimum":0.5,"exclusiveMinimum":true},
              "step":{"type":"number","multipleOf":0.25},"big":{"type":"number","maximum":1000000}}}}}
            """);
        var obj = Json("""{"spec":{"replicas":0,"port":65535,"even":3,"ratio":0.5,"step":0.3,"big":2e6}}""");

        var causes = CustomResourceSchema.Validate(obj, schema);

        Assert.Equal(
        [
            "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
            "spec.port: Invalid value: 65535: spec.port in body should be less than 65535",
            "spec.even: Invalid value: 3: spec.even in body should be a multiple of 2",
            "spec.ratio: Invalid value: 0.5: spec.ratio in body should be greater than 0.5",
            "spec.step: Invalid value: 0.3: spec.step in body should be a multiple of 0.25",
            "spec.big: Invalid value: 2e+06: spec.big in body should be less than or equal to 1e+06",
        ], Lines(causes));
    }

    [Fact]
    public void Validate_WhenAFloatIsAMultipleUpToFloatNoise_ThenItPasses()
    {
        var schema = Json("""{"type":"object","properties":{"spec":{"type":"object","properties":{"step":{"type":"number","multipleOf":0.1},"count":{"type":"integer"}}}}}""");

        Assert.Empty(CustomResourceSchema.Validate(Json("""{"spec":{"step":0.3,"count":1e3}}"""), schema));
    }

    [Fact]
    public void Validate_WhenListsAndObjectsHaveTheWrongSize_ThenTooManyOrInvalidValue()
    {
        var schema = Json("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "few":{"type":"array","minItems":2,"items":{"type":"string"}},"many":{"type":"array","maxItems":2,"items":{"type":"string"}},
              "unique":{"type":"array","uniqueItems":true,"items":{"type":"integer"}},
              "empty":{"type":"object","minProperties":1,"additionalProperties":{"type":"string"}},
              "full":{"type":"object","maxProperties":1,"additionalProperties":{"type":"string"}}}}}}
            """);
        var obj = Json("""{"spec":{"few":["a"],"many":["a","b","c"],"unique":[1,2,1],"empty":{},"full":{"a":"1","b":"2"}}}""");

        var causes = CustomResourceSchema.Validate(obj, schema);

        Assert.Equal(
        [
            "spec.few: Invalid value: 1: spec.few in body should have at least 2 items",
            "spec.many: Too many: 3: must have at most 2 items",
            "spec.unique: Invalid value: \"\": spec.unique in body shouldn't contain duplicates",
            "spec.empty: Invalid value: 0: spec.empty in body should have at least 1 properties",
            "spec.full: Too many: 2: must have at most 1 item",
        ], Lines(causes));
    }

    [Fact]
    public void Validate_WhenNestedValuesAreBad_ThenPathsNameListIndexesAndMapKeys()
    {
        var obj = Json("""{"spec":{"items":[{"name":"a"},{"name":7}],"labels":{"app":"web","tier":false}}}""");

        var causes = CustomResourceSchema.Validate(obj, Json(Widget));

        Assert.Equal(
        [
            "spec.items[1].name: Invalid value: \"integer\": spec.items[1].name in body must be of type string: \"integer\"",
            "spec.labels.tier: Invalid value: \"boolean\": spec.labels.tier in body must be of type string: \"boolean\"",
        ], Lines(causes));
    }

    [Fact]
    public void Validate_WhenAFieldIsNull_ThenItIsATypeErrorUnlessNullable()
    {
        var schema = Json("""{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string","nullable":true}}}}}""");

        var causes = CustomResourceSchema.Validate(Json("""{"spec":{"a":null,"b":null}}"""), schema);

        Assert.Equal(["spec.a: Invalid value: \"null\": spec.a in body must be of type string: \"null\""], Lines(causes));
    }

    [Fact]
    public void Validate_WhenListTypeSetOrMapRepeats_ThenTheSecondAppearanceIsADuplicateValue()
    {
        var schema = Json("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
              "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["port","protocol"],
                "items":{"type":"object","properties":{"port":{"type":"integer"},"protocol":{"type":"string"}}}}}}}}
            """);
        var obj = Json("""{"spec":{"tags":["a","b","a","a"],"ports":[{"port":80,"protocol":"TCP"},{"port":80,"protocol":"UDP"},{"protocol":"TCP","port":80}]}}""");

        var causes = CustomResourceSchema.Validate(obj, schema);

        Assert.Equal(
        [
            "spec.tags[2]: Duplicate value: \"a\"",
            "spec.ports[2]: Duplicate value: {\"port\":80,\"protocol\":\"TCP\"}",
        ], Lines(causes));
        Assert.All(causes, c => Assert.Equal("FieldValueDuplicate", c.Reason));
    }

    [Fact]
    public void Validate_WhenNoAnyOfAlternativeHolds_ThenTheUnnamedCombinatorErrorAndTheClosestAlternativesErrors()
    {
        var schema = Json("""{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer","anyOf":[{"minimum":10},{"maximum":2}]}}}}}""");

        var valid = CustomResourceSchema.Validate(Json("""{"spec":{"size":1}}"""), schema);
        var invalid = CustomResourceSchema.Validate(Json("""{"spec":{"size":5}}"""), schema);

        Assert.Empty(valid);
        Assert.Equal(
        [
            "<nil>: Invalid value: \"\": \"spec.size\" must validate at least one schema (anyOf)",
            "spec.size: Invalid value: 5: spec.size in body should be greater than or equal to 10",
        ], Lines(invalid));
    }

    [Fact]
    public void Validate_WhenAnEmbeddedResourceLacksTypeMeta_ThenApiVersionAndKindAreRequired()
    {
        var causes = CustomResourceSchema.Validate(Json("""{"spec":{"template":{"kind":""}}}"""), Json(Widget));

        Assert.Equal(["spec.template.apiVersion: Required value", "spec.template.kind: Invalid value: \"\": must not be empty"], Lines(causes));
    }

    [Fact]
    public void AllThree_WhenTheRootsApiVersionKindAndMetadataDisagreeWithTheSchema_ThenTheyAreLeftAlone()
    {
        var schema = Json("""
            {"type":"object","required":["apiVersion","kind","metadata"],"properties":{
              "apiVersion":{"type":"integer","default":1},"kind":{"type":"string","enum":["Other"]},
              "metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":1}}}}}
            """);
        var obj = Json("""{"kind":"Widget","metadata":{"name":"long-name","labels":{"a":"b"}}}""");

        var unknown = CustomResourceSchema.Prune(obj, schema);
        CustomResourceSchema.ApplyDefaults(obj, schema);
        var causes = CustomResourceSchema.Validate(obj, schema);

        Assert.Empty(unknown);
        Assert.Empty(causes);
        Assert.Equal("""{"kind":"Widget","metadata":{"name":"long-name","labels":{"a":"b"}}}""", obj.ToJsonString());
    }

    [Fact]
    public void GoText_WhenNumbersAndStringsAreSpelled_ThenTheyReadAsGoPrintsThem()
    {
        Assert.Equal(["0.5", "-2.5", "123456", "1e+06", "1.234567e+06", "0.0001", "1.5e-05", "1e+21"],
            new[] { 0.5, -2.5, 123456d, 1e6, 1234567d, 0.0001, 1.5e-5, 1e21 }.Select(GoText.Float));
        Assert.Equal("\"a\\\"b\\n\\x01é\\u00a0\"", GoText.Quote("a\"b\n\u0001é\u00a0"));
        Assert.Equal("""{"a":[1,2.5,"<"],"b":null}""".Replace("<", "\\u003c", StringComparison.Ordinal), GoText.Json(Json("""{"b":null,"a":[1,2.5,"<"]}""")));
    }

    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>Causes as upstream's aggregated error lists them: "field: message".</summary>
    private static List<string> Lines(IEnumerable<Berth.Core.Errors.StatusCause> causes) => causes.Select(c => $"{c.Field}: {c.Message}").ToList();
}

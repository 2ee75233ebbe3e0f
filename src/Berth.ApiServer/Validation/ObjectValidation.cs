using System.Text.Json.Nodes;
using Berth.ApiServer.Rest;
using Berth.Core.CustomResources;
using Berth.Core.Errors;
using Berth.Core.Resources;

namespace Berth.ApiServer.Validation;

/// <summary>
/// Validation of a defaulted object before it is stored, as upstream's per-kind strategies do: every problem found,
/// each as a cause with its field path, in one 422 Invalid. The previous object is the stored one on an
/// update (immutable fields), null on a create. Status writes are not validated here.
/// </summary>
internal static class ObjectValidation
{
    public static void Validate(ResourceInfo resource, JsonObject obj, JsonObject? previous)
    {
        if (resource.Custom is null)
            QuantityFormat.Check(resource, obj);
        var causes = new List<StatusCause>();
        MetadataValidation.Validate(obj["metadata"] as JsonObject, "metadata", causes);
        if (resource.Custom?.Schema is { } schema)
            causes.AddRange(CustomResourceSchema.Validate(obj, schema));
        var spec = obj["spec"] as JsonObject;
        switch (resource.Group, resource.Plural)
        {
            case ("", "pods"):
                PodSpecValidation.Validate(spec, "spec", causes);
                break;
            case ("apps", "deployments" or "replicasets" or "statefulsets" or "daemonsets"):
                WorkloadValidation.Validate(spec ?? [], previous, causes);
                break;
            case ("", "services"):
                ServiceValidation.Validate(spec ?? [], causes);
                break;
            case ("discovery.k8s.io", "endpointslices"):
                EndpointSliceValidation.Validate(obj, previous, causes);
                break;
            case ("batch", "jobs"):
                WorkloadValidation.ValidateJob(spec ?? [], "spec", causes);
                break;
            case ("batch", "cronjobs"):
                WorkloadValidation.ValidateJob(spec?["jobTemplate"]?["spec"] as JsonObject ?? [], "spec.jobTemplate.spec", causes);
                break;
            case ("certificates.k8s.io", "certificatesigningrequests") when previous is null:
                CertificateSigningRequestValidation.Validate(spec ?? [], causes);
                break;
            case ("apiextensions.k8s.io", "customresourcedefinitions"):
                DefinitionValidation.Validate(obj, causes);
                break;
            case ("scheduling.k8s.io", "priorityclasses"):
                PriorityClassValidation.Validate(obj, previous, causes);
                break;
        }
        if (previous is not null)
            UpdateValidation.Validate(resource, obj, previous, causes);
        if (causes.Count > 0)
            throw new ApiException(ApiStatus.Invalid(resource, ObjectJson.Name(obj) ?? "", causes));
    }
}

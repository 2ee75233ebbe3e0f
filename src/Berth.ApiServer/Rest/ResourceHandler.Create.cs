using Berth.ApiServer.Admission;
using Berth.ApiServer.Defaulting;
using Berth.ApiServer.Http;
using Berth.ApiServer.Security;
using Berth.ApiServer.Validation;
using System.Text.Json.Nodes;
using Berth.Core.Errors;
using Berth.Core.FieldManagement;
using Berth.Storage;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

internal sealed partial class ResourceHandler
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private const int GenerateNameAttempts = 8;

    private async Task CreateAsync(HttpContext context, RequestTarget target, bool dryRun)
    {
        var resource = target.Resource;
        var obj = await RequestBody.ReadObjectAsync(context, BodyLimit);
        CheckTypeMeta(obj, resource);
        FieldValidation.Apply(context, resource, obj);
        await CreateObjectAsync(context, target, obj, dryRun, UpdaterOf(context, null, "CreateOptions"));
    }

    /// <summary>
    /// Creates <paramref name="obj"/> and answers 201 with it as stored; the <paramref name="updater"/>'s fields are
    /// recorded in managedFields (an apply that creates has recorded its own).
    /// </summary>
    private async Task CreateObjectAsync(HttpContext context, RequestTarget target, JsonObject obj, bool dryRun, FieldOwner? updater)
    {
        var cancellationToken = context.RequestAborted;
        var resource = target.Resource;
        if (resource.Custom is { Terminating: true })
            throw new ApiException(new ApiStatus(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating"));
        var metadata = ObjectJson.Metadata(obj);

        if (resource.Namespaced)
        {
            var bodyNamespace = ObjectJson.GetString(metadata, "namespace");
            if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != target.Namespace)
                throw new ApiException(ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request"));
            metadata["namespace"] = target.Namespace;
        }
        else
        {
            metadata.Remove("namespace");
        }

        if (!string.IsNullOrEmpty(ObjectJson.GetString(metadata, "resourceVersion")))
            throw new ApiException(ApiStatus.BadRequest("resourceVersion should not be set on objects to be created"));

        var name = ObjectJson.GetString(metadata, "name");
        var generateName = ObjectJson.GetString(metadata, "generateName");
        if (string.IsNullOrEmpty(name) && string.IsNullOrEmpty(generateName))
        {
            throw new ApiException(ApiStatus.Invalid(resource, "",
                [new StatusCause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")]));
        }
        ValidateName(resource, name ?? generateName + "xxxxx");
        if (resource.Namespaced)
            await RequireNamespaceAsync(target.Namespace!, cancellationToken);
        await _priorityAdmission.AdmitAsync(resource, obj, cancellationToken);
        if (target.Namespace is { } ns)
            await _serviceAccountAdmission.AdmitAsync(resource, obj, ns, cancellationToken);
        StorageProtectionAdmission.Admit(resource, obj);

        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = Now();
        metadata.Remove("generation");
        if (resource.TracksGeneration)
            metadata["generation"] = 1;
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");
        metadata.Remove("selfLink");
        if (CertificateSigningRequestDefaults.Applies(resource))
            CertificateSigningRequestDefaults.SetRequester(obj, context.Features.Get<UserInfo>());

        for (var attempt = 1; ; attempt++)
        {
            if (string.IsNullOrEmpty(name))
                metadata["name"] = generateName + RandomSuffix();
            ObjectDefaults.OnCreate(resource, obj);
            ObjectDefaults.OnWrite(resource, obj);
            ObjectValidation.Validate(resource, obj, previous: null);
            await _priorityAdmission.ValidateAsync(resource, obj, cancellationToken);
            if (updater is not null)
                FieldsOf(resource).RecordUpdate(null, obj, updater);
            var actualName = ObjectJson.Name(obj)!;
            var key = resource.StorageKey(target.Namespace, actualName);
            if (dryRun)
            {
                if ((await store.GetAsync(key, 0, cancellationToken)).Kv is not null)
                    throw new ApiException(ApiStatus.AlreadyExists(resource, actualName));
                await allocations.OnCreateAsync(resource, obj, dryRun: true, cancellationToken);
                metadata.Remove("resourceVersion");
                await ApiResponse.WriteAsync(context, StatusCodes.Status201Created, obj);
                return;
            }

            // A Service's addresses and ports are claimed before it is stored, and given back when it is not.
            var allocated = await allocations.OnCreateAsync(resource, obj, dryRun: false, cancellationToken);
            WriteResult result;
            byte[] stored;
            try
            {
                stored = ObjectJson.ToStored(obj);
                result = await store.CreateAsync(key, stored, await LeaseForAsync(resource, cancellationToken), cancellationToken);
            }
            catch
            {
                await allocated.RevertAsync(CancellationToken.None);
                throw;
            }
            if (result.Status != WriteStatus.Ok)
                await allocated.RevertAsync(CancellationToken.None);
            switch (result.Status)
            {
                case WriteStatus.Ok:
                    metadata["resourceVersion"] = result.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await WriteSavedAsync(context, StatusCodes.Status201Created, new Saved(obj, stored, result.Revision));
                    return;
                case WriteStatus.KeyExists when string.IsNullOrEmpty(name) && attempt < GenerateNameAttempts:
                    continue;
                case WriteStatus.KeyExists:
                    throw new ApiException(ApiStatus.AlreadyExists(resource, actualName));
                default:
                    throw new ApiException(StoreFailure(result));
            }
        }
    }

    private static void ValidateName(Core.Resources.ResourceInfo resource, string name)
    {
        if (NameRules.Validate(resource, name) is { } problem)
        {
            throw new ApiException(ApiStatus.Invalid(resource, name,
                [new StatusCause("FieldValueInvalid", $"Invalid value: \"{name}\": {problem}", "metadata.name")]));
        }
    }

    /// <summary>Five random characters of the alphabet generated names use (no vowels, nothing that reads alike).</summary>
    internal static string RandomSuffix() =>
        string.Create(5, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)];
        });

    /// <summary>A store refusal no API rule anticipated: the object breaks the store's own limits.</summary>
    private static ApiStatus StoreFailure(WriteResult result) => result.Status switch
    {
        WriteStatus.Invalid when result.Error?.Contains("bytes", StringComparison.Ordinal) == true =>
            new ApiStatus(413, "RequestEntityTooLarge", $"the object is too large to store: {result.Error}"),
        WriteStatus.Invalid => ApiStatus.BadRequest(result.Error ?? "the object cannot be stored"),
        _ => ApiStatus.Internal($"unexpected datastore outcome {result.Status}"),
    };
}

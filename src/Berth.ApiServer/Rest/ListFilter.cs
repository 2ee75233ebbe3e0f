using Berth.ApiServer.Caching;
using Berth.Core.Errors;
using Berth.Core.Resources;
using Berth.Core.Selectors;
using Microsoft.AspNetCore.Http;

namespace Berth.ApiServer.Rest;

/// <summary>The label and field selectors of a list or watch request.</summary>
internal sealed record ListFilter(LabelSelector Labels, FieldSelector Fields)
{
    public bool IsEverything => Labels.IsEverything && Fields.IsEverything;

    public static ListFilter FromQuery(ResourceInfo resource, IQueryCollection query)
    {
        var labels = LabelSelector.TryParse(query["labelSelector"], out var labelError)
            ?? throw new ApiException(ApiStatus.BadRequest($"unable to parse labelSelector: {labelError}"));
        var fields = FieldSelector.TryParse(query["fieldSelector"], out var fieldError)
            ?? throw new ApiException(ApiStatus.BadRequest(fieldError!));
        if (SelectableFields.Unsupported(resource, fields.Terms.Select(t => t.Field)) is { } unsupported)
            throw new ApiException(ApiStatus.BadRequest(unsupported));
        return new ListFilter(labels, fields);
    }

    public bool Matches(CachedObject? obj) =>
        obj is not null && (Labels.IsEverything || Labels.Matches(obj.Labels)) && (Fields.IsEverything || Fields.Matches(obj.Fields));
}

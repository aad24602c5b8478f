namespace Usp.DataModel.Schema;

/// <summary>The agent's supported data model: a tree of objects rooted at <c>Device.</c>.</summary>
public sealed class DataModelSchema
{
    private readonly Dictionary<string, ObjectSchema> _byPath = new(StringComparer.Ordinal);

    internal DataModelSchema(ObjectSchema root, string dataModelUri)
    {
        Root = root;
        DataModelUri = dataModelUri;
        Index(root);
    }

    public ObjectSchema Root { get; }
    /// <summary>Reported as <c>data_model_inst_uri</c> in GetSupportedDM responses.</summary>
    public string DataModelUri { get; }

    /// <summary>Looks up an object by its supported path (<c>Device.X.{i}.Y.</c>).</summary>
    public ObjectSchema? FindObject(string supportedPath) => _byPath.GetValueOrDefault(supportedPath);

    public IEnumerable<ObjectSchema> AllObjects => _byPath.Values;

    private void Index(ObjectSchema o)
    {
        _byPath[o.Path] = o;
        foreach (var c in o.Children)
            Index(c);
    }
}

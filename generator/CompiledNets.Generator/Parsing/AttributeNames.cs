namespace CompiledNets.Generator.Parsing;

/// <summary>Metadata names of the runtime's attributes (the generator matches them by name, not by reference).</summary>
internal static class AttributeNames
{
    public const string Network = "CompiledNets.NetworkAttribute";
    public const string Dense = "CompiledNets.DenseAttribute";
    public const string Dropout = "CompiledNets.DropoutAttribute";
}

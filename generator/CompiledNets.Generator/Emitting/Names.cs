namespace CompiledNets.Generator.Emitting;

/// <summary>Fully qualified names the emitted code uses, and the spelling of buffer names made from layer titles.</summary>
internal static class Names
{
    public const string Kernels = "global::CompiledNets.Kernels";
    public const string Tensor = "global::System.Numerics.Tensors.TensorPrimitives";
    public const string Span = "global::System.Span<float>";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    /// <summary>"Pool 2" → "pool2".</summary>
    public static string Camel(string title)
    {
        string joined = title.Replace(" ", "");
        return char.ToLowerInvariant(joined[0]) + joined.Substring(1);
    }

    /// <summary>"pool2Dropout" → "Pool2Dropout".</summary>
    public static string Pascal(string name) => char.ToUpperInvariant(name[0]) + name.Substring(1);

    public static string Activation(Model.ActivationKind activation) => $"global::CompiledNets.Activation.{activation}";

    /// <summary>"no activation", or the activation's name, for comments.</summary>
    public static string ActivationComment(Model.ActivationKind activation) =>
        activation == Model.ActivationKind.None ? "no activation" : activation.ToString();
}

using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using CompiledNets.Generator.Emitting;
using CompiledNets.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace CompiledNets.Generator.Weights;

/// <summary>
/// A network that declares <c>Weights = "…"</c>, with where its [Network] attribute is (for diagnostics): the
/// parser's output for the weights steps, apart from the model so that moving the attribute re-emits nothing.
/// </summary>
internal sealed record WeightsRequest(NetworkModel Model, string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public DiagnosticInfo Diagnostic(DiagnosticDescriptor descriptor, params object[] arguments) =>
        new(descriptor.Id, FilePath, Span, LineSpan,
            arguments.Select(a => System.Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToEquatableArray());
}

/// <summary>
/// Matches a network's declared parameter tensors with the tensors of its weights file: every declared tensor must be
/// in the file as F32 with the same shape, and the file must hold nothing else. On success, the parameter bytes in the
/// order of the network's flat Parameters vector, ready to be embedded.
/// </summary>
internal static class WeightsBinding
{
    /// <summary>The problem as (descriptor, message arguments), or null with <paramref name="parameters"/> set.</summary>
    public static (DiagnosticDescriptor Descriptor, object[] Arguments)? Bind(NetworkModel model, ImmutableArray<WeightsFile> files,
        out byte[]? parameters)
    {
        parameters = null;
        string requested = model.WeightsFile!;
        WeightsFile? file = files.FirstOrDefault(f => f.Matches(requested));
        if (file is null)
            return (Descriptors.WeightsFileMissing, [requested, model.ClassName]);
        if (file.Tensors is null)
            return (Descriptors.WeightsFileUnreadable, [requested, file.Error!]);

        var byName = new Dictionary<string, FileTensor>();
        foreach (FileTensor tensor in file.Tensors)
            byName[tensor.Name] = tensor;
        List<TensorPlan> declared = new NetworkPlan(model).Tensors().ToList();
        var bytes = new byte[declared.Sum(t => t.Length) * 4];
        long at = 0;
        foreach (TensorPlan tensor in declared)
        {
            string expected = "[" + string.Join(", ", tensor.Shape) + "]";
            if (!byName.TryGetValue(tensor.Name, out FileTensor? found))
                return (Descriptors.WeightsMismatch, [requested, model.ClassName, $"it has no tensor '{tensor.Name}' (the declaration's is {expected})"]);
            string actual = "[" + string.Join(", ", found.Shape) + "]";
            if (found.DType != "F32")
                return (Descriptors.WeightsMismatch, [requested, model.ClassName, $"tensor '{tensor.Name}' is {found.DType}, not F32"]);
            if (actual != expected)
                return (Descriptors.WeightsMismatch, [requested, model.ClassName, $"tensor '{tensor.Name}' is {actual} in the file but {expected} in the declaration"]);
            if (found.End - found.Start != tensor.Length * 4)
                return (Descriptors.WeightsFileUnreadable, [requested, $"tensor '{tensor.Name}' has {found.End - found.Start} bytes for {tensor.Length} floats"]);
            System.Array.Copy(file.Bytes, file.DataStart + found.Start, bytes, at, found.End - found.Start);
            at += found.End - found.Start;
            byName.Remove(tensor.Name);
        }
        if (byName.Count > 0)
            return (Descriptors.WeightsMismatch, [requested, model.ClassName, $"it has a tensor '{byName.Keys.OrderBy(k => k, System.StringComparer.Ordinal).First()}' that the declaration does not"]);
        parameters = bytes;
        return null;
    }
}

using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace CompiledNets.Generator.Model;

/// <summary>
/// A diagnostic as plain values. <see cref="Location"/> and <see cref="Diagnostic"/> are not equatable across
/// compilations, so the pipeline carries this instead and rebuilds the diagnostic only when reporting it.
/// </summary>
internal sealed record DiagnosticInfo(
    string DescriptorId,
    string FilePath,
    TextSpan Span,
    LinePositionSpan LineSpan,
    EquatableArray<string> MessageArguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object[] messageArguments)
    {
        FileLinePositionSpan lineSpan = location?.GetLineSpan() ?? default;
        string[] arguments = new string[messageArguments.Length];
        for (int i = 0; i < messageArguments.Length; i++)
            arguments[i] = System.Convert.ToString(messageArguments[i], System.Globalization.CultureInfo.InvariantCulture) ?? "";
        return new DiagnosticInfo(
            descriptor.Id,
            lineSpan.Path ?? "",
            location?.SourceSpan ?? default,
            lineSpan.Span,
            arguments.ToEquatableArray());
    }

    public Diagnostic ToDiagnostic()
    {
        Location location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        return Diagnostic.Create(Descriptors.ById(DescriptorId), location, MessageArguments.AsImmutableArray().ToArray());
    }
}

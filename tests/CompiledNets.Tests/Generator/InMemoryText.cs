using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace CompiledNets.Tests.Generator;

/// <summary>An AdditionalFiles entry held in memory.</summary>
internal sealed class InMemoryText(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);

    /// <summary>A .safetensors file as the package's build targets hand it to the generator: a base64 text copy.</summary>
    public static InMemoryText Weights(string fileName, byte[] bytes) =>
        new($"/project/obj/compilednets/{fileName}.base64", Convert.ToBase64String(bytes));
}

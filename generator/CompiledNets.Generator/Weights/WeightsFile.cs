using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Generator.Weights;

/// <summary>
/// A weights file the build handed the generator: the package's build targets turn each <c>.safetensors</c> file in
/// AdditionalFiles into a base64 text copy (<c>name.safetensors.base64</c>), because the compiler reads additional files
/// as text only. Compared by name and the SHA-256 of its bytes, so an unchanged file keeps every later step cached,
/// however large it is.
/// </summary>
internal sealed class WeightsFile : IEquatable<WeightsFile>
{
    /// <summary>The suffix the build targets give the text copy.</summary>
    public const string Suffix = ".base64";

    private WeightsFile(string name, string hash, byte[] bytes, List<FileTensor>? tensors, int dataStart, string? error)
    {
        Name = name;
        Hash = hash;
        Bytes = bytes;
        Tensors = tensors;
        DataStart = dataStart;
        Error = error;
    }

    /// <summary>The original file's name, e.g. "model.safetensors".</summary>
    public string Name { get; }
    public string Hash { get; }
    public byte[] Bytes { get; }
    /// <summary>Its tensors, or null when it could not be read (see <see cref="Error"/>).</summary>
    public List<FileTensor>? Tensors { get; }
    public int DataStart { get; }
    public string? Error { get; }

    public static bool IsWeightsText(AdditionalText text) =>
        text.Path.EndsWith(".safetensors" + Suffix, StringComparison.OrdinalIgnoreCase);

    public static WeightsFile Read(AdditionalText text, CancellationToken cancellationToken)
    {
        string fileName = Path.GetFileName(text.Path);
        string name = fileName.Substring(0, fileName.Length - Suffix.Length);
        string? content = text.GetText(cancellationToken)?.ToString();
        if (content is null)
            return new WeightsFile(name, "", [], null, 0, "the build could not read it");
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(content.Trim());
        }
        catch (FormatException)
        {
            return new WeightsFile(name, "", [], null, 0, $"its text copy {fileName} is not base64");
        }
        string hash;
        using (SHA256 sha = SHA256.Create())
            hash = BitConverter.ToString(sha.ComputeHash(bytes)).Replace("-", "").ToLowerInvariant();
        try
        {
            List<FileTensor> tensors = SafeTensorsHeader.Read(bytes, out int dataStart);
            return new WeightsFile(name, hash, bytes, tensors, dataStart, null);
        }
        catch (FormatException e)
        {
            return new WeightsFile(name, hash, bytes, null, 0, "it is not a .safetensors file: " + e.Message);
        }
    }

    /// <summary>Whether this file is the one a [Network(Weights = …)] names: by file name, ignoring any folders.</summary>
    public bool Matches(string requested) =>
        string.Equals(Name, Path.GetFileName(requested.Replace('\\', '/')), StringComparison.OrdinalIgnoreCase);

    public bool Equals(WeightsFile? other) => other is not null && Name == other.Name && Hash == other.Hash && Error == other.Error;

    public override bool Equals(object? obj) => Equals(obj as WeightsFile);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name) ^ StringComparer.Ordinal.GetHashCode(Hash);
}

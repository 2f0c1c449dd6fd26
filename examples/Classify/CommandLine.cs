using System;
using System.Collections.Generic;
using System.Globalization;

namespace CompiledNets.Examples.Classify;

/// <summary>
/// The parsed arguments. Hand-written rather than System.CommandLine to keep the native executable small.
/// </summary>
internal sealed record CommandLine(string Model, bool Invert, string? Idx, int Start, int Count, IReadOnlyList<string> Images)
{
    /// <summary>Whether the arguments are just <c>--kernels</c>: print which kernels this executable runs, and stop.</summary>
    public static bool AsksForKernels(string[] args) => args.Length == 1 && args[0] == "--kernels";

    /// <param name="args">The arguments.</param>
    /// <param name="error">Why they do not parse.</param>
    /// <param name="modelRequired">False for the build with its model compiled in, which needs no --model.</param>
    public static CommandLine? Parse(string[] args, out string? error, bool modelRequired = true)
    {
        string? model = null, idx = null;
        bool invert = false;
        int start = 0, count = 1;
        var images = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--model" when i + 1 < args.Length: model = args[++i]; break;
                case "--idx" when i + 1 < args.Length: idx = args[++i]; break;
                case "--invert": invert = true; break;
                case "--start" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out start): i++; break;
                case "--count" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out count): i++; break;
                case var option when option.StartsWith("--", StringComparison.Ordinal):
                    error = $"unknown option or missing value: {option}";
                    return null;
                default: images.Add(args[i]); break;
            }
        }
        error = model is null && modelRequired ? "--model is required"
            : idx is null && images.Count == 0 ? "give image files or --idx"
            : count < 1 ? "--count must be at least 1"
            : null;
        return error is null ? new CommandLine(model ?? "", invert, idx, start, count, images) : null;
    }
}

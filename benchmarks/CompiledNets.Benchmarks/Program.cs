using System.Globalization;
using BenchmarkDotNet.Running;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- [BenchmarkDotNet arguments]</c> runs the suite (benchmarks/README.md);
/// <c>dotnet run -c Release -- --steps [threads]</c> prints where the time of a train step goes, kernel by kernel.
/// </summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--steps")
        {
            StepBreakdown.Run(threads: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1);
            return;
        }
        if (args.Length > 0 && args[0] == "--infer")
        {
            InferenceProbe.Run();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

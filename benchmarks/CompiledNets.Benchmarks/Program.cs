using System.Globalization;
using BenchmarkDotNet.Running;

namespace CompiledNets.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release -- [BenchmarkDotNet arguments]</c> runs the suite (benchmarks/README.md);
/// <c>-- --steps [threads]</c> prints where the time of a train step goes, kernel by kernel; <c>-- --infer</c> and
/// <c>-- --epochs</c> time inference and whole epochs with a Stopwatch (development aids, not the quoted numbers).
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
        if (args.Length > 0 && args[0] == "--epochs")
        {
            Probes.Epochs();
            return;
        }
        if (args.Length > 0 && args[0] == "--infer")
        {
            Probes.Inference();
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

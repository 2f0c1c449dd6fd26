using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using Perfolizer.Horology;

namespace CompiledNets.Benchmarks;

/// <summary>
/// Short runs (the machines are shared and noisy; medians are quoted): 12 warm-up and 15 measured iterations of about
/// 100 ms each, one process, with the memory diagnoser (allocated bytes per operation) and a JSON export that
/// <c>benchmarks/run.sh</c> reads. The warm-up is long because the first second or so of a train-step loop runs slower
/// while the JIT compiler promotes the generated code and the runtime's small loops to optimized code.
/// </summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(12)
            .WithIterationCount(15)
            .WithIterationTime(TimeInterval.FromMilliseconds(100))
            .WithId("Short"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P90);
        AddExporter(JsonExporter.Full);
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(20);
    }
}

/// <summary>Whole epochs take about half a second each: one per iteration, 5 of them after one warm-up.</summary>
public sealed class EpochConfig : ManualConfig
{
    public EpochConfig()
    {
        AddJob(Job.Default
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(5)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("Epoch"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median);
        AddExporter(JsonExporter.Full);
    }
}

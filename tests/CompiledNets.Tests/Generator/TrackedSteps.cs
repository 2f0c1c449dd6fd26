using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using CompiledNets.Generator;
using Microsoft.CodeAnalysis;

namespace CompiledNets.Tests.Generator;

/// <summary>Reads the tracked pipeline steps of a generator run.</summary>
internal static class TrackedSteps
{
    /// <summary>Every tracking name declared in <see cref="NetworkGenerator.Steps"/>, found by reflection so a new step is covered too.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(NetworkGenerator.Steps)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(field => field.IsLiteral && field.FieldType == typeof(string))
        .Select(field => (string)field.GetRawConstantValue()!)
        .ToArray();

    /// <summary>Every output of every run of the step named <paramref name="name"/>; fails if the step did not run.</summary>
    public static IReadOnlyList<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRun run, string name)
    {
        Assert.True(run.Generator.TrackedSteps.TryGetValue(name, out var steps), $"Step '{name}' was not tracked in this run.");
        return steps.SelectMany(step => step.Outputs).ToArray();
    }

    /// <summary>The reasons of the outputs whose value satisfies <paramref name="match"/>.</summary>
    public static IncrementalStepRunReason[] ReasonsFor<T>(GeneratorRun run, string name, System.Func<T, bool> match) =>
        Outputs(run, name).Where(output => output.Value is T value && match(value)).Select(output => output.Reason).ToArray();

    public static bool IsCached(IncrementalStepRunReason reason) =>
        reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged;
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading;
using CompiledNets.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace CompiledNets.Tests.Properties;

/// <summary>Reads a generated network's dropout mask buffer (its internal <c>DropoutMask(int)</c> test hook).</summary>
internal delegate Span<float> MaskAccessor(int index);

/// <summary>
/// Several networks compiled together in memory with the generator, checked to build cleanly, emitted and loaded into a
/// collectible <see cref="AssemblyLoadContext"/>. The context resolves nothing itself (no Load override), so
/// CompiledNets.dll and System.Numerics.Tensors.dll come from the default context where the test process already loaded
/// them: the generated classes implement the very <see cref="ICompiledNetwork"/> the tests cast to. Dispose unloads it.
/// </summary>
internal sealed class InMemoryNetworks : IDisposable
{
    private static int s_contexts;
    private readonly AssemblyLoadContext _context;
    private readonly Assembly _assembly;

    private InMemoryNetworks(AssemblyLoadContext context, Assembly assembly)
    {
        _context = context;
        _assembly = assembly;
    }

    /// <summary>
    /// Runs the generator on one compilation holding every declaration (one file each) and asserts: no generator
    /// exception, no generator diagnostic, one generated file per network, and not a single warning or error in the
    /// output compilation (warning level 9999, XML documentation checked: what a user building with warnings as errors
    /// sees). Then emits and loads it.
    /// </summary>
    public static InMemoryNetworks Compile(IReadOnlyList<NetworkSpec> specs)
    {
        GeneratorRun run = TestCompilation.Run(specs.Select(s => s.Render()).ToArray());
        run.AssertNoGeneratorException();
        Assert.True(run.GeneratorDiagnostics.IsEmpty,
            "Generator diagnostics for valid declarations:\n" + string.Join("\n", run.GeneratorDiagnostics));
        Assert.Equal(specs.Count, run.Sources.Length);
        Diagnostic[] problems = run.OutputDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(problems.Length == 0, "The generated code does not build cleanly:\n" + string.Join("\n", problems.Take(20)));

        using var image = new MemoryStream();
        EmitResult emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, "Emit failed:\n" + string.Join("\n", emitted.Diagnostics.Take(20)));
        image.Position = 0;

        var context = new AssemblyLoadContext("PropertyNets" + Interlocked.Increment(ref s_contexts), isCollectible: true);
        Assembly assembly = context.LoadFromStream(image);
        return new InMemoryNetworks(context, assembly);
    }

    /// <summary>The generated class of <paramref name="spec"/>.</summary>
    public Type TypeOf(NetworkSpec spec) =>
        _assembly.GetType(spec.FullName, throwOnError: true)!;

    /// <summary>Constructs <paramref name="spec"/>'s class with (maxBatchSize, seed), as a user would.</summary>
    public ICompiledNetwork Create(NetworkSpec spec, int maxBatchSize, ulong seed)
    {
        object instance = Activator.CreateInstance(TypeOf(spec), maxBatchSize, seed)!;
        return (ICompiledNetwork)instance;
    }

    /// <summary>The network's <c>DropoutMask(int)</c> hook, or null when it has no dropout layer.</summary>
    public static MaskAccessor? MaskAccessorOf(ICompiledNetwork network)
    {
        MethodInfo? method = network.GetType().GetMethod("DropoutMask", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(int)]);
        return method is null ? null : method.CreateDelegate<MaskAccessor>(network);
    }

    /// <summary>The load context the networks live in, and everything loaded into it.</summary>
    public AssemblyLoadContext Context => _context;

    public Assembly Assembly => _assembly;

    public void Dispose() => _context.Unload();
}

using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using CompiledNets.Tests.Generator;
using CsCheck;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Properties;

/// <summary>
/// Random declarations with two mistakes (the second applied to the result of the first): mistakes interact (a later one
/// can hide or undo an earlier one), so the exact list is not predicted, but the generator must still not throw, emit
/// nothing, and report only errors whose ids are among those the two mistakes produce on their own — at least one, unless
/// no CompiledNets attribute is left at all.
/// </summary>
public class DoubleMistakeProperties(ITestOutputHelper output)
{
    private const int DeclarationsPerCompilation = 25;
    private static readonly int s_compilations = PropertySettings.Int("COMPILEDNETS_PROPERTY_INVALID_COMPILATIONS", 8);

    private static readonly Gen<InvalidCase[]> s_batch =
        Gen.Select(NetworkGen.Valid("Bad"), Gen.Int[0, Mutations.Count - 1], Gen.Int[0, Mutations.Count - 1], Gen.Int[0, int.MaxValue], Gen.Int[0, int.MaxValue])
            .Select((spec, first, second, a, b) =>
            {
                // Removing every dense layer goes last: the other mistakes may need one to act on.
                if (Mutations.Kinds[first] == "NoDenseLayer") (first, second) = (second, first);
                InvalidCase one = Mutations.Apply(spec, first, a, b);
                InvalidCase two = Mutations.Apply(one.Spec, second, b, a);
                return two with { Kind = one.Kind + "+" + two.Kind, Expected = one.Expected.AddRange(two.Expected) };
            })
            .Array[DeclarationsPerCompilation]
            .Select(cases => cases.Select((c, i) => c with
            {
                Spec = c.Spec with { Namespace = "Invalid" + i.ToString(CultureInfo.InvariantCulture) },
            }).ToArray());

    [Fact]
    public void Two_mistakes_are_reported_without_a_generator_exception()
    {
        int declarations = 0, diagnostics = 0;
        Check.Sample(
            s_batch,
            cases =>
            {
                GeneratorRun run = TestCompilation.Run(cases.Select(c => c.Spec.Render()).ToArray());
                run.AssertNoGeneratorException();
                Assert.True(run.Sources.Length == 0, "generated for an invalid declaration: " + string.Join(", ", run.Sources.Select(s => s.HintName)));
                for (int i = 0; i < cases.Length; i++)
                {
                    Diagnostic[] reported = run.GeneratorDiagnostics.Where(d => d.Location.GetLineSpan().Path == $"Source{i}.cs").ToArray();
                    InvalidCase c = cases[i];
                    string[] possible = c.Expected.Select(e => e.Id).Distinct().ToArray();
                    string describe = $"{c.Kind}: possible {string.Join(", ", possible)}\n{c.Spec.Render()}\nreported:\n{string.Join("\n", reported.Select(d => d.ToString()))}";
                    bool anyAttribute = c.Spec.HasNetworkAttribute || c.Spec.Layers.Length > 0;
                    Assert.True(anyAttribute ? reported.Length > 0 : reported.Length == 0, describe);
                    Assert.All(reported, d =>
                    {
                        Assert.True(possible.Contains(d.Id), describe);
                        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
                        Assert.DoesNotContain("{", d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                    });
                    Interlocked.Increment(ref declarations);
                    Interlocked.Add(ref diagnostics, reported.Length);
                }
            },
            iter: s_compilations,
            threads: 2,
            print: cases => string.Join("\n\n", cases.Select(c => $"{c.Kind}\n{c.Spec.Render()}")));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{declarations} random declarations with two mistakes in {s_compilations} compilations: {diagnostics} diagnostics, no generator exception"));
        Assert.Equal(s_compilations * DeclarationsPerCompilation, declarations);
    }
}

using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using CompiledNets.Tests.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Xunit.Abstractions;

namespace CompiledNets.Tests.Faults;

/// <summary>
/// Random "attribute soup" through the generator (<see cref="DeclarationSoup"/>): hundreds of types per run, batched into
/// compilations of three files. For every case the generator must not throw; every CNN diagnostic must sit in a source
/// file on an attribute of the kind it is about, or on a type's identifier; generated files must compile without errors;
/// and a CNN diagnostic about argument values must never land on an attribute the compiler itself rejected. For cases
/// built only from well-formed pieces, the exact set of (id, file, span) is derived independently and compared, and a
/// network is emitted exactly when that set is empty.
/// </summary>
public sealed class DeclarationFuzzTests(ITestOutputHelper output)
{
    private const int Batches = 24;
    private const int CasesPerBatch = 30;
    private const int BaseSeed = 5_000_000;
    private const int FamilyBatches = 12;
    private const int FamilyBaseSeed = 6_000_000;

    private static readonly string[] IdentifierIds = ["CNN0001", "CNN0002", "CNN0009", "CNN0010", "CNN0011", "CNN0016", "CNN0017"];

    /// <summary>Which attribute each attribute-level diagnostic is about (CNN0012 can be on any of them).</summary>
    private static readonly Dictionary<string, string[]> AttributeIds = new()
    {
        ["CNN0003"] = ["Network"], ["CNN0015"] = ["Network"],
        ["CNN0004"] = ["Dense"], ["CNN0008"] = ["Dense", "ConcreteDropout"], ["CNN0013"] = ["Dense"],
        ["CNN0005"] = ["Dropout"], ["CNN0006"] = ["Dropout"], ["CNN0021"] = ["Dropout", "ConcreteDropout"],
        ["CNN0007"] = ["Dense", "Dropout", "ConcreteDropout"], ["CNN0014"] = ["Dense", "Dropout", "ConcreteDropout"],
        ["CNN0012"] = ["Network", "Dense", "Dropout"],
        ["CNN0029"] = ["Dense"], ["CNN0030"] = ["Dense"], ["CNN0031"] = ["ConcreteDropout"], ["CNN0032"] = ["ConcreteDropout"],
    };

    /// <summary>Diagnostics about where an attribute is, not about its arguments: fine on an attribute the compiler rejects.</summary>
    private static readonly HashSet<string> PlacementIds = ["CNN0007", "CNN0014"];

    [Fact]
    public void Attribute_soup_never_breaks_the_generator_and_every_diagnostic_points_at_its_attribute()
    {
        var clock = Stopwatch.StartNew();
        var stats = new FuzzStats();
        for (int batch = 0; batch < Batches; batch++)
        {
            // Alternate well-formed and soup cases inside every batch, so each compilation mixes both.
            SoupCase[] cases = Enumerable.Range(0, CasesPerBatch)
                .Select(i => DeclarationSoup.Generate(BaseSeed + batch * CasesPerBatch + i, wellFormed: i % 2 == 0))
                .ToArray();
            CheckBatch(cases, stats);
        }

        output.WriteLine($"{stats.Cases} cases ({stats.WellFormed} well-formed, {stats.Cases - stats.WellFormed} soup) in {Batches} compilations, {clock.Elapsed.TotalSeconds:F1} s");
        foreach (string line in stats.Lines())
            output.WriteLine(line);
        Assert.True(stats.Failures.Count == 0,
            $"{stats.Failures.Count} failures; the first ones:\n" + string.Join("\n\n", stats.Failures.Take(8)));
        Assert.True(stats.EmittedWellFormed > 20, $"only {stats.EmittedWellFormed} well-formed networks were emitted: the soup is too dirty to test the emitter");
        Assert.True(stats.ExpectedIds.Count >= 14, "well-formed soups reached only " + string.Join(", ", stats.ExpectedIds.Keys));
    }

    /// <summary>
    /// The same checks on soups that also hold the dropout family's declarations: [ConcreteDropout] (its settings, its
    /// place before a Dense, its logit among the parameters) and Dense's DropConnect settings (CNN0029, the warning
    /// CNN0030, which does not stop the network being emitted).
    /// </summary>
    [Fact]
    public void Dropout_family_soup_never_breaks_the_generator_and_gets_exactly_its_diagnostics()
    {
        var stats = new FuzzStats();
        for (int batch = 0; batch < FamilyBatches; batch++)
        {
            SoupCase[] cases = Enumerable.Range(0, CasesPerBatch)
                .Select(i => DeclarationSoup.Generate(FamilyBaseSeed + batch * CasesPerBatch + i, wellFormed: i % 2 == 0, family: true))
                .ToArray();
            CheckBatch(cases, stats);
        }

        foreach (string line in stats.Lines())
            output.WriteLine(line);
        Assert.True(stats.Failures.Count == 0,
            $"{stats.Failures.Count} failures; the first ones:\n" + string.Join("\n\n", stats.Failures.Take(8)));
        Assert.True(stats.EmittedWellFormed > 10, $"only {stats.EmittedWellFormed} well-formed networks were emitted");
        string[] family = ["CNN0021", "CNN0029", "CNN0030", "CNN0031", "CNN0032"];
        Assert.True(family.All(stats.ExpectedIds.ContainsKey), "well-formed family soups reached only " + string.Join(", ", stats.ExpectedIds.Keys));
    }

    /// <summary>Reruns a few cases alone, known bugs counting as failures: paste the seed of a failing case here.</summary>
    [Theory]
    [InlineData(5_000_000, true)]   // a valid record declared over two files: emitted, no diagnostic
    [InlineData(5_000_001, false)]  // soup: CNN0007 and CNN0012
    [InlineData(5_000_002, true)]   // CNN0005, CNN0006 twice, CNN0013
    public void Replay(int seed, bool wellFormed) => AssertCaseClean(seed, wellFormed);

    // ------------------------------------------------------------------ bugs this fuzz found

    private const string OverflowBug =
        "bug B1: NetworkParser.CountParameters sums width × units in a long without overflow checks; three layers near " +
        "2^31 wrap it below the array limit, so no CNN0015 is reported and the emitted code does not compile";

    private const string RejectedAttributeBug =
        "bug B2: NetworkParser.HasCompilerErrors only asks the semantic model of the [Network] declaration's file, so a " +
        "layer the compiler rejects on a partial part in another file is still parsed and gets value diagnostics (CNN0012)";

    private const string DuplicateOrphanBug =
        "bug B3: ForAttributeWithMetadataName hands OrphanParser every matching attribute in the node's file, not just " +
        "the node's own, so two partial parts in one file each report the other's layers too: CNN0014 twice per attribute";

    /// <summary>
    /// Seed 5000348 (well-formed): <c>[Network(int.MaxValue)]</c>, then Dense layers of 0x7FFFFFC7, int.MaxValue and
    /// 1 &lt;&lt; 30 units: about 2^63 + 2^61 parameters, which wraps to a negative long.
    /// </summary>
    [Fact]
    public void Seed_5000348_huge_layers_are_CNN0015_not_uncompilable_code() => AssertCaseClean(5_000_348, wellFormed: true);

    [Fact]
    public void Three_layers_of_int_MaxValue_units_are_CNN0015()
    {
        GeneratorRun run = TestCompilation.Run("""
            using CompiledNets;
            namespace Samples;
            [Network(2147483647)] [Dense(2147483647)] [Dense(2147483647)] [Dense(2147483647)] [Dense(2)]
            public partial class Overflowing;
            """);

        run.AssertNoGeneratorException();
        Diagnostic diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("CNN0015", diagnostic.Id);
        Assert.Equal("Network(2147483647)", run.LocatedText(diagnostic));
        Assert.Empty(run.Sources);
    }

    /// <summary>Seed 5000229 (soup): <c>[Dense(2, WeightInit = 5.5)]</c> on a part in another file gets CNN0012 "5 is not a defined WeightInit value".</summary>
    [Fact]
    public void Seed_5000229_rejected_layer_in_another_file_gets_no_value_diagnostic() => AssertCaseClean(5_000_229, wellFormed: false);

    [Fact]
    public void A_rejected_layer_on_a_part_in_another_file_gets_only_CNN0007()
    {
        GeneratorRun run = TestCompilation.Run(
            "using CompiledNets;\nnamespace Samples;\n[Network(4)] [Dense(3)] public partial class Split;",
            "using CompiledNets;\nnamespace Samples;\n[Dense(2, WeightInit = 5.5)] public partial class Split;");

        run.AssertNoGeneratorException();
        Assert.Contains(run.OutputDiagnostics, d => d.Id == "CS0266");
        // In the same file the parser skips the rejected attribute entirely; in another file at most its placement is news.
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("CNN0007", d.Id));
    }

    /// <summary>Seed 5000030 (well-formed): an orphan record with two parts in Source2.cs; their three layers are reported twice.</summary>
    [Fact]
    public void Seed_5000030_each_orphan_layer_is_reported_once() => AssertCaseClean(5_000_030, wellFormed: true);

    [Fact]
    public void Orphan_layers_on_two_parts_in_one_file_are_reported_once_each()
    {
        GeneratorRun run = TestCompilation.Run(
            "using CompiledNets;\nnamespace Samples;\n[Dense(3)] public partial class Orphan;\n[Dense(2)] public partial class Orphan;");

        run.AssertNoGeneratorException();
        Assert.Equal(new[] { "Dense(2)", "Dense(3)" }, run.GeneratorDiagnostics.Select(run.LocatedText).OrderBy(t => t, StringComparer.Ordinal));
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("CNN0014", d.Id));
    }

    private void AssertCaseClean(int seed, bool wellFormed)
    {
        var stats = new FuzzStats { Strict = true };
        CheckBatch([DeclarationSoup.Generate(seed, wellFormed)], stats);
        foreach (string line in stats.Lines()) output.WriteLine(line);
        Assert.True(stats.Failures.Count == 0, string.Join("\n\n", stats.Failures));
    }

    // ------------------------------------------------------------------ the checks

    private void CheckBatch(IReadOnlyList<SoupCase> cases, FuzzStats stats)
    {
        string[] sources = DeclarationSoup.Write(cases);
        GeneratorRun run = TestCompilation.Run(sources);
        Dictionary<string, SoupCase> byName = cases.ToDictionary(c => c.Name, StringComparer.Ordinal);
        string batchName = $"batch of seeds {cases[0].Seed}..{cases[^1].Seed}";
        string Source(SoupCase c) => string.Join("\n// ----\n", sources.Select((s, i) => $"// Source{i}.cs\n{s}"));

        stats.Cases += cases.Count;
        stats.WellFormed += cases.Count(c => c.WellFormed);

        // 1. The generator never throws.
        if (run.Generator.Exception is { } exception)
        {
            stats.Fail($"{batchName}: the generator threw {exception}\n{Source(cases[0])}");
            return;
        }
        ImmutableArray<Diagnostic> outputDiagnostics = run.Output.GetDiagnostics();
        foreach (Diagnostic d in run.GeneratorDiagnostics.Concat(outputDiagnostics).Where(d => d.Id == "CS8785"))
            stats.Fail($"{batchName}: {d}");

        var trees = run.Output.SyntaxTrees.ToDictionary(t => t.FilePath, StringComparer.Ordinal);
        ImmutableArray<Diagnostic> cnn = run.GeneratorDiagnostics.Where(d => d.Id.StartsWith("CNN", StringComparison.Ordinal)).ToImmutableArray();
        Diagnostic[] userErrors = outputDiagnostics
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.IsInSource && d.Location.SourceTree!.FilePath.StartsWith("Source", StringComparison.Ordinal))
            .ToArray();
        var generated = run.Sources.ToDictionary(s => s.SyntaxTree.FilePath, s => CaseOfHint(s.HintName, byName), StringComparer.Ordinal);

        // 2. Every CNN diagnostic is in a source file, on an attribute of its kind or on a type's identifier.
        var actualByCase = new Dictionary<SoupCase, List<ExpectedDiagnostic>>();
        foreach (Diagnostic d in cnn)
        {
            stats.Count("reported " + d.Id);
            string path = d.Location.GetLineSpan().Path;
            if (d.Location == Location.None || !trees.TryGetValue(path, out SyntaxTree? tree) || !path.StartsWith("Source", StringComparison.Ordinal))
            {
                stats.Fail($"{batchName}: {d} is not located in a source file (path '{path}')");
                continue;
            }
            TextSpan span = d.Location.SourceSpan;
            SyntaxNode root = tree.GetRoot();
            string located = tree.GetText().ToString(span);
            SyntaxToken token = root.FindToken(span.Start);
            SoupCase? owner;
            if (token.Span == span && token.Parent is BaseTypeDeclarationSyntax type && type.Identifier == token)
            {
                owner = byName.GetValueOrDefault(token.ValueText);
                if (!IdentifierIds.Contains(d.Id))
                    stats.Fail($"{owner}: {d.Id} points at the identifier '{located}' instead of an attribute\n{d}");
            }
            else if (root.FindNode(span) is AttributeSyntax attribute && attribute.Span == span)
            {
                owner = byName.GetValueOrDefault((attribute.FirstAncestorOrSelf<BaseTypeDeclarationSyntax>()?.Identifier.ValueText) ?? "");
                string kind = AttributeKind(attribute);
                string bare = located.Replace("global::", "", StringComparison.Ordinal).Replace("CompiledNets.", "", StringComparison.Ordinal);
                if (!bare.StartsWith(kind, StringComparison.Ordinal))
                    stats.Fail($"{owner}: located text '{located}' does not start with Network, Dense or Dropout");
                if (!AttributeIds.TryGetValue(d.Id, out string[]? kinds) || !kinds.Contains(kind))
                    stats.Fail($"{owner}: {d.Id} points at [{located}], which is not an attribute it can be about\n{d}");
                else if (!PlacementIds.Contains(d.Id) && userErrors.Any(e => e.Location.SourceTree == tree && e.Location.SourceSpan.IntersectsWith(span)))
                {
                    string error = userErrors.First(e => e.Location.SourceTree == tree && e.Location.SourceSpan.IntersectsWith(span)).ToString();
                    if (owner is not null && IsOnPartInAnotherFileThanNetwork(owner, path, span.Start))
                        stats.KnownBug("B2 value diagnostic on a compiler-rejected layer in another file", $"{owner}: {d.Id} on [{located}] beside {error}");
                    else
                        stats.Fail($"{owner}: {d.Id} on [{located}], which the compiler rejects ({error})\n{d}");
                }
            }
            else
            {
                stats.Fail($"{batchName}: {d.Id} points at '{located}', neither an attribute nor a type identifier\n{d}");
                continue;
            }
            if (owner is null)
            {
                stats.Fail($"{batchName}: {d} is not on any fuzz type");
                continue;
            }
            if (!actualByCase.TryGetValue(owner, out var list))
                actualByCase[owner] = list = new List<ExpectedDiagnostic>();
            list.Add(new ExpectedDiagnostic(d.Id, path, span.Start, span.Length));
        }

        // 3. Generated files compile: no errors located in them (user code may be broken; generated code never).
        var overflowing = new HashSet<SoupCase>();
        foreach (Diagnostic error in outputDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.IsInSource))
        {
            string path = error.Location.SourceTree!.FilePath;
            if (!generated.TryGetValue(path, out SoupCase? owner)) continue;
            if (owner is not null && DeclarationSoup.ParameterCountOverflowsLong(owner))
            {
                if (overflowing.Add(owner))
                    stats.KnownBug("B1 parameter count overflows long: emitted, no CNN0015", $"{owner}: errors in its generated code, the first {error}");
            }
            else
                stats.Fail($"{owner?.ToString() ?? path}: error in generated code: {error}");
        }

        // 4. Well-formed cases: the exact diagnostics, no compiler errors, and code exactly when there is no diagnostic.
        var emitted = generated.Values.Where(c => c is not null).ToHashSet();
        foreach (SoupCase soupCase in cases.Where(c => c.WellFormed))
        {
            var errors = userErrors.Where(e => CaseAt(e.Location, byName) == soupCase).ToArray();
            if (errors.Length > 0)
            {
                stats.Fail($"{soupCase}: the oracle thought this well-formed but the compiler says {errors[0]}\n{Describe(soupCase)}");
                continue;
            }
            List<ExpectedDiagnostic> expected = DeclarationSoup.Expected(soupCase, out _);
            List<ExpectedDiagnostic> actual = actualByCase.GetValueOrDefault(soupCase) ?? new();
            foreach (ExpectedDiagnostic e in expected) stats.Expect(e.Id);
            string[] want = expected.Select(e => e.ToString()).OrderBy(s => s, StringComparer.Ordinal).ToArray();
            string[] got = actual.Select(e => e.ToString()).OrderBy(s => s, StringComparer.Ordinal).ToArray();
            bool overflow = DeclarationSoup.ParameterCountOverflowsLong(soupCase);
            if (!want.SequenceEqual(got))
            {
                if (overflow && got.Length == 0 && want.SequenceEqual(expected.Where(e => e.Id == "CNN0015").Select(e => e.ToString())))
                {
                    if (overflowing.Add(soupCase))
                        stats.KnownBug("B1 parameter count overflows long: emitted, no CNN0015", $"{soupCase}: expected {string.Join(" ", want)}, got nothing");
                }
                else if (want.SequenceEqual(got.Distinct()) && got.Except(want).Count() == 0 && got.GroupBy(g => g).Where(g => g.Count() > 1).All(g => g.Key.StartsWith("CNN0014", StringComparison.Ordinal)))
                    stats.KnownBug("B3 CNN0014 reported once per partial part in the same file", $"{soupCase}: expected [{string.Join(" ", want)}], got [{string.Join(" ", got)}]");
                else
                    stats.Fail($"{soupCase}: expected [{string.Join(" ", want)}]\n    got [{string.Join(" ", got)}]\n{Describe(soupCase)}");
            }
            bool isNetwork = soupCase.Parts.Any(p => p.Attributes.Any(a => a.Kind == SoupKind.Network));
            bool shouldEmit = isNetwork && expected.All(e => DeclarationSoup.IsWarning(e.Id));
            if (shouldEmit != emitted.Contains(soupCase) && !(overflow && emitted.Contains(soupCase)))
                stats.Fail($"{soupCase}: expected {(shouldEmit ? "" : "no ")}generated code, got {(emitted.Contains(soupCase) ? "some" : "none")}\n{Describe(soupCase)}");
            if (shouldEmit && emitted.Contains(soupCase)) stats.EmittedWellFormed++;
        }
        stats.Emitted += emitted.Count;
    }

    private static string AttributeKind(AttributeSyntax attribute)
    {
        string name = attribute.Name switch
        {
            QualifiedNameSyntax q => q.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
            SimpleNameSyntax s => s.Identifier.ValueText,
            _ => attribute.Name.ToString(),
        };
        return name.EndsWith("Attribute", StringComparison.Ordinal) ? name[..^"Attribute".Length] : name;
    }

    /// <summary>The case whose type declaration contains <paramref name="location"/>.</summary>
    private static SoupCase? CaseAt(Location location, Dictionary<string, SoupCase> byName)
    {
        if (!location.IsInSource) return null;
        SyntaxNode node = location.SourceTree!.GetRoot().FindNode(location.SourceSpan, getInnermostNodeForTie: true);
        for (var type = node.FirstAncestorOrSelf<BaseTypeDeclarationSyntax>(); type is not null; type = type.Parent?.FirstAncestorOrSelf<BaseTypeDeclarationSyntax>())
        {
            if (byName.TryGetValue(type.Identifier.ValueText, out SoupCase? found))
                return found;
            string outer = type.Identifier.ValueText;
            if (outer.StartsWith("Outer", StringComparison.Ordinal))
                return byName.Values.FirstOrDefault(c => c.Outer == outer);
        }
        return null;
    }

    /// <summary>"Fuzz.N123.1a2b3c4d.g.cs" belongs to the case named N123.</summary>
    private static SoupCase? CaseOfHint(string hintName, Dictionary<string, SoupCase> byName)
    {
        string[] parts = hintName.Split('.');
        return parts.Length > 1 ? byName.GetValueOrDefault(parts[1]) : null;
    }

    private static bool IsOnPartInAnotherFileThanNetwork(SoupCase soupCase, string path, int start)
    {
        SoupAttribute? attribute = soupCase.Parts.SelectMany(p => p.Attributes).FirstOrDefault(a => DeclarationSoup.FileName(a.File) == path && a.Start == start);
        return attribute is not null && soupCase.Parts
            .Where(p => p.Attributes.Any(a => a.Kind == SoupKind.Network))
            .Any(p => p.File != attribute.Part.File);
    }

    private static string Describe(SoupCase soupCase)
    {
        string Part(SoupPart p) =>
            $"    Source{p.File}.cs{(p.Partial ? " partial" : "")}{(p.PrimaryConstructor ? " (primary ctor)" : "")}: " +
            string.Join(" ", p.Lists.Select(l => "[" + string.Join(", ", l.Select(a => $"{a.Text}@{a.Start}")) + "]")) + $" {soupCase.Name}@{p.IdentifierStart}";
        return $"  {soupCase.Keyword}{(soupCase.Nested ? " nested" : "")}{(soupCase.Generic ? " generic" : "")}, Size={soupCase.ClassSize}\n" +
            string.Join("\n", soupCase.Parts.Select(Part));
    }

    /// <summary>Counts and failures of one run.</summary>
    private sealed class FuzzStats
    {
        private readonly SortedDictionary<string, int> _counts = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, List<string>> _knownBugs = new(StringComparer.Ordinal);

        public int Cases { get; set; }
        public int WellFormed { get; set; }
        public int Emitted { get; set; }
        public int EmittedWellFormed { get; set; }
        public List<string> Failures { get; } = new();
        public SortedDictionary<string, int> ExpectedIds { get; } = new(StringComparer.Ordinal);

        public void Fail(string message) => Failures.Add(message);
        public void Count(string what) => _counts[what] = _counts.GetValueOrDefault(what) + 1;
        public void Expect(string id) => ExpectedIds[id] = ExpectedIds.GetValueOrDefault(id) + 1;

        /// <summary>Known bugs count as failures (for the regression tests that pin them).</summary>
        public bool Strict { get; init; }

        public void KnownBug(string bug, string instance)
        {
            if (Strict) Fail($"known {bug}: {instance}");
            if (!_knownBugs.TryGetValue(bug, out var list)) _knownBugs[bug] = list = new();
            list.Add(instance);
        }

        public IEnumerable<string> Lines()
        {
            yield return $"generated sources: {Emitted} ({EmittedWellFormed} from well-formed cases with no expected diagnostic)";
            yield return "expected in well-formed cases: " + string.Join(", ", ExpectedIds.Select(kv => $"{kv.Key}×{kv.Value}"));
            yield return "reported: " + string.Join(", ", _counts.Select(kv => $"{kv.Key.Replace("reported ", "", StringComparison.Ordinal)}×{kv.Value}"));
            foreach (var (bug, instances) in _knownBugs)
                yield return $"known bug {bug}: {instances.Count} hit(s), e.g. {instances[0]}";
        }
    }
}

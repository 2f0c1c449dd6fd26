using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace CompiledNets.Tests.Faults;

internal enum SoupKind { Network, Dense, Dropout, Other, Concrete }

/// <summary>One attribute written into a soup: its text, where it landed, and — when it is well-formed — the values the compiler gives its arguments.</summary>
internal sealed class SoupAttribute
{
    public SoupKind Kind { get; init; }
    public string Text { get; init; } = "";
    /// <summary>True when the compiler accepts the attribute (its values below are then what the generator reads).</summary>
    public bool WellFormed { get; init; }
    public int File { get; set; }
    public int Start { get; set; }
    public int Inputs { get; init; }
    public int Loss { get; init; }
    public int Units { get; init; }
    public int Activation { get; init; }
    public int WeightInit { get; init; }
    public double StdDev { get; init; } = 0.1;
    public double Bias { get; init; }
    public double Rate { get; init; }
    public int Scaling { get; init; }
    /// <summary>Dense: whether <c>DropConnect</c>, <c>DropConnectSamples</c>, <c>DropConnectInference</c> were given, and their values.</summary>
    public bool HasDropConnect { get; init; }
    public double DropConnect { get; init; }
    public bool HasDropConnectSamples { get; init; }
    public int DropConnectSamples { get; init; } = 64;
    public bool HasDropConnectInference { get; init; }
    public int DropConnectInference { get; init; }
    /// <summary>ConcreteDropout: its two regularizer factors (Gal's defaults unless given).</summary>
    public double WeightRegularizer { get; init; } = 1e-6;
    public double DropoutRegularizer { get; init; } = 1e-5;
    public SoupPart Part { get; set; } = null!;
}

/// <summary>One declaration of a (possibly partial) type.</summary>
internal sealed class SoupPart
{
    public int File { get; init; }
    public bool Partial { get; init; }
    public bool PrimaryConstructor { get; init; }
    public List<List<SoupAttribute>> Lists { get; } = new();
    public int IdentifierStart { get; set; }
    public IEnumerable<SoupAttribute> Attributes => Lists.SelectMany(list => list);
}

/// <summary>One fuzz case: a uniquely named type, its parts spread over the batch's files.</summary>
internal sealed class SoupCase
{
    public int Seed { get; init; }
    /// <summary>Whether the dropout family's pieces are in the soup: [ConcreteDropout] and Dense's DropConnect settings.</summary>
    public bool Family { get; init; }
    public string Name { get; init; } = "";
    public string Keyword { get; init; } = "class";
    public bool Nested { get; init; }
    public bool Generic { get; init; }
    public bool Static { get; init; }
    /// <summary>Built only from pieces the compiler accepts, so the exact CNN diagnostics can be derived.</summary>
    public bool WellFormed { get; init; }
    public int ClassSize { get; init; }
    /// <summary>Whether the last part declares <c>const int Size</c>, so that attributes may use it.</summary>
    public bool DeclaresSize { get; init; }
    public List<SoupPart> Parts { get; } = new();
    public string Outer => "Outer" + Seed;

    public bool ClassLike => Keyword is "class" or "sealed class" or "abstract class" or "record" or "record class" or "static class";

    /// <summary>The attributes in the order the compiler lists them: by file, then by position.</summary>
    public IEnumerable<SoupAttribute> AttributesInOrder =>
        Parts.SelectMany(p => p.Attributes).OrderBy(a => a.File).ThenBy(a => a.Start);

    public override string ToString() => $"{Name} (seed {Seed}, {(WellFormed ? "well-formed" : "soup")})";
}

/// <summary>A diagnostic as (id, file, start, length): what a CNN diagnostic must be, exactly.</summary>
internal readonly record struct ExpectedDiagnostic(string Id, string File, int Start, int Length)
{
    public override string ToString() => $"{Id}@{File}:{Start}+{Length}";
}

/// <summary>
/// Writes random "attribute soup" — [Network]/[Dense]/[Dropout] with valid, invalid, missing, extra, wrong-typed and
/// constant-expression arguments, named arguments real and bogus, on classes, records, structs, static, nested and
/// generic types split over partial parts in several files — and, for soups of well-formed pieces, derives the exact
/// CNN diagnostics the generator must report.
/// </summary>
internal static class DeclarationSoup
{
    public const int Files = 3;
    public const long MaxArrayLength = 0x7FFFFFC7;

    private static readonly (string Text, int Value)[] Ints =
    [
        ("4", 4), ("1", 1), ("2", 2), ("3", 3), ("10", 10), ("784", 784), ("0", 0), ("-3", -3), ("2 * K.Size", 6),
        ("K.Size + 1", 4), ("checked(1 << 10)", 1024), ("(int)3.9", 3), ("0x10", 16), ("1_000", 1000), ("-(-2)", 2),
        ("unchecked((int)0x80000000)", int.MinValue), ("sizeof(int)", 4), ("(int)Activation.Tanh", 2), ("'a'", 97),
        ("default", 0), ("int.MaxValue", int.MaxValue), ("1 << 30", 1 << 30), ("46341", 46341), ("(int)2.5e4", 25000),
    ];

    private static readonly (string Text, int Value)[] PositiveSmallInts =
        [("4", 4), ("2", 2), ("3", 3), ("10", 10), ("2 * K.Size", 6), ("checked(1 << 5)", 32), ("sizeof(long)", 8), ("'\\u0005'", 5)];

    private static readonly (string Text, int Value)[] HugeInts =
        [("int.MaxValue", int.MaxValue), ("1 << 30", 1 << 30), ("0x7FFFFFC7", 0x7FFFFFC7), ("46341", 46341), ("100_000", 100_000), ("3", 3)];

    private static readonly (string Text, double Value)[] Rates =
    [
        ("0.5", 0.5), ("0", 0), ("0.0", 0.0), ("1.0 / 3", 1.0 / 3), ("0.999999", 0.999999), ("1", 1), ("1.5", 1.5),
        ("-0.1", -0.1), ("double.NaN", double.NaN), ("0.5f", 0.5f), ("0.1f", 0.1f), ("K.Rate", 0.25), ("1e-300", 1e-300),
        ("double.Epsilon", double.Epsilon), ("1 - 1e-17", 1 - 1e-17), ("0.99999999999999989", 0.99999999999999989),
        ("double.PositiveInfinity", double.PositiveInfinity), ("(double)1 / 2", (double)1 / 2), ("2 * K.Rate", 2 * 0.25),
        ("-0.0", -0.0), ("'\\0'", 0), ("1e-320", 1e-320),
    ];

    private static readonly (string Text, double Value)[] ValidRates =
        [("0.5", 0.5), ("0", 0), ("1.0 / 3", 1.0 / 3), ("0.2f", 0.2f), ("K.Rate", 0.25), ("-0.0", -0.0), ("0.999999", 0.999999)];

    private static readonly (string Text, int Value)[] Activations =
    [
        ("Activation.None", 0), ("Activation.ReLU", 1), ("Activation.Tanh", 2), ("Activation.Sigmoid", 3),
        ("(Activation)42", 42), ("(Activation)(-1)", -1), ("default", 0), ("(Activation)2", 2), ("Activation.ReLU | Activation.Tanh", 3),
    ];

    private static readonly (string Text, int Value)[] WeightInits =
    [
        ("WeightInit.Auto", 0), ("WeightInit.HeNormal", 1), ("WeightInit.GlorotUniform", 2), ("WeightInit.TruncatedNormal", 3),
        ("(WeightInit)9", 9),
    ];

    private static readonly (string Text, double Value)[] StdDevs =
    [
        ("0.1", 0.1), ("1e-3", 1e-3), ("-1", -1), ("0", 0), ("double.PositiveInfinity", double.PositiveInfinity), ("1e39", 1e39),
        ("1e-50", 1e-50), ("double.NaN", double.NaN), ("2", 2), ("K.Rate", 0.25), ("float.MaxValue", float.MaxValue), ("1e-45", 1e-45),
    ];

    private static readonly (string Text, double Value)[] Biases =
    [
        ("0", 0), ("1", 1), ("-1e30", -1e30), ("double.NaN", double.NaN), ("double.NegativeInfinity", double.NegativeInfinity),
        ("1e39", 1e39), ("3.5e38", 3.5e38), ("3.4028235677973366e38", 3.4028235677973366e38), ("-K.Rate", -0.25),
    ];

    private static readonly (string Text, int Value)[] Scalings =
        [("DropoutScaling.AtInference", 0), ("DropoutScaling.Inverted", 1), ("(DropoutScaling)7", 7)];

    private static readonly (string Text, int Value)[] Losses =
        [("LossFunction.SoftmaxCrossEntropy", 0), ("LossFunction.MeanSquaredError", 1), ("(LossFunction)5", 5)];

    private static readonly string[] BrokenNetwork =
    [
        "Network", "Network()", "Network(4, 5)", "Network(\"4\")", "Network(4.5)", "Network(4L)", "Network(4, Loss = 1)",
        "Network(4, Bogus = 1)", "Network(4, Inputs = 3)", "Network(4, Loss = LossFunction.MeanSquaredError, Loss = LossFunction.MeanSquaredError)",
        "Network(Undefined)", "Network(System.Environment.ProcessorCount)", "Network(null)", "Network(inputs: 4, inputs: 5)",
        "Network(4, Loss = (LossFunction)1.5)", "Network(loss: LossFunction.MeanSquaredError)",
    ];

    private static readonly string[] BrokenDense =
    [
        "Dense", "Dense()", "Dense(2, Activation.ReLU, 3)", "Dense(\"2\")", "Dense(2.5)", "Dense(2L)", "Dense(2, 1)", "Dense(null)",
        "Dense(2, Bogus = 1)", "Dense(2, Units = 3)", "Dense(2, WeightInit = 5.5)", "Dense(2, WeightInit = 'c')",
        "Dense(2, WeightStdDev = \"x\")", "Dense(2, WeightInit = 1)", "Dense(units: 2, units: 3)", "Dense(Undefined)",
        "Dense(2, activation: 3)", "Dense(2, Activation = Activation.ReLU)", "Dense(2, WeightStdDev = 1m)", "Dense(2, BiasInit = null)",
        "Dense(2, WeightInit = WeightInit.HeNormal, WeightInit = WeightInit.HeNormal)", "Dense(2, (Activation)1.5)",
        "Dense(2, WeightInit = true)", "Dense(new int[] { 2 })", "Dense(typeof(int))",
    ];

    private static readonly string[] BrokenDropout =
    [
        "Dropout", "Dropout()", "Dropout(0.5, 0.5)", "Dropout(\"0.5\")", "Dropout(true)", "Dropout(0.5m)", "Dropout(null)",
        "Dropout(0.5, Scaling = 1)", "Dropout(0.5, Rate = 0.5)", "Dropout(0.5, Bogus = 1)", "Dropout(Undefined)",
        "Dropout(0.5, Scaling = true)", "Dropout(rate: 0.5, rate: 0.2)", "Dropout(0.5, Scaling = DropoutScaling.Inverted, Scaling = DropoutScaling.Inverted)",
    ];

    private static readonly (string Text, double Value)[] Regularizers =
    [
        ("1e-6", 1e-6), ("0", 0), ("K.Rate", 0.25), ("-1e-6", -1e-6), ("double.NaN", double.NaN), ("1e39", 1e39),
        ("double.PositiveInfinity", double.PositiveInfinity), ("-0.0", -0.0), ("3e38", 3e38),
    ];

    private static readonly (string Text, double Value)[] ValidInitialRates =
        [("0.5", 0.5), ("0.1", 0.1), ("1.0 / 3", 1.0 / 3), ("K.Rate", 0.25), ("0.999999", 0.999999), ("1e-300", 1e-300)];

    private static readonly (string Text, int Value)[] DropConnectInferences =
        [("DropConnectInference.MomentMatching", 0), ("DropConnectInference.MeanWeight", 1), ("(DropConnectInference)9", 9)];

    private static readonly string[] BrokenConcrete =
    [
        "ConcreteDropout", "ConcreteDropout()", "ConcreteDropout(\"0.5\")", "ConcreteDropout(0.5, 0.5)", "ConcreteDropout(null)",
        "ConcreteDropout(0.5, WeightRegularizer = \"x\")", "ConcreteDropout(0.5, Bogus = 1)", "ConcreteDropout(0.5m)",
        "ConcreteDropout(initialRate: 0.5, initialRate: 0.2)", "ConcreteDropout(0.5, DropoutRegularizer = true)",
    ];

    private static readonly string[] BrokenDropConnect =
    [
        "Dense(2, DropConnect = \"x\")", "Dense(2, DropConnectSamples = 1.5)", "Dense(2, DropConnectInference = 1)",
        "Dense(2, DropConnect = 0.5, DropConnect = 0.5)", "Dense(2, DropConnectSamples = 2L)", "Dense(2, DropConnect = null)",
    ];

    private static readonly string[] Others =
        ["System.Obsolete", "System.Serializable", "Denser(3)", "System.Diagnostics.DebuggerDisplay(\"x\")", "System.Obsolete(\"Dense(2)\")"];

    private static readonly string[] SoupKeywords =
        ["class", "sealed class", "abstract class", "record", "record class", "struct", "record struct", "static class", "readonly struct", "interface"];

    private static readonly string[] WellFormedKeywords =
        ["class", "class", "class", "sealed class", "abstract class", "record", "record class", "static class"];

    /// <summary>The shared constants every batch declares in its first file.</summary>
    public const string Prelude = "internal static class K { public const int Size = 3; public const double Rate = 0.25; }\n";

    // ------------------------------------------------------------------ generating

    /// <param name="family">Whether to use the dropout family's pieces too (a run of its own, so that the seeds of the
    /// plain soup keep giving the cases their replays describe).</param>
    public static SoupCase Generate(int seed, bool wellFormed, bool family = false)
    {
        var random = new Random(seed);
        bool clean = wellFormed && random.Next(3) == 0;   // every value valid too, so that a network gets emitted
        bool huge = random.Next(12) == 0;                  // sizes near the array limit
        string keyword = wellFormed ? WellFormedKeywords[random.Next(WellFormedKeywords.Length)] : SoupKeywords[random.Next(SoupKeywords.Length)];
        if (clean && keyword == "static class") keyword = "class";
        bool primary = !clean && keyword is "class" or "record" && random.Next(10) == 0;
        string name = !clean && random.Next(15) == 0 ? $"Dense{seed}Weights" : "N" + seed; // the first is a reserved member name
        var soupCase = new SoupCase
        {
            Seed = seed,
            Family = family,
            Name = name,
            Keyword = keyword,
            Nested = !clean && random.Next(8) == 0,
            Generic = !clean && random.Next(8) == 0,
            Static = keyword == "static class",
            WellFormed = wellFormed,
            ClassSize = random.Next(1, 6),
            DeclaresSize = random.Next(2) == 0,
        };

        int parts = random.Next(4) switch { 0 or 1 => 1, 2 => 2, _ => 3 };
        bool networkPlaced = false;
        for (int p = 0; p < parts; p++)
        {
            bool partial = wellFormed ? parts > 1 || clean || random.Next(5) != 0 : random.Next(6) != 0;
            var part = new SoupPart
            {
                File = random.Next(Files),
                Partial = partial,
                PrimaryConstructor = primary && p == 0,
            };
            // Mostly [Network] then layers on the first part; sometimes elsewhere, twice (soup), or nowhere.
            bool network = wellFormed
                ? !networkPlaced && (p == 0 ? random.Next(8) != 0 : random.Next(4) == 0)
                : random.Next(p == 0 ? 4 : 8) != 0 && (!networkPlaced || random.Next(4) == 0);
            if (clean) network = p == 0;
            networkPlaced |= network;
            var items = new List<SoupAttribute>();
            if (network)
                items.Add(wellFormed || random.Next(4) != 0 ? NetworkAttribute(random, clean, huge, soupCase) : Broken(random, SoupKind.Network));
            int layers = clean ? (p == 0 ? random.Next(1, 6) : 0) : random.Next(p == 0 ? 6 : 3);
            bool lastWasDropout = false;
            for (int i = 0; i < layers; i++)
            {
                SoupAttribute layer;
                bool dense = clean ? lastWasDropout || random.Next(2) == 0 : random.Next(3) != 0;
                // In a family soup a third of the dropout layers are ConcreteDropout.
                SoupKind dropoutKind = family && random.Next(3) == 0 ? SoupKind.Concrete : SoupKind.Dropout;
                if (!wellFormed && random.Next(5) == 0)
                    layer = random.Next(6) == 0 ? Other(random) : Broken(random, dense ? SoupKind.Dense : dropoutKind, family);
                else if (dense)
                    layer = DenseAttribute(random, clean, huge, soupCase);
                else
                    layer = dropoutKind == SoupKind.Concrete ? ConcreteAttribute(random, clean) : DropoutAttribute(random, clean, soupCase);
                items.Add(layer);
                lastWasDropout = !dense;
            }
            if (clean && p == 0 && items[^1].Kind != SoupKind.Dense)
                items.Add(DenseAttribute(random, clean, huge, soupCase));
            if (clean && p == 0 && items[^1].Kind == SoupKind.Dense && items[^1].Units == 1 && items[0].Loss == 0)
                items[^1] = DenseAttribute(random, clean, huge: false, soupCase, units: ("2", 2));
            if (random.Next(6) == 0 && (!wellFormed || p == 0)) // the same attribute on two parts is an error
                items.Insert(random.Next(items.Count + 1), Other(random, allowBroken: !wellFormed));

            // Group the items into attribute lists: [A] [B, C] ...
            int at = 0;
            while (at < items.Count)
            {
                int take = random.Next(3) == 0 ? random.Next(1, 4) : 1;
                var list = items.Skip(at).Take(take).ToList();
                list.ForEach(a => a.Part = part);
                part.Lists.Add(list);
                at += list.Count;
            }
            soupCase.Parts.Add(part);
        }
        return soupCase;
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static string Spell(Random random, string name) => random.Next(6) switch
    {
        0 => name + "Attribute",
        1 => "CompiledNets." + name,
        2 => "global::CompiledNets." + name + "Attribute",
        _ => name,
    };

    private static (string Text, int Value) SizeArgument(Random random, bool clean, bool huge, SoupCase soupCase)
    {
        // Clean and huge: mostly sizes near 2^31, so that a few layers' parameters add up past what a long holds.
        if (huge && clean && random.Next(5) != 0) return Pick(random, HugeInts[..3]);
        if (huge && random.Next(2) == 0) return Pick(random, HugeInts);
        if (!clean && (soupCase.DeclaresSize || !soupCase.WellFormed) && random.Next(8) == 0)
            return random.Next(2) == 0 ? ("Size", soupCase.ClassSize) : ("2 * Size", 2 * soupCase.ClassSize);
        return Pick(random, clean ? PositiveSmallInts : Ints);
    }

    private static SoupAttribute NetworkAttribute(Random random, bool clean, bool huge, SoupCase soupCase)
    {
        var inputs = SizeArgument(random, clean, huge, soupCase);
        var loss = random.Next(3) == 0 ? Pick(random, clean ? Losses[..2] : Losses) : ("", 0);
        string name = Spell(random, "Network");
        string arguments = random.Next(5) == 0 ? "inputs: " + inputs.Text : inputs.Text;
        if (loss.Item1.Length > 0) arguments += ", Loss = " + loss.Item1;
        return new SoupAttribute { Kind = SoupKind.Network, Text = $"{name}({arguments})", WellFormed = true, Inputs = inputs.Value, Loss = loss.Item2 };
    }

    private static SoupAttribute DenseAttribute(Random random, bool clean, bool huge, SoupCase soupCase, (string Text, int Value)? units = null)
    {
        var u = units ?? SizeArgument(random, clean, huge, soupCase);
        var activation = random.Next(2) == 0 ? Pick(random, clean ? Activations[..4] : Activations) : ("", 0);
        var arguments = new List<string>();
        switch (random.Next(6))
        {
            case 0 when activation.Item1.Length > 0:
                arguments.Add($"activation: {activation.Item1}");
                arguments.Add($"units: {u.Text}");
                break;
            case 1:
                arguments.Add($"units: {u.Text}");
                if (activation.Item1.Length > 0) arguments.Add($"activation: {activation.Item1}");
                break;
            default:
                arguments.Add(u.Text);
                if (activation.Item1.Length > 0) arguments.Add(activation.Item1);
                break;
        }
        var init = random.Next(4) == 0 ? Pick(random, clean ? WeightInits[..4] : WeightInits) : ("", 0);
        var stdDev = random.Next(4) == 0 ? Pick(random, clean ? [StdDevs[0], StdDevs[1], StdDevs[8]] : StdDevs) : ("", 0.1);
        var bias = random.Next(4) == 0 ? Pick(random, clean ? [Biases[0], Biases[1], Biases[2]] : Biases) : ("", 0.0);
        var named = new List<string>();
        if (init.Item1.Length > 0) named.Add("WeightInit = " + init.Item1);
        if (stdDev.Item1.Length > 0) named.Add("WeightStdDev = " + stdDev.Item1);
        if (bias.Item1.Length > 0) named.Add("BiasInit = " + bias.Item1);
        // DropConnect's settings, in a family soup: its rate, and sometimes the inference settings with or without it.
        var dropConnect = ("", 0.0);
        var samples = ("", 64);
        var inference = ("", 0);
        if (soupCase.Family && random.Next(3) == 0)
        {
            if (random.Next(4) != 0) dropConnect = Pick(random, clean ? ValidRates : Rates);
            if (random.Next(3) == 0) samples = Pick(random, clean ? PositiveSmallInts : Ints);
            if (random.Next(3) == 0) inference = Pick(random, clean ? DropConnectInferences[..2] : DropConnectInferences);
            if (dropConnect.Item1.Length > 0) named.Add("DropConnect = " + dropConnect.Item1);
            if (samples.Item1.Length > 0) named.Add("DropConnectSamples = " + samples.Item1);
            if (inference.Item1.Length > 0) named.Add("DropConnectInference = " + inference.Item1);
        }
        arguments.AddRange(named.OrderBy(_ => random.Next()));
        return new SoupAttribute
        {
            Kind = SoupKind.Dense, Text = $"{Spell(random, "Dense")}({string.Join(", ", arguments)})", WellFormed = true,
            Units = u.Value, Activation = activation.Item2, WeightInit = init.Item2, StdDev = stdDev.Item2, Bias = bias.Item2,
            HasDropConnect = dropConnect.Item1.Length > 0, DropConnect = dropConnect.Item2,
            HasDropConnectSamples = samples.Item1.Length > 0, DropConnectSamples = samples.Item2,
            HasDropConnectInference = inference.Item1.Length > 0, DropConnectInference = inference.Item2,
        };
    }

    private static SoupAttribute DropoutAttribute(Random random, bool clean, SoupCase soupCase)
    {
        var rate = Pick(random, clean ? ValidRates : Rates);
        var scaling = random.Next(3) == 0 ? Pick(random, clean ? Scalings[..2] : Scalings) : ("", 0);
        string arguments = random.Next(5) == 0 ? "rate: " + rate.Text : rate.Text;
        if (scaling.Item1.Length > 0) arguments += ", Scaling = " + scaling.Item1;
        return new SoupAttribute
        {
            Kind = SoupKind.Dropout, Text = $"{Spell(random, "Dropout")}({arguments})", WellFormed = true,
            Rate = rate.Value, Scaling = scaling.Item2,
        };
    }

    private static SoupAttribute ConcreteAttribute(Random random, bool clean)
    {
        var rate = Pick(random, clean ? ValidInitialRates : Rates);
        var named = new List<string>();
        var weight = random.Next(3) == 0 ? Pick(random, clean ? Regularizers[..3] : Regularizers) : ("", 1e-6);
        var dropout = random.Next(3) == 0 ? Pick(random, clean ? Regularizers[..3] : Regularizers) : ("", 1e-5);
        if (weight.Item1.Length > 0) named.Add("WeightRegularizer = " + weight.Item1);
        if (dropout.Item1.Length > 0) named.Add("DropoutRegularizer = " + dropout.Item1);
        string arguments = string.Join(", ", new[] { random.Next(5) == 0 ? "initialRate: " + rate.Text : rate.Text }.Concat(named.OrderBy(_ => random.Next())));
        return new SoupAttribute
        {
            Kind = SoupKind.Concrete, Text = $"{Spell(random, "ConcreteDropout")}({arguments})", WellFormed = true,
            Rate = rate.Item2, WeightRegularizer = weight.Item2, DropoutRegularizer = dropout.Item2,
        };
    }

    private static SoupAttribute Broken(Random random, SoupKind kind, bool family = false)
    {
        string[] dense = family && random.Next(3) == 0 ? BrokenDropConnect : BrokenDense;
        string text = Pick(random, kind switch
        {
            SoupKind.Network => BrokenNetwork, SoupKind.Dense => dense, SoupKind.Concrete => BrokenConcrete, _ => BrokenDropout,
        });
        // Respell the name but keep the (broken) argument list.
        int paren = text.IndexOf('(');
        string bare = paren < 0 ? text : text[..paren];
        return new SoupAttribute { Kind = kind, Text = Spell(random, bare) + (paren < 0 ? "" : text[paren..]), WellFormed = false };
    }

    private static SoupAttribute Other(Random random, bool allowBroken = true)
    {
        string[] pool = allowBroken ? Others : Others.Where(o => o != "Denser(3)").ToArray();
        return new SoupAttribute { Kind = SoupKind.Other, Text = Pick(random, pool), WellFormed = true };
    }

    // ------------------------------------------------------------------ writing

    /// <summary>Writes the cases into <see cref="Files"/> source files, recording where every attribute and identifier lands.</summary>
    public static string[] Write(IReadOnlyList<SoupCase> cases)
    {
        var files = Enumerable.Range(0, Files).Select(_ => new StringBuilder("using CompiledNets;\nnamespace Fuzz;\n")).ToArray();
        files[0].Append(Prelude);
        foreach (SoupCase soupCase in cases)
        {
            foreach (SoupPart part in soupCase.Parts)
            {
                StringBuilder text = files[part.File];
                text.Append('\n');
                if (soupCase.Nested)
                    text.Append("public partial class ").Append(soupCase.Outer).Append("\n{\n");
                foreach (List<SoupAttribute> list in part.Lists)
                {
                    text.Append('[');
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (i > 0) text.Append(", ");
                        list[i].File = part.File;
                        list[i].Start = text.Length;
                        text.Append(list[i].Text);
                    }
                    text.Append("]\n");
                }
                text.Append("public ");
                if (part.Partial && soupCase.Keyword.StartsWith("static", StringComparison.Ordinal))
                    text.Append("static partial class ");
                else if (part.Partial && soupCase.Keyword.StartsWith("readonly", StringComparison.Ordinal))
                    text.Append("readonly partial struct ");
                else if (part.Partial && soupCase.Keyword is "sealed class" or "abstract class")
                    text.Append(soupCase.Keyword.Split(' ')[0]).Append(" partial class ");
                else
                    text.Append(part.Partial ? "partial " : "").Append(soupCase.Keyword).Append(' ');
                part.IdentifierStart = text.Length;
                text.Append(soupCase.Name);
                if (soupCase.Generic) text.Append("<T>");
                if (part.PrimaryConstructor) text.Append("(int Width)");
                if (soupCase.DeclaresSize && part == soupCase.Parts[^1])
                    text.Append(soupCase.Keyword == "interface" ? " { }\n" : $"\n{{\n    private const int Size = {soupCase.ClassSize};\n}}\n");
                else
                    text.Append(";\n");
                if (soupCase.Nested)
                    text.Append("}\n");
            }
        }
        return files.Select(f => f.ToString()).ToArray();
    }

    // ------------------------------------------------------------------ the oracle

    public static string FileName(int file) => $"Source{file}.cs";

    /// <summary>
    /// The CNN diagnostics the generator must report for a well-formed case, following the parser's documented rules:
    /// class-level mistakes at the identifier of the declaration carrying [Network], attribute-level mistakes at the
    /// attribute, in the order the compiler lists the attributes.
    /// </summary>
    public static List<ExpectedDiagnostic> Expected(SoupCase soupCase, out long? exactParameters)
    {
        exactParameters = null;
        var expected = new List<ExpectedDiagnostic>();
        ExpectedDiagnostic At(string id, SoupAttribute a) => new(id, FileName(a.File), a.Start, a.Text.Length);

        SoupAttribute[] attributes = soupCase.AttributesInOrder.ToArray();
        SoupAttribute? network = attributes.FirstOrDefault(a => a.Kind == SoupKind.Network);
        if (network is null)
        {
            foreach (SoupAttribute a in attributes.Where(IsLayer))
                expected.Add(At("CNN0014", a));
            return expected;
        }

        SoupPart home = network.Part;
        var name = new ExpectedDiagnostic("", FileName(home.File), home.IdentifierStart, soupCase.Name.Length);
        if (!home.Partial) expected.Add(name with { Id = "CNN0001" });
        if (soupCase.Nested) expected.Add(name with { Id = "CNN0009" });
        if (soupCase.Generic) expected.Add(name with { Id = "CNN0010" });
        if (soupCase.Static) expected.Add(name with { Id = "CNN0011" });
        if (soupCase.Parts.Any(p => p.PrimaryConstructor)) expected.Add(name with { Id = "CNN0016" });
        // Names like Dense5000004Weights are not members of any soup network (CNN0017 is computed from the members the
        // emitter writes), so they are never reported.

        if (network.Inputs < 1) expected.Add(At("CNN0003", network));
        int loss = network.Loss;
        if (loss is not (0 or 1))
        {
            expected.Add(At("CNN0012", network));
            loss = 0;
        }

        SoupAttribute[] layers = attributes.Where(IsLayer).ToArray();
        SoupKind? previous = null;
        for (int i = 0; i < layers.Length; i++)
        {
            SoupAttribute a = layers[i];
            if (a.Part != home) expected.Add(At("CNN0007", a));
            switch (a.Kind)
            {
                case SoupKind.Dense:
                    if (a.Units < 1) expected.Add(At("CNN0004", a));
                    if (a.Activation is < 0 or > 3) expected.Add(At("CNN0012", a));
                    if (a.WeightInit is < 0 or > 3) expected.Add(At("CNN0012", a));
                    if (!((float)a.StdDev > 0) || float.IsInfinity((float)a.StdDev)) expected.Add(At("CNN0013", a));
                    if (!float.IsFinite((float)a.Bias)) expected.Add(At("CNN0013", a));
                    ExpectDropConnect(a, expected, At);
                    break;
                case SoupKind.Dropout:
                    if (!(a.Rate >= 0 && a.Rate < 1)) expected.Add(At("CNN0005", a));
                    if (a.Scaling is not (0 or 1)) expected.Add(At("CNN0012", a));
                    if (previous == SoupKind.Dropout) expected.Add(At("CNN0006", a));
                    if (previous == SoupKind.Concrete) expected.Add(At("CNN0021", a));
                    break;
                default: // ConcreteDropout: its logit must be a finite float, its regularizers finite floats ≥ 0
                    if (!(a.Rate > 0 && a.Rate < 1) || float.IsInfinity((float)(Math.Log(a.Rate) - Math.Log(1 - a.Rate)))) expected.Add(At("CNN0031", a));
                    if (!(a.WeightRegularizer >= 0 && !float.IsInfinity((float)a.WeightRegularizer))) expected.Add(At("CNN0031", a));
                    if (!(a.DropoutRegularizer >= 0 && !float.IsInfinity((float)a.DropoutRegularizer))) expected.Add(At("CNN0031", a));
                    if (previous is SoupKind.Dropout or SoupKind.Concrete) expected.Add(At("CNN0021", a));
                    if (i + 1 == layers.Length || layers[i + 1].Kind != SoupKind.Dense) expected.Add(At("CNN0032", a));
                    break;
            }
            previous = a.Kind;
        }

        // Dense and ConcreteDropout have parameters; the output is the last Dense's width (the inputs without one).
        SoupAttribute? lastWithParameters = layers.LastOrDefault(a => a.Kind is SoupKind.Dense or SoupKind.Concrete);
        SoupAttribute? lastDense = layers.LastOrDefault(a => a.Kind == SoupKind.Dense);
        long outputs = lastDense?.Units ?? network.Inputs;
        if (lastWithParameters is null)
            expected.Add(name with { Id = "CNN0002" });
        else if (loss == 0 && outputs == 1)
            expected.Add(At("CNN0008", lastWithParameters));

        if (!expected.Any(e => !IsWarning(e.Id)))
        {
            // Exact: a width of up to 2^31 times 2^31 units, summed over a handful of layers, overflows a long.
            decimal parameters = Parameters(network, attributes.Where(IsLayer));
            exactParameters = parameters <= long.MaxValue ? (long)parameters : long.MaxValue;
            if (parameters > MaxArrayLength) expected.Add(At("CNN0015", network));
        }
        return expected;
    }

    /// <summary>True when a long sum over the layers, as the parser computes it, wraps around (see the known bug).</summary>
    public static bool ParameterCountOverflowsLong(SoupCase soupCase)
    {
        SoupAttribute[] attributes = soupCase.AttributesInOrder.ToArray();
        SoupAttribute? network = attributes.FirstOrDefault(a => a.Kind == SoupKind.Network);
        if (network is null || !network.WellFormed) return false;
        return Parameters(network, attributes.Where(a => IsLayer(a) && a.WellFormed)) > long.MaxValue;
    }

    /// <summary>The layers' parameters as the parser counts them: each Dense's weights and biases, one logit per ConcreteDropout.</summary>
    private static decimal Parameters(SoupAttribute network, IEnumerable<SoupAttribute> layers)
    {
        decimal parameters = 0, width = network.Inputs;
        foreach (SoupAttribute layer in layers)
        {
            if (layer.Kind == SoupKind.Concrete) parameters += 1;
            if (layer.Kind != SoupKind.Dense) continue;
            parameters += width * layer.Units + layer.Units;
            width = layer.Units;
        }
        return parameters;
    }

    /// <summary>A layer attribute (not [Network], not a foreign attribute).</summary>
    public static bool IsLayer(SoupAttribute a) => a.Kind is SoupKind.Dense or SoupKind.Dropout or SoupKind.Concrete;

    /// <summary>The diagnostics that are warnings: they do not stop the network being emitted.</summary>
    public static bool IsWarning(string id) => id == "CNN0030";

    /// <summary>
    /// DropConnect's rules: a given rate outside [0, 1) (or whose keep probability rounds to 0 as a float) or fewer than one
    /// sample is CNN0029, an undefined inference rule CNN0012; the inference settings without an active DropConnect (a rate
    /// above 0 and no CNN0029) are the warning CNN0030, except when a rate was given and CNN0029 reported.
    /// </summary>
    private static void ExpectDropConnect(SoupAttribute a, List<ExpectedDiagnostic> expected, Func<string, SoupAttribute, ExpectedDiagnostic> at)
    {
        bool validRate = !a.HasDropConnect || (a.DropConnect >= 0 && a.DropConnect < 1 && (float)(1 - a.DropConnect) > 0);
        if (!validRate) expected.Add(at("CNN0029", a));
        if (a.DropConnectSamples < 1) expected.Add(at("CNN0029", a));
        if (a.DropConnectInference is not (0 or 1)) expected.Add(at("CNN0012", a));
        bool valid = validRate && a.DropConnectSamples >= 1;
        bool active = valid && a.HasDropConnect && a.DropConnect > 0;
        if (!active && !(a.HasDropConnect && !valid))
        {
            if (a.HasDropConnectInference) expected.Add(at("CNN0030", a));
            if (a.HasDropConnectSamples && a.DropConnectSamples >= 1) expected.Add(at("CNN0030", a));
        }
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace CompiledNets.Interop;

/// <summary>
/// One layer with parameters as a PyTorch module sees it: <c>nn.Linear</c> for Dense (weight [out, in], ours
/// transposed), <c>nn.Conv2d</c> for Conv2D (weight [filters, inChannels, k, k], ours as is); bias [out] for both.
/// </summary>
internal sealed record ModuleSlot(LayerInfo Layer, ParameterTensor Weight, ParameterTensor Bias, int[] WeightShape, bool Transpose)
{
    public int[] BiasShape => [.. Bias.Shape];

    /// <summary>The PyTorch module this layer is: <c>Linear(in, out)</c>, <c>Conv2d(in, out, k)</c>.</summary>
    public string ModuleText => Transpose
        ? $"Linear({WeightShape[1]}, {WeightShape[0]})"
        : $"Conv2d({WeightShape[1]}, {WeightShape[0]}, {WeightShape[2]})";
}

/// <summary>
/// Maps a network's layers to PyTorch module names: checks given names, infers them from a file's keys, and names
/// the modules of the <c>nn.Sequential</c> that mirrors the network, for saving.
/// </summary>
internal static class StateDictLayout
{
    /// <summary>The layers that hold parameters, in order, with their PyTorch shapes.</summary>
    public static List<ModuleSlot> Slots(ICompiledNetwork network)
    {
        var slots = new List<ModuleSlot>();
        int covered = 0;
        foreach (LayerInfo layer in network.Layers)
        {
            if (layer.Parameters.Count == 0) continue;
            if (layer.Kind == "ConcreteDropout")
                throw new NotSupportedException(
                    $"Layer {layer.Name} (ConcreteDropout) has a learned drop-rate logit ({string.Join(", ", layer.Parameters.Select(p => p.Name))}) that no PyTorch module holds " +
                    "(PyTorch has no concrete dropout); keep such a network's parameters in a checkpoint (Trainer.SaveCheckpoint), or export the inference graph with Onnx.Save.");
            bool dense = layer.Kind == "Dense";
            if ((!dense && layer.Kind != "Conv2D") || layer.Parameters.Count != 2
                || !layer.Parameters[0].Name.EndsWith(".weight", StringComparison.Ordinal)
                || !layer.Parameters[1].Name.EndsWith(".bias", StringComparison.Ordinal))
                throw new NotSupportedException(
                    $"Layer {layer.Name} ({layer.Kind}) has parameters ({string.Join(", ", layer.Parameters.Select(p => p.Name))}) that map to no nn.Linear or nn.Conv2d.");
            ParameterTensor weight = layer.Parameters[0];
            int[] shape = dense ? [weight.Shape[1], weight.Shape[0]] : [.. weight.Shape];
            slots.Add(new ModuleSlot(layer, weight, layer.Parameters[1], shape, dense));
            covered += layer.ParameterCount;
        }
        if (covered != network.ParameterCount)
            throw new NotSupportedException($"The layers' tensors hold {covered} of the network's {network.ParameterCount} parameters.");
        return slots;
    }

    /// <summary>Checks names passed by the caller: one per layer with parameters, non-empty, distinct.</summary>
    public static IReadOnlyList<string> Check(IReadOnlyList<string> modules, List<ModuleSlot> slots)
    {
        if (modules.Count != slots.Count)
            throw new ArgumentException(
                $"{modules.Count} module names for {slots.Count} layers with parameters ({string.Join(", ", slots.Select(s => s.Layer.Name))}).", nameof(modules));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string module in modules)
        {
            if (string.IsNullOrEmpty(module))
                throw new ArgumentException("A module name is null or empty.", nameof(modules));
            if (!seen.Add(module))
                throw new ArgumentException($"Module name '{module}' is given twice.", nameof(modules));
        }
        return modules;
    }

    /// <summary>
    /// The names of the <c>nn.Sequential</c> that mirrors the network layer for layer: one module per declared layer,
    /// one more for each activation (after its layer), and an <c>nn.Flatten</c> before the first Dense that reads an
    /// image. A 784-200-100-10 MLP with dropout gives "0", "3", "6"; LeNet "0", "3", "8", "11", "14".
    /// </summary>
    public static List<string> SequentialNames(ICompiledNetwork network)
    {
        var names = new List<string>();
        int index = 0;
        foreach (LayerInfo layer in network.Layers)
        {
            if (layer.Kind == "Dense" && layer.InputShape.Count == 3) index++; // nn.Flatten
            if (layer.Parameters.Count > 0) names.Add(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            index++;
            if (layer.Activation != Activation.None) index++;
        }
        return names;
    }

    /// <summary>
    /// Infers the module of each layer from the file's keys: the modules are the prefixes of the <c>*.weight</c> keys
    /// (everything before the last dot). When all their names follow one pattern that differs only in numbers
    /// (<c>0, 3, 6</c>; <c>fc1, fc2</c>; <c>layers.0.linear, layers.1.linear</c>), they are taken in numeric order;
    /// otherwise each layer takes the one module whose weight and bias shapes are its own, where that leaves one
    /// choice (modules of equal shapes again in numeric order when their names allow it). Else the order is ambiguous
    /// and the caller must pass the names.
    /// </summary>
    public static IReadOnlyList<string> Infer(List<ModuleSlot> slots, IReadOnlyList<StateDictTensor> tensors, string path)
    {
        var byKey = tensors.ToDictionary(t => t.Key, StringComparer.Ordinal);
        var modules = new List<string>();
        foreach (StateDictTensor tensor in tensors)
        {
            int dot = tensor.Key.LastIndexOf('.');
            if (dot > 0 && tensor.Key.AsSpan(dot) is ".weight") modules.Add(tensor.Key[..dot]);
        }
        string Signature(string module) =>
            byKey[module + ".weight"].ShapeText + " " + (byKey.TryGetValue(module + ".bias", out StateDictTensor? b) ? b.ShapeText : "(no bias)");
        string Listing() =>
            $"the file's modules: {(modules.Count == 0 ? "none" : string.Join(", ", modules.Select(m => $"{m} {Signature(m)}")))}; " +
            $"the network's layers: {string.Join(", ", slots.Select(s => $"{s.Layer.Name} {s.ModuleText} {StateDictTensor.Format(s.WeightShape)} {StateDictTensor.Format(s.BiasShape)}"))}";

        if (modules.Count != slots.Count)
            throw StateDictSource.Invalid(path, $"it has {modules.Count} modules with a weight but the network has {slots.Count} layers with parameters ({Listing()}); pass the module names as modules");
        if (NumericOrder(modules) is { } ordered)
            return ordered;

        var result = new string[slots.Count];
        foreach (IGrouping<string, int> layers in Enumerable.Range(0, slots.Count)
                     .GroupBy(i => StateDictTensor.Format(slots[i].WeightShape) + " " + StateDictTensor.Format(slots[i].BiasShape)))
        {
            List<string> fitting = modules.Where(m => Signature(m) == layers.Key).ToList();
            if (fitting.Count != layers.Count())
                throw StateDictSource.Invalid(path, $"its modules cannot be matched to the layers by shape: {layers.Count()} layer(s) need weight and bias {layers.Key} but {fitting.Count} module(s) have them ({Listing()}); pass the module names as modules");
            List<string>? order = fitting.Count == 1 ? fitting : NumericOrder(fitting);
            if (order is null)
                throw StateDictSource.Invalid(path, $"the order of modules {string.Join(", ", fitting)} (all {layers.Key}) is ambiguous; pass the module names in layer order as modules");
            foreach ((int layer, string module) in layers.Zip(order))
                result[layer] = module;
        }
        return result;
    }

    /// <summary>
    /// The names sorted by the numbers in them when they all have the same text between the numbers (each number
    /// distinct in value where the names differ), or null.
    /// </summary>
    internal static List<string>? NumericOrder(List<string> names)
    {
        var keyed = new List<(string Name, long[] Numbers)>();
        string? pattern = null;
        foreach (string name in names)
        {
            var numbers = new List<long>();
            var text = new System.Text.StringBuilder();
            for (int i = 0; i < name.Length;)
            {
                if (!char.IsAsciiDigit(name[i])) { text.Append(name[i] == '#' ? "##" : name[i]); i++; continue; }
                int start = i;
                while (i < name.Length && char.IsAsciiDigit(name[i])) i++;
                if (i - start > 18) return null;
                numbers.Add(long.Parse(name.AsSpan(start, i - start), System.Globalization.CultureInfo.InvariantCulture));
                text.Append("#0");
            }
            if (pattern is null) pattern = text.ToString();
            else if (pattern != text.ToString()) return null;
            keyed.Add((name, numbers.ToArray()));
        }
        keyed.Sort((a, b) => Compare(a.Numbers, b.Numbers));
        for (int i = 1; i < keyed.Count; i++)
        {
            if (Compare(keyed[i - 1].Numbers, keyed[i].Numbers) == 0) return null; // "01" and "1"
        }
        return keyed.Select(k => k.Name).ToList();
    }

    private static int Compare(long[] a, long[] b)
    {
        for (int i = 0; i < a.Length; i++)
        {
            int c = a[i].CompareTo(b[i]);
            if (c != 0) return c;
        }
        return 0;
    }

}

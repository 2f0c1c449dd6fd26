using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CompiledNets;

/// <summary>The table <see cref="ICompiledNetwork.Summary"/> returns, like Keras' <c>model.summary()</c>.</summary>
public static class NetworkSummary
{
    /// <summary>
    /// One line per layer (name and kind, output shape, parameters, activation and settings), then the totals, for
    /// <paramref name="network"/>'s <see cref="ICompiledNetwork.Layers"/>.
    /// </summary>
    public static string Format(ICompiledNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        IReadOnlyList<LayerInfo> layers = network.Layers;
        string[][] rows = layers.Select(layer => new[]
        {
            $"{layer.Name} ({layer.Kind})",
            Shape(layer.OutputShape),
            layer.ParameterCount.ToString("N0", CultureInfo.InvariantCulture),
            Describe(network, layer),
        }).ToArray();
        string[] header = ["Layer (kind)", "Output shape", "Parameters", "Settings"];
        int[] widths = new int[header.Length];
        for (int c = 0; c < header.Length; c++)
            widths[c] = Math.Max(header[c].Length, rows.Length == 0 ? 0 : rows.Max(r => r[c].Length));

        var text = new StringBuilder();
        string rule = new('─', widths.Sum() + 3 * (widths.Length - 1));
        string inputs = layers.Count > 0 ? Shape(layers[0].InputShape) : network.InputSize.ToString(CultureInfo.InvariantCulture);
        text.Append(network.GetType().Name).Append(": ").Append(inputs).Append(" inputs, ").Append(network.LossFunction).Append('\n');
        text.Append(rule).Append('\n');
        AppendRow(text, header, widths);
        text.Append(rule).Append('\n');
        foreach (string[] row in rows)
            AppendRow(text, row, widths);
        text.Append(rule).Append('\n');
        text.Append("Total parameters: ").Append(network.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        var row = new StringBuilder();
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0) row.Append("   ");
            // Numbers right-aligned, text left-aligned.
            row.Append(c == 2 ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }
        text.Append(row.ToString().TrimEnd()).Append('\n');
    }

    private static string Shape(IReadOnlyList<int> shape) => string.Join("×", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    private static string Describe(ICompiledNetwork network, LayerInfo layer)
    {
        var parts = new List<string>();
        if (layer.Activation != Activation.None) parts.Add(layer.Activation.ToString());
        if (layer.Kind == "ConcreteDropout" && layer.Parameters.Count == 1)
            // The learned rate as it is now: sigmoid of the logit in Parameters (LayerInfo's DropoutRate is the initial one).
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"rate {Kernels.ConcreteDropout.Rate(network.Parameters[layer.Parameters[0].Offset]):R} (learned)"));
        // The scaling is a choice of Dropout and SpatialDropout only; the noise kinds (GaussianDropout, AlphaDropout, …)
        // have one rule each, which their details describe.
        else if (layer.Kind is "Dropout" or "SpatialDropout")
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"rate {layer.DropoutRate:R}, {layer.Scaling}"));
        else if (layer.Kind.EndsWith("Dropout", StringComparison.Ordinal))
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"rate {layer.DropoutRate:R}"));
        if (layer.Details.Length > 0) parts.Add(layer.Details);
        return string.Join("; ", parts);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ScottPlot;

namespace CompiledNets.Examples.DropoutStudy;

/// <summary>The study's two pictures: test accuracy per epoch, and the train–test gap per epoch, one line per run.</summary>
internal static class AccuracyPlot
{
    private static readonly Color[] Palette =
        [Colors.Black, Colors.OrangeRed, Colors.Blue, Colors.Green, Colors.Purple, Colors.DarkGoldenRod, Colors.Teal];

    /// <param name="peers">PyTorch's curves of the same configurations, drawn dashed in the same colour (may be empty).</param>
    public static void Write(string path, string title, string yLabel, IReadOnlyList<Curves> runs, IReadOnlyList<Curves> peers,
        Func<Curves, double[]> values)
    {
        var plot = new Plot();
        for (int i = 0; i < runs.Count; i++)
        {
            Color color = Palette[i % Palette.Length];
            Add(plot, runs[i].Label, values(runs[i]), color, dashed: false);
            if (peers.FirstOrDefault(p => p.Label == runs[i].Label) is { } peer)
                Add(plot, runs[i].Label + " (PyTorch)", values(peer), color, dashed: true);
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.LowerRight);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        plot.SavePng(path, 1000, 620);
    }

    private static void Add(Plot plot, string label, double[] values, Color color, bool dashed)
    {
        double[] epochs = Enumerable.Range(1, values.Length).Select(e => (double)e).ToArray();
        var line = plot.Add.Scatter(epochs, values, color);
        line.LegendText = label;
        line.MarkerSize = dashed ? 0 : 4;
        if (dashed) line.LinePattern = LinePattern.Dashed;
    }
}

using System.IO;
using System.Linq;
using ScottPlot;

namespace CompiledNets.Examples.DropoutStudy;

/// <summary>Draws both runs' train (dashed) and test (solid) accuracy per epoch into one PNG.</summary>
internal static class AccuracyPlot
{
    public static void Write(string path, string dataDescription, Curves withDropout, Curves withoutDropout)
    {
        var plot = new Plot();
        Add(plot, withDropout, Colors.Blue);
        Add(plot, withoutDropout, Colors.OrangeRed);
        plot.Title($"Train (dashed) and test (solid) accuracy, with and without dropout ({ShortName(dataDescription)})");
        plot.XLabel("epoch");
        plot.YLabel("accuracy");
        plot.ShowLegend(Alignment.LowerRight);

        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        plot.SavePng(path, 900, 560);
    }

    private static void Add(Plot plot, Curves curves, Color color)
    {
        double[] epochs = Enumerable.Range(1, curves.TrainAccuracy.Length).Select(e => (double)e).ToArray();
        var train = plot.Add.Scatter(epochs, curves.TrainAccuracy, color);
        train.LegendText = $"{curves.Label}: train";
        train.LinePattern = LinePattern.Dashed;
        train.MarkerSize = 0;
        var test = plot.Add.Scatter(epochs, curves.TestAccuracy, color);
        test.LegendText = $"{curves.Label}: test";
        test.MarkerSize = 4;
    }

    private static string ShortName(string description) =>
        description.Contains(" from ", System.StringComparison.Ordinal) ? description[..description.IndexOf(" from ", System.StringComparison.Ordinal)] : description;
}

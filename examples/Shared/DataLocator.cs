using System;
using System.IO;
using System.Linq;

namespace CompiledNets.Examples;

/// <summary>Finds a data set to train on, in the order the README documents, and says which one it found.</summary>
internal static class DataLocator
{
    public const string FashionMnistPackageDirectory = "/usr/share/datasets/fashion-mnist";
    private static readonly string DefaultDirectory = Path.Combine("data", "mnist");
    private static readonly string[] RequiredFiles =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>A directory holding the four IDX files, and a human name for what is in it.</summary>
    public sealed record Located(string Directory, string Description);

    /// <summary>
    /// The given directory; else MNIST_DIR; else ./data/mnist; else MNIST downloaded into ./data/mnist; else the
    /// Debian package's Fashion-MNIST. Null (with the reasons written to <paramref name="log"/>) when none works.
    /// </summary>
    public static Located? Locate(string? given, TextWriter log)
    {
        if (given is not null)
            return HasAllFiles(given) ? Describe(given) : Fail(log, $"--data {given}: {MissingFilesMessage(given)}");

        string? fromEnvironment = Environment.GetEnvironmentVariable("MNIST_DIR");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (HasAllFiles(fromEnvironment)) return Describe(fromEnvironment);
            log.WriteLine($"MNIST_DIR={fromEnvironment}: {MissingFilesMessage(fromEnvironment)}; looking elsewhere.");
        }

        if (HasAllFiles(DefaultDirectory)) return Describe(DefaultDirectory);

        log.WriteLine($"No data in ./{DefaultDirectory}; trying to download MNIST there...");
        if (MnistDownloader.TryDownloadAsync(DefaultDirectory, log).GetAwaiter().GetResult())
            return new Located(DefaultDirectory, $"MNIST digits (downloaded into ./{DefaultDirectory})");

        if (HasAllFiles(FashionMnistPackageDirectory))
        {
            log.WriteLine("Falling back to Fashion-MNIST from the Debian package dataset-fashion-mnist.");
            return Describe(FashionMnistPackageDirectory);
        }

        return Fail(log,
            "No data set found. Give one with --data DIR or MNIST_DIR (a folder with the four MNIST IDX files, " +
            "plain or .gz), put them in ./data/mnist, connect to the internet for the download, or install " +
            "Fashion-MNIST with: sudo apt-get install dataset-fashion-mnist");
    }

    private static Located Describe(string directory)
    {
        string full = Path.GetFullPath(directory);
        string name = full.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? "Fashion-MNIST" : "MNIST-format data";
        return new Located(directory, $"{name} from {full}");
    }

    private static bool HasAllFiles(string directory) =>
        RequiredFiles.All(name => File.Exists(Path.Combine(directory, name)) || File.Exists(Path.Combine(directory, name + ".gz")));

    private static string MissingFilesMessage(string directory) =>
        Directory.Exists(directory)
            ? "missing " + string.Join(", ", RequiredFiles.Where(n => !File.Exists(Path.Combine(directory, n)) && !File.Exists(Path.Combine(directory, n + ".gz"))))
            : "no such directory";

    private static Located? Fail(TextWriter log, string message)
    {
        log.WriteLine(message);
        return null;
    }
}

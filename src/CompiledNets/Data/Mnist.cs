using System;
using System.IO;
using System.Numerics.Tensors;

namespace CompiledNets;

/// <summary>Loads MNIST-format (IDX) data sets: the MNIST digits, Fashion-MNIST, or anything else in that layout.</summary>
public static class Mnist
{
    /// <summary>MNIST has ten classes, so every label must be 0..9.</summary>
    internal const int ClassCount = 10;

    /// <summary>The four file names <see cref="Load"/> looks for, each also accepted with <c>.gz</c> appended.</summary>
    internal static readonly string[] FileNames =
    [
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    ];

    /// <summary>
    /// Reads the training and test splits from <paramref name="directory"/>: <c>train-images-idx3-ubyte</c>,
    /// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>, each either
    /// plain or gzip-compressed with <c>.gz</c> appended (the plain file wins when both exist).
    /// Pixels become floats in [0, 1] (byte / 255); each image is one row of rows × columns features.
    /// </summary>
    /// <param name="directory">The folder holding the four files.</param>
    /// <returns>The training split and the test split.</returns>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null, empty or white space.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the four files exists neither plain nor as <c>.gz</c>.</exception>
    /// <exception cref="InvalidDataException">
    /// A file is corrupt or truncated, image and label counts disagree, a label is outside 0..9, or the training and
    /// test images differ in size. The message names the file and the fault.
    /// </exception>
    public static MnistData Load(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string fullDirectory = Path.GetFullPath(directory);
        if (!Directory.Exists(fullDirectory))
            throw new DirectoryNotFoundException($"The MNIST directory {fullDirectory} does not exist.");

        var train = LoadSplit(fullDirectory, FileNames[0], FileNames[1], out string trainImages);
        var test = LoadSplit(fullDirectory, FileNames[2], FileNames[3], out string testImages);
        if (train.Features != test.Features)
            throw IdxInput.Corrupt(testImages,
                $"holds images of {test.Features} pixels but the training images ({trainImages}) have {train.Features}");
        return new MnistData(train, test);
    }

    /// <summary>
    /// Reads one IDX images file (plain, or gzip-compressed when its name ends in <c>.gz</c>), for tools that classify
    /// images without labels. Pixels become floats in [0, 1], one row of rows × columns values per image.
    /// </summary>
    /// <param name="path">The images file, e.g. <c>t10k-images-idx3-ubyte.gz</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null, empty or white space.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated; the message names the file and the fault.</exception>
    public static (float[] Pixels, int Count, int Rows, int Columns) LoadImages(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"The images file {fullPath} does not exist.", fullPath);
        IdxImages images = IdxReader.ReadImages(fullPath);
        return (ToUnitRange(images.Pixels), images.Count, images.Rows, images.Columns);
    }

    private static Dataset LoadSplit(string directory, string imagesName, string labelsName, out string imagesPath)
    {
        imagesPath = Locate(directory, imagesName);
        string labelsPath = Locate(directory, labelsName);
        IdxImages images = IdxReader.ReadImages(imagesPath);
        byte[] labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw IdxInput.Corrupt(labelsPath,
                $"holds {labels.Length} labels but {imagesPath} holds {images.Count} images: the counts disagree");

        return new Dataset(ToUnitRange(images.Pixels), ToClassIndices(labels, labelsPath), images.Rows * images.Columns);
    }

    private static string Locate(string directory, string name)
    {
        string plain = Path.Combine(directory, name);
        if (File.Exists(plain))
            return plain;
        string gzip = plain + ".gz";
        if (File.Exists(gzip))
            return gzip;
        throw new FileNotFoundException($"Neither {plain} nor {gzip} exists.", plain);
    }

    private static float[] ToUnitRange(byte[] pixels)
    {
        var values = new float[pixels.Length];
        TensorPrimitives.ConvertTruncating<byte, float>(pixels, values); // exact: every byte is a float
        TensorPrimitives.Divide(values, 255f, values);
        return values;
    }

    private static int[] ToClassIndices(byte[] labels, string path)
    {
        var classes = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= ClassCount)
                throw IdxInput.Corrupt(path, $"has label {labels[i]} at index {i}, outside 0..{ClassCount - 1}");
            classes[i] = labels[i];
        }
        return classes;
    }
}

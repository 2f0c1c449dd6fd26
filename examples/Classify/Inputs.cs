using System;
using System.Collections.Generic;
using System.IO;

namespace CompiledNets.Examples.Classify;

/// <summary>The images named on the command line, as 784 floats in [0, 1] each.</summary>
internal static class Inputs
{
    private const int Side = 28;

    public static IEnumerable<(string Name, float[] Pixels)> Read(CommandLine command)
    {
        if (command.Idx is { } idx)
        {
            (float[] pixels, int count, int rows, int columns) = Mnist.LoadImages(idx);
            if (rows != Side || columns != Side)
                throw new InvalidDataException($"{idx}: the images are {columns}×{rows}; the network reads 28×28 images.");
            if ((long)command.Start + command.Count > count)
                throw new ArgumentException($"--start {command.Start} --count {command.Count} is outside the {count} images of {idx}.");
            for (int i = command.Start; i < command.Start + command.Count; i++)
                yield return ($"{Path.GetFileName(idx)}#{i}", pixels.AsSpan(i * Side * Side, Side * Side).ToArray());
        }
        foreach (string path in command.Images)
        {
            (int width, int height, byte[] gray) = Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".png" => PngReader.ReadGray(path),
                ".pgm" => PgmReader.ReadGray(path),
                _ => throw new InvalidDataException($"{path}: not a .png or .pgm file."),
            };
            if (width != Side || height != Side)
                throw new InvalidDataException($"{path}: the image is {width}×{height}; the network reads 28×28 images.");
            var pixels = new float[Side * Side];
            for (int i = 0; i < pixels.Length; i++)
                pixels[i] = (command.Invert ? 255 - gray[i] : gray[i]) / 255f;
            yield return (path, pixels);
        }
    }
}

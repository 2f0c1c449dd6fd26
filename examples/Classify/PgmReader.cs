using System;
using System.IO;
using System.Text;

namespace CompiledNets.Examples.Classify;

/// <summary>Reads binary (P5) and plain (P2) PGM files with a maximum value up to 255, scaled to 0..255.</summary>
internal static class PgmReader
{
    public static (int Width, int Height, byte[] Gray) ReadGray(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        int position = 0;
        string magic = Token(file, ref position, path);
        if (magic != "P5" && magic != "P2")
            throw Invalid(path, $"starts with '{magic}', not the PGM magic P5 or P2");
        int width = Number(file, ref position, path, "width");
        int height = Number(file, ref position, path, "height");
        int max = Number(file, ref position, path, "maximum value");
        if (max is < 1 or > 255)
            throw Invalid(path, $"has maximum value {max}; only 8-bit images (1..255) are supported");
        if ((long)width * height > 1 << 24)
            throw Invalid(path, $"claims {width}×{height} pixels, too many for an image to classify");

        var gray = new byte[width * height];
        if (magic == "P5")
        {
            position++; // exactly one whitespace byte separates the header from the raster
            if (file.Length - position < gray.Length)
                throw Invalid(path, $"holds {Math.Max(0, file.Length - position)} pixel bytes, fewer than {width}×{height}");
            for (int i = 0; i < gray.Length; i++)
                gray[i] = (byte)(file[position + i] * 255 / max);
        }
        else
        {
            for (int i = 0; i < gray.Length; i++)
            {
                int value = Number(file, ref position, path, "pixel", minimum: 0);
                if (value > max) throw Invalid(path, $"has pixel value {value} above the maximum {max}");
                gray[i] = (byte)(value * 255 / max);
            }
        }
        return (width, height, gray);
    }

    private static int Number(byte[] file, ref int position, string path, string what, int minimum = 1)
    {
        string token = Token(file, ref position, path);
        bool parsed = int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value);
        return parsed && value >= minimum ? value : throw Invalid(path, $"has '{token}' where the {what} should be");
    }

    /// <summary>The next whitespace-separated token, skipping '#' comments to the end of their line.</summary>
    private static string Token(byte[] file, ref int position, string path)
    {
        while (position < file.Length)
        {
            if (file[position] == (byte)'#')
                while (position < file.Length && file[position] != (byte)'\n') position++;
            else if (char.IsWhiteSpace((char)file[position])) position++;
            else break;
        }
        int start = position;
        while (position < file.Length && !char.IsWhiteSpace((char)file[position])) position++;
        if (start == position) throw Invalid(path, "ends inside its header");
        return Encoding.ASCII.GetString(file, start, position - start);
    }

    private static InvalidDataException Invalid(string path, string fault) => new($"{path}: not a usable PGM image: it {fault}.");
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CompiledNets.Generator.Weights;

/// <summary>One tensor of a .safetensors file: its name, shape and where its bytes are.</summary>
internal sealed record FileTensor(string Name, string DType, long[] Shape, long Start, long End);

/// <summary>
/// Reads the header of a .safetensors file (8-byte little-endian length, then a JSON object of tensors) without
/// System.Text.Json, which a netstandard2.0 generator cannot bring along: the JSON reader covers what the format uses
/// (objects, arrays, strings, integers) and throws <see cref="FormatException"/> with the reason for anything else.
/// </summary>
internal static class SafeTensorsHeader
{
    public static List<FileTensor> Read(byte[] file, out int dataStart)
    {
        if (file.Length < 8) throw new FormatException("shorter than the 8-byte header length");
        ulong length = BitConverter.ToUInt64(file, 0);
        if (length > (ulong)(file.Length - 8)) throw new FormatException($"the header length {length} runs past the end of the file");
        dataStart = 8 + (int)length;
        string json = Encoding.UTF8.GetString(file, 8, (int)length);
        var reader = new Json(json);
        var tensors = new List<FileTensor>();
        reader.Expect('{');
        if (!reader.TryConsume('}'))
        {
            do
            {
                string name = reader.String();
                reader.Expect(':');
                if (name == "__metadata__") reader.SkipValue();
                else tensors.Add(ReadTensor(name, reader, file.Length - dataStart));
            }
            while (reader.TryConsume(','));
            reader.Expect('}');
        }
        reader.End();
        return tensors;
    }

    private static FileTensor ReadTensor(string name, Json reader, long dataLength)
    {
        string? dtype = null;
        long[]? shape = null, offsets = null;
        reader.Expect('{');
        do
        {
            string key = reader.String();
            reader.Expect(':');
            switch (key)
            {
                case "dtype": dtype = reader.String(); break;
                case "shape": shape = reader.Integers(); break;
                case "data_offsets": offsets = reader.Integers(); break;
                default: reader.SkipValue(); break;
            }
        }
        while (reader.TryConsume(','));
        reader.Expect('}');
        if (dtype is null || shape is null || offsets is null || offsets.Length != 2)
            throw new FormatException($"tensor '{name}' lacks its dtype, shape or two data_offsets");
        if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
            throw new FormatException($"tensor '{name}' has data_offsets [{offsets[0]}, {offsets[1]}] outside the {dataLength} data bytes");
        return new FileTensor(name, dtype, shape, offsets[0], offsets[1]);
    }

    /// <summary>A strict reader of the little JSON a safetensors header is.</summary>
    private sealed class Json(string text)
    {
        private int _at;

        public void Expect(char c)
        {
            SkipSpace();
            if (_at >= text.Length || text[_at] != c) throw new FormatException($"the header is not valid JSON: expected '{c}' at character {_at}");
            _at++;
        }

        public bool TryConsume(char c)
        {
            SkipSpace();
            if (_at < text.Length && text[_at] == c) { _at++; return true; }
            return false;
        }

        public void End()
        {
            SkipSpace();
            if (_at != text.Length) throw new FormatException($"the header has text after its JSON object, at character {_at}");
        }

        public string String()
        {
            Expect('"');
            var value = new StringBuilder();
            while (true)
            {
                if (_at >= text.Length) throw new FormatException("the header ends inside a string");
                char c = text[_at++];
                if (c == '"') return value.ToString();
                if (c != '\\') { value.Append(c); continue; }
                if (_at >= text.Length) throw new FormatException("the header ends inside a string");
                char escaped = text[_at++];
                switch (escaped)
                {
                    case '"': case '\\': case '/': value.Append(escaped); break;
                    case 'b': value.Append('\b'); break;
                    case 'f': value.Append('\f'); break;
                    case 'n': value.Append('\n'); break;
                    case 'r': value.Append('\r'); break;
                    case 't': value.Append('\t'); break;
                    case 'u':
                        if (_at + 4 > text.Length || !int.TryParse(text.Substring(_at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int code))
                            throw new FormatException("the header has a bad \\u escape");
                        value.Append((char)code);
                        _at += 4;
                        break;
                    default: throw new FormatException($"the header has a bad escape '\\{escaped}'");
                }
            }
        }

        public long[] Integers()
        {
            var values = new List<long>();
            Expect('[');
            if (TryConsume(']')) return values.ToArray();
            do values.Add(Integer());
            while (TryConsume(','));
            Expect(']');
            return values.ToArray();
        }

        private long Integer()
        {
            SkipSpace();
            int start = _at;
            while (_at < text.Length && char.IsDigit(text[_at])) _at++;
            if (_at == start || !long.TryParse(text.Substring(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw new FormatException($"the header has a bad integer at character {start}");
            return value;
        }

        public void SkipValue()
        {
            SkipSpace();
            if (_at >= text.Length) throw new FormatException("the header ends where a value should be");
            char c = text[_at];
            if (c == '"') { String(); return; }
            if (c == '{' || c == '[')
            {
                char close = c == '{' ? '}' : ']';
                _at++;
                if (TryConsume(close)) return;
                do
                {
                    if (c == '{') { String(); Expect(':'); }
                    SkipValue();
                }
                while (TryConsume(','));
                Expect(close);
                return;
            }
            int start = _at;
            while (_at < text.Length && (char.IsLetterOrDigit(text[_at]) || text[_at] is '-' or '+' or '.')) _at++;
            if (_at == start) throw new FormatException($"the header is not valid JSON at character {start}");
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }
    }
}

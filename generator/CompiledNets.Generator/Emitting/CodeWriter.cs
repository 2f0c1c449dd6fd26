using System;
using System.Text;

namespace CompiledNets.Generator.Emitting;

/// <summary>A StringBuilder that indents, so the emitter reads like the code it writes.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _depth;

    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _depth * 4).Append(line);
        _text.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/>, then an indented block; dispose the result to close it.</summary>
    public Block Open(string header)
    {
        Line(header);
        Line("{");
        _depth++;
        return new Block(this);
    }

    /// <summary>Appends to the line just written (before its newline).</summary>
    public void AppendToLastLine(string text) => _text.Insert(_text.Length - 1, text);

    public override string ToString() => _text.ToString();

    internal readonly struct Block : IDisposable
    {
        private readonly CodeWriter _writer;
        public Block(CodeWriter writer) => _writer = writer;
        public void Dispose()
        {
            _writer._depth--;
            _writer.Line("}");
        }
    }
}

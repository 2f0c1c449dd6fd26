using System;

namespace CompiledNets.Examples;

/// <summary>
/// A one-line progress bar for the epoch in progress, redrawn in place on a terminal. When output is redirected (a
/// file, a pipe, CI) it draws nothing, so logs get only the plain per-epoch lines.
/// </summary>
internal sealed class ProgressBar
{
    private const int Width = 30;
    private readonly bool _enabled = !Console.IsOutputRedirected;
    private int _lastFilled = -1;

    public void Update(int epoch, int done, int total)
    {
        if (!_enabled) return;
        int filled = done * Width / total;
        if (filled == _lastFilled && done != total) return; // redraw only when the bar moves
        _lastFilled = filled;
        Console.Write($"\repoch {epoch,3} [{new string('#', filled)}{new string('.', Width - filled)}] {done,4}/{total} batches");
    }

    /// <summary>Erases the bar so the epoch's result line takes its place.</summary>
    public void Clear()
    {
        if (!_enabled) return;
        Console.Write("\r" + new string(' ', Width + 40) + "\r");
        _lastFilled = -1;
    }
}

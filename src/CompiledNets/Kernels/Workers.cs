using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace CompiledNets.Kernels;

/// <summary>
/// Helper threads for kernels that split their work into parts: <see cref="Run"/> publishes a job, and the calling
/// thread and the helpers claim its parts one at a time until none is left; it returns when every part is done.
/// Because parts are claimed rather than assigned, a helper that is slow to wake (the machine is busy) costs nothing:
/// the caller runs the parts it has not claimed. Helpers spin briefly between jobs (a train step runs a dozen a few
/// microseconds apart), then sleep. Nothing is allocated per job: the work is a function pointer and a pointer to the
/// caller's state, which stays valid because the caller waits.
/// </summary>
/// <remarks>
/// One set of helpers serves the process. A job started while another is running (from another thread) runs all its
/// parts on its own thread, which gives the same results: parts write disjoint outputs.
/// </remarks>
internal static unsafe class Workers
{
    /// <summary>How long an idle helper spins before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 500; // 2 ms

    /// <summary>The most parts a job can have (the claim counters are 16 bits).</summary>
    public const int MaxParts = 0xFFFF;

    private static readonly object s_gate = new();
    private static Helper[] s_helpers = Array.Empty<Helper>();
    private static int s_busy;

    // The current job. s_claim holds the job's number in its high 32 bits, so that a helper that wakes late cannot claim
    // a part of a later job, and the unclaimed parts [front, back) in its low 32 bits (16 each). The calling thread
    // claims from the front and helpers from the back: with threads of equal speed each takes the same rows of a
    // product at every step, so the data it wrote in one kernel (gradient rows, say) is still in its own cache when the
    // next kernel (the optimizer) reads it.
    private static delegate*<void*, int, int, void> s_body;
    private static void* s_state;
    private static int s_parts;
    private static long s_claim;
    private static int s_done;
    private static int s_job;
    private static ExceptionDispatchInfo? s_failure;

    /// <summary>
    /// Runs <c>body(state, part, parts)</c> once for every part in [0, <paramref name="parts"/>), on this thread and up to
    /// <paramref name="threads"/> − 1 helpers.
    /// </summary>
    public static void Run(int threads, int parts, delegate*<void*, int, int, void> body, void* state)
    {
        if (parts > MaxParts) throw new ArgumentOutOfRangeException(nameof(parts), parts, $"At most {MaxParts} parts.");
        threads = Math.Min(Math.Min(threads, parts), KernelThreads.Available);
        if (threads <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++) body(state, part, parts);
            return;
        }
        try
        {
            EnsureHelpers(threads - 1);
            int job = s_job + 1;
            s_job = job;
            s_body = body;
            s_state = state;
            s_parts = parts;
            s_failure = null;
            Volatile.Write(ref s_done, 0);
            Interlocked.Exchange(ref s_claim, ((long)job << 32) | (uint)parts); // front 0, back parts; a full fence
            Helper[] helpers = s_helpers;
            for (int i = 0; i < threads - 1; i++)
                helpers[i].Wake(job);

            RunParts(job, fromBack: false);
            var spinner = new SpinWait();
            while (Volatile.Read(ref s_done) < parts)
                spinner.SpinOnce(sleep1Threshold: -1);
            s_failure?.Throw();
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Claims and runs parts of job <paramref name="job"/>, from the front or the back, until none is left.</summary>
    private static void RunParts(int job, bool fromBack)
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            if ((int)(claim >> 32) != job) return;
            int front = (int)(claim >> 16) & 0xFFFF, back = (int)claim & 0xFFFF;
            if (front >= back) return;
            int part = fromBack ? back - 1 : front;
            long claimed = fromBack ? claim - 1 : claim + (1L << 16);
            if (Interlocked.CompareExchange(ref s_claim, claimed, claim) != claim) continue;
            try
            {
                s_body(s_state, part, s_parts);
            }
            catch (Exception e)
            {
                s_failure = ExceptionDispatchInfo.Capture(e);
            }
            Interlocked.Increment(ref s_done);
        }
    }

    private static void EnsureHelpers(int count)
    {
        if (s_helpers.Length >= count) return;
        lock (s_gate)
        {
            if (s_helpers.Length >= count) return;
            var helpers = new Helper[count];
            Array.Copy(s_helpers, helpers, s_helpers.Length);
            for (int i = s_helpers.Length; i < count; i++)
                helpers[i] = new Helper(i + 1);
            s_helpers = helpers;
        }
    }

    private sealed class Helper
    {
        private readonly AutoResetEvent _wake = new(false);
        private int _job;      // the latest job this helper was asked to help with
        private int _seen;     // the latest job it looked at
        private int _sleeping;

        public Helper(int number)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"CompiledNets worker {number}" };
            thread.Start();
        }

        /// <summary>Asks this helper to help with <paramref name="job"/> (already published), waking it if it sleeps.</summary>
        public void Wake(int job)
        {
            Interlocked.Exchange(ref _job, job); // full fence before reading _sleeping
            if (Volatile.Read(ref _sleeping) != 0) _wake.Set();
        }

        private void Loop()
        {
            while (true)
            {
                WaitForJob();
                _seen = Volatile.Read(ref _job);
                RunParts(_seen, fromBack: true);
            }
        }

        private void WaitForJob()
        {
            long start = Stopwatch.GetTimestamp();
            int spins = 0;
            while (Volatile.Read(ref _job) == _seen)
            {
                if (++spins < 64 || Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(8);
                    continue;
                }
                Interlocked.Exchange(ref _sleeping, 1); // full fence before re-reading _job
                if (Volatile.Read(ref _job) == _seen)
                    _wake.WaitOne();
                Volatile.Write(ref _sleeping, 0);
                start = Stopwatch.GetTimestamp();
                spins = 0;
            }
        }
    }
}

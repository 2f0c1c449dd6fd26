#!/usr/bin/env python3
"""Prints the tables of benchmarks/README.md from one run of benchmarks/run.sh.

Usage: compare.py ARTIFACTS_DIR   (benchmarks/run.sh calls it)

ARTIFACTS_DIR/levels/LEVEL/ holds one level's run: results/ (BenchmarkDotNet's JSON reports), peers/pytorch-*.json,
host.json and probe.json (what the host and BenchmarkDotNet's child process saw: vector widths, Simd.Level), work.json
(the FLOPs of each benchmark's matrix products). ARTIFACTS_DIR/aot/{jit,aot}.json: the NativeAOT probe.
Times are medians. Ratios are peer time / CompiledNets time (above 1: CompiledNets is faster).
Exit code 1 if a level's child process did not run at that level, or a benchmark of the ONNX peer has no result.
"""
import glob
import json
import os
import sys

LEVELS = {
    "best": "best level (default environment)",
    "no-avx512": "DOTNET_EnableAVX512=0 (and DOTNET_EnableAVX512F=0)",
    "no-avx2": "DOTNET_EnableAVX2=0",
}


def load_benchmarks(results):
    rows = {}
    host = None
    for path in glob.glob(os.path.join(results, "*-report-full.json")):
        with open(path) as f:
            report = json.load(f)
        host = host or report.get("HostEnvironmentInfo")
        for b in report["Benchmarks"]:
            key = (b["Type"], b["Method"], parameter_key(b.get("Parameters") or ""))
            stats = b.get("Statistics") or {}
            memory = b.get("Memory") or {}
            rows[key] = (stats.get("Median"), memory.get("BytesAllocatedPerOperation"))
    return rows, host


def parameter_key(parameters):
    """BenchmarkDotNet's "A=1&B=2" in a canonical order, so that a parameter declared on a base class matches too."""
    return "&".join(sorted(p for p in parameters.split("&") if p))


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text) if text else None


def find(rows, type_name, method, parameters):
    value = rows.get((type_name, method, parameter_key(parameters)))
    return value if value else (None, None)


def fmt_time(ns, unit="us"):
    if ns is None:
        return "–"
    if unit == "s":
        return f"{ns / 1e9:.3f} s"
    if unit == "ms" or ns >= 1e7:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.1f} µs"


def ratio(peer_ns, ours_ns):
    if peer_ns is None or ours_ns is None:
        return "–"
    r = peer_ns / ours_ns
    return f"{r:.1f}×" if r >= 0.95 else f"{r:.2f}×"


class Level:
    def __init__(self, directory):
        self.directory = directory
        self.rows, self.host = load_benchmarks(os.path.join(directory, "results"))
        self.probe = load_json(os.path.join(directory, "probe.json"))
        self.host_probe = load_json(os.path.join(directory, "host.json"))
        self.work = load_json(os.path.join(directory, "work.json")) or {}
        self.peer = {}
        for name in ("1", "2", "blas-default", "lenet-1"):
            data = load_json(os.path.join(directory, "peers", f"pytorch-{name}.json"))
            if data is not None:
                self.peer[name] = data

    def p(self, config, key, scale=1e3):
        data = self.peer.get(config)
        return None if data is None or data.get(key) is None else data[key] * scale

    def best_step(self, config, prefix=""):
        a, b = self.p(config, f"{prefix}train_step_foreach_us"), self.p(config, f"{prefix}train_step_default_us")
        return None if a is None or b is None else min(a, b)


def main_table(level):
    """The table of the best level, as before: CompiledNets against PyTorch's three thread configurations."""
    rows = level.rows
    step1, alloc_step1 = find(rows, "TrainStepBenchmarks", "TrainStep", "Threads=1")
    step2, _ = find(rows, "TrainStepBenchmarks", "TrainStep", "Threads=2")
    infer1, alloc_infer1 = find(rows, "InferenceBenchmarks", "Predict", "Batch=1&Input=Images&Threads=1")
    infer128, alloc_infer128 = find(rows, "InferenceBenchmarks", "Predict", "Batch=128&Input=Images&Threads=1")
    infer128x2, _ = find(rows, "InferenceBenchmarks", "Predict", "Batch=128&Input=Images&Threads=2")
    mask, alloc_mask = find(rows, "MaskBenchmarks", "SampleMask", "Elements=38400")
    epoch1, _ = find(rows, "EpochBenchmarks", "TrainEpoch", "Threads=1")
    epoch2, _ = find(rows, "EpochBenchmarks", "TrainEpoch", "Threads=2")
    p = level.p

    print("| target | CompiledNets | PyTorch, 1 thread | ratio | PyTorch, torch 1 thread + BLAS default | ratio | allocated |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def line(name, ours, peer1, peer_default, allocated, unit="us"):
        alloc = "–" if allocated is None else f"{allocated} B"
        print(f"| {name} | {fmt_time(ours, unit)} | {fmt_time(peer1, unit)} | {ratio(peer1, ours)} | "
              f"{fmt_time(peer_default, unit)} | {ratio(peer_default, ours)} | {alloc} |")

    line("train step, batch 128, 1 thread", step1, level.best_step("1"), level.best_step("blas-default"), alloc_step1)
    line("inference, 1 image, 1 thread", infer1, p("1", "infer_1_us"), p("blas-default", "infer_1_us"), alloc_infer1)
    line("inference, batch 128, 1 thread", infer128, p("1", "infer_128_us"), p("blas-default", "infer_128_us"), alloc_infer128)
    line("dropout masks, 128 × 300", mask, p("1", "mask_38400_us"), p("blas-default", "mask_38400_us"), alloc_mask)
    line("epoch of Fashion-MNIST, 1 thread", epoch1, p("1", "epoch_s", 1e9), p("blas-default", "epoch_s", 1e9), None, unit="s")
    print()
    print("| two threads | CompiledNets | PyTorch, 2 threads | ratio | scaling over 1 thread |")
    print("|---|---:|---:|---:|---:|")

    def line2(name, ours, ours1, peer2, unit="us"):
        scaling = "–" if ours is None or ours1 is None else f"{ours1 / ours:.2f}×"
        print(f"| {name} | {fmt_time(ours, unit)} | {fmt_time(peer2, unit)} | {ratio(peer2, ours)} | {scaling} |")

    line2("train step, batch 128", step2, step1, level.best_step("2"))
    line2("inference, batch 128", infer128x2, infer128, p("2", "infer_128_us"))
    line2("epoch of Fashion-MNIST", epoch2, epoch1, p("2", "epoch_s", 1e9), unit="s")
    print()
    if mask is not None and p("1", "mask_38400_us"):
        print(f"Dropout mask sampling: {38400 / mask:.2f} billion elements per second "
              f"(PyTorch bernoulli_: {38400 / p('1', 'mask_38400_us'):.2f}).")
    if level.peer.get("1"):
        d = level.peer["1"]
        print(f"PyTorch train step, 1 thread: Adam(foreach=True) {d['train_step_foreach_us']:.0f} µs, "
              f"default Adam {d['train_step_default_us']:.0f} µs.")


def check_level(name, probe):
    """Whether BenchmarkDotNet's child ran at the level the table is for; returns (ok, description)."""
    if probe is None:
        return False, "not verified: no probe from BenchmarkDotNet's child (PeakBenchmarks did not run)"
    widths = [w for w in (512, 256, 128) if probe.get(f"vector{w}")]
    seen = (f"child process sees Simd.Level = {probe.get('simd_level')}; "
            f"accelerated: {', '.join(f'Vector{w}' for w in widths) or 'none'}; FMA: {'yes' if probe.get('fma') or probe.get('advsimd') else 'no'}")
    ok = True
    if name == "no-avx512" and probe.get("vector512"):
        ok = False
    if name == "no-avx2" and (probe.get("vector256") or probe.get("vector512")):
        ok = False
    return ok, seen


def level_table(name, level, failures):
    title = LEVELS.get(name, name)
    ok, seen = check_level(name, level.probe)
    print(f"### {title}")
    print()
    print(f"- {seen}" + ("" if ok else "  **← NOT THIS LEVEL: the environment variable did not reach the child process**"))
    if not ok:
        failures.append(f"level {name}: {seen}")
    peak_ns, _ = find(level.rows, "PeakBenchmarks", "Fma", "")
    peak = None
    if peak_ns and level.probe:
        peak = level.probe["peak_flops_per_call"] / peak_ns  # GFLOP/s
        width = level.probe["peak_width"]
        vector = f"Vector{width * 32}" if width > 1 else "scalar"
        accumulators = 24 if width == 16 else 12
        kind = "fused multiply-add" if level.probe.get("peak_fma") else "multiply + add (no FMA at this level)"
        print(f"- peak, one core: **{peak:.1f} GFLOP/s** fp32 ({vector}, {accumulators} accumulators, {kind}, L1-resident operands)")
    else:
        print("- peak, one core: – (PeakBenchmarks did not run)")
    d = level.peer.get("1") or level.peer.get("lenet-1")
    if d:
        print(f"- PyTorch {d.get('torch')}, 1 thread: its kernels at CPU capability {d.get('cpu_capability')} "
              f"(ATEN_CPU_CAPABILITY={d.get('aten_cpu_capability') or 'unset'}), OpenBLAS kernels {d.get('openblas_core')} "
              f"(OPENBLAS_CORETYPE={d.get('openblas_coretype_env') or 'unset'})")
    print("- ONNX Runtime 1.32.0, 1 thread, IO binding: its MLAS kernels follow CPUID (no switch), so it runs at the "
          "machine's best level in every table")
    print()
    print("| 1 thread | CompiledNets | PyTorch | ratio | ONNX Runtime | ratio | CompiledNets GFLOP/s | share of peak |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")

    def line(label, ours, torch, onnx, flops, dense_equivalent):
        if ours is None and torch is None and onnx is None:
            return  # not measured in this run (a --filter left it out)
        if ours is not None and flops:
            rate = flops / ours
            gflops = f"{rate:.1f}{' †' if dense_equivalent else ''}"
            share = "–" if peak is None else f"{100 * rate / peak:.0f}%"
        else:
            gflops, share = "–", "–"
        print(f"| {label} | {fmt_time(ours)} | {fmt_time(torch)} | {ratio(torch, ours)} | {fmt_time(onnx)} | "
              f"{ratio(onnx, ours)} | {gflops} | {share} |")

    work = level.work
    step, _ = find(level.rows, "TrainStepBenchmarks", "TrainStep", "Threads=1")
    wide, _ = find(level.rows, "WideTrainStepBenchmarks", "TrainStep", "")
    line("train step, 784-200-100-10, batch 128", step, level.best_step("1"), None,
         work.get("train_reference_128", {}).get("dense_flops"), True)
    line("train step, 784-1024-1024-10, batch 128", wide, level.best_step("1", "wide_"), None,
         work.get("train_wide_128", {}).get("dense_flops"), True)
    inference_rows(level, name, failures, line, lenet=False)
    lenet_step, _ = find(level.rows, "LeNetTrainStepBenchmarks", "TrainStep", "")
    line("LeNet train step, batch 128", lenet_step, level.best_step("lenet-1"), None,
         work.get("train_lenet_128", {}).get("dense_flops"), True)
    inference_rows(level, name, failures, line, lenet=True)
    print()
    print("GFLOP/s: inference of the reference network counts the non-zero terms of the three matrix products, "
          "2 · (non-zero inputs of the product) · N each (zero pixels, ReLU zeros: terms that add nothing and that the "
          "kernels skip), over the whole Predict call (copy in, products, softmax); with random dense inputs every term "
          "of the first product counts. † dense-equivalent: every term of the products (train steps: forward, "
          "weight-gradient and input-gradient products; LeNet: its two convolutions, 2 · F·OH·OW · C·k·k per example, "
          "and three Dense layers), whether the kernels skip it or not. Share of peak: against this level's peak above.")
    print()
    lenet_targets(level)


def inference_rows(level, name, failures, line, lenet):
    """Inference of 1 and 128 Fashion-MNIST images and random dense inputs: CompiledNets, PyTorch, ONNX Runtime; of the
    reference network (1 thread of InferenceBenchmarks, GFLOP/s of the non-zero terms) or of LeNet (dense-equivalent)."""
    prefix, ours_type, onnx_type, peer = (("LeNet ", "LeNetInferenceBenchmarks", "LeNetOnnxInferenceBenchmarks", "lenet-1") if lenet
                                          else ("", "InferenceBenchmarks", "OnnxInferenceBenchmarks", "1"))
    for kind, label, key in (("Images", "Fashion-MNIST", "infer"), ("Random", "random dense", "infer_random")):
        for batch in (1, 128):
            ours, _ = find(level.rows, ours_type, "Predict", f"Batch={batch}&Input={kind}" + ("" if lenet else "&Threads=1"))
            onnx, _ = find(level.rows, onnx_type, "Run", f"Batch={batch}&Input={kind}")
            if onnx is None and ours is not None:
                failures.append(f"level {name}: no ONNX Runtime result for {prefix}batch {batch}, {kind} (did its setup check fail?)")
            what = f"{batch} {'input' if batch == 1 else 'inputs'}" if kind == "Random" else f"{batch} {'image' if batch == 1 else 'images'}"
            flops = (level.work.get(f"infer_lenet_{batch}", {}).get("dense_flops") if lenet
                     else level.work.get(f"infer_{kind.lower()}_{batch}", {}).get("nonzero_flops"))
            line(f"{prefix}inference, {what} ({label})" if kind == "Random" else f"{prefix}inference, {what}", ours,
                 level.p(peer, f"{key}_{batch}_us"), onnx, flops, lenet)


def lenet_targets(level):
    """The issue's LeNet targets at this level: train step >= 3x PyTorch, inference of 1 and 128 images >= 1.5x ONNX Runtime."""
    step, _ = find(level.rows, "LeNetTrainStepBenchmarks", "TrainStep", "")
    torch = level.best_step("lenet-1")
    checks = []
    if step is not None and torch is not None:
        checks.append(("train step ≥ 3× PyTorch", torch / step, 3.0))
    for batch in (1, 128):
        ours, _ = find(level.rows, "LeNetInferenceBenchmarks", "Predict", f"Batch={batch}&Input=Images")
        onnx, _ = find(level.rows, "LeNetOnnxInferenceBenchmarks", "Run", f"Batch={batch}&Input=Images")
        if ours is not None and onnx is not None:
            checks.append((f"inference of {batch} image{'s' if batch > 1 else ''} ≥ 1.5× ONNX Runtime", onnx / ours, 1.5))
    if checks:
        print("LeNet targets: " + "; ".join(f"{label}: {value:.2f}× ({'met' if value >= goal else '**not met**'})"
                                            for label, value, goal in checks) + ".")
        print()


def aot_section(directory):
    """NativeAOT against the JIT: the default AOT build (the package's x86-64-v3), and where the CPU has AVX-512 also an
    x86-64-v4 build and the JIT held to 256-bit vectors (the default AOT build's width)."""
    runs = {name: load_json(os.path.join(directory, f"{name}.json")) for name in ("jit", "aot", "aot-v4", "jit-256")}
    if runs["jit"] is None or runs["aot"] is None:
        return
    print("### NativeAOT against the JIT")
    print()

    def seen(d):
        widths = [w for w in (512, 256, 128) if d.get(f"vector{w}")]
        return f"Simd.Level = {d.get('simd_level')} (accelerated: {', '.join(f'Vector{w}' for w in widths) or 'none'})"

    labels = {"jit": "JIT", "aot": "NativeAOT, default (x86-64-v3)", "aot-v4": "NativeAOT, x86-64-v4",
              "jit-256": "JIT, DOTNET_EnableAVX512=0"}
    for name, d in runs.items():
        if d is not None:
            print(f"- {labels[name]}: {seen(d)}")
    print("- `benchmarks/AotProbe`, published both ways; Stopwatch, median of 15 blocks after a warm-up, one thread")
    print()
    pairs = [("aot", "jit"), ("aot", "jit-256"), ("aot-v4", "jit")]
    print("| reference network, 1 thread | build | JIT | NativeAOT | AOT speed / JIT speed |")
    print("|---|---|---:|---:|---:|")
    for key, label in (("train_step_us", "train step, batch 128"), ("infer_1_us", "inference, 1 image"),
                       ("infer_128_us", "inference, 128 images")):
        for aot_name, jit_name in pairs:
            a, j = runs[aot_name], runs[jit_name]
            if a is None or j is None:
                continue
            print(f"| {label} | {labels[aot_name]} vs {labels[jit_name]} | {fmt_time(j[key] * 1e3)} | "
                  f"{fmt_time(a[key] * 1e3)} | {j[key] / a[key]:.2f}× |")
    print()
    print("Above 1: the NativeAOT build is faster. The target is at least 0.9×.")
    print()


def main():
    artifacts = sys.argv[1]
    levels_dir = os.path.join(artifacts, "levels")
    present = [n for n in LEVELS if os.path.isdir(os.path.join(levels_dir, n))]
    if os.path.isdir(levels_dir):
        present += sorted(n for n in os.listdir(levels_dir)
                          if n not in LEVELS and os.path.isdir(os.path.join(levels_dir, n)))
    levels = {n: Level(os.path.join(levels_dir, n)) for n in present}
    failures = []

    best = levels.get("best")
    host = next((l.host for l in levels.values() if l.host), None)
    if host:
        print(f"Machine: {host.get('ProcessorName')}, {host.get('PhysicalCoreCount')} cores; {host.get('OsVersion')}; "
              f"{host.get('RuntimeVersion')}; BenchmarkDotNet {host.get('BenchmarkDotNetVersion')}")
    if best and best.peer:
        any_peer = next(iter(best.peer.values()))
        print(f"Peer: PyTorch {any_peer.get('torch')} (Debian, OpenBLAS)")
    print()
    if best and any(key[0] in ("TrainStepBenchmarks", "InferenceBenchmarks") for key in best.rows):
        main_table(best)
        print()
    for name, level in levels.items():
        level_table(name, level, failures)
    aot_section(os.path.join(artifacts, "aot"))
    if failures:
        print("FAILED:")
        for failure in failures:
            print(f"- {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()

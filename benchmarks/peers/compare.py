#!/usr/bin/env python3
"""Prints the table of benchmarks/README.md from one run: the BenchmarkDotNet JSON reports and the PyTorch peer's JSON.

Usage: compare.py RESULTS_DIR PEERS_DIR   (benchmarks/run.sh calls it)
Times are medians. Ratios are PyTorch time / CompiledNets time (above 1: CompiledNets is faster).
"""
import glob
import json
import os
import sys


def load_benchmarks(results):
    rows = {}
    host = None
    for path in glob.glob(os.path.join(results, "*-report-full.json")):
        with open(path) as f:
            report = json.load(f)
        host = host or report.get("HostEnvironmentInfo")
        for b in report["Benchmarks"]:
            key = (b["Type"], b["Method"], b.get("Parameters") or "")
            stats = b.get("Statistics") or {}
            memory = b.get("Memory") or {}
            rows[key] = (stats.get("Median"), memory.get("BytesAllocatedPerOperation"))
    return rows, host


def find(rows, type_name, method, parameters):
    value = rows.get((type_name, method, parameters))
    return value if value else (None, None)


def fmt_time(ns, unit):
    if ns is None:
        return "–"
    if unit == "s":
        return f"{ns / 1e9:.3f} s"
    return f"{ns / 1e3:.1f} µs"


def ratio(peer_ns, ours_ns):
    if peer_ns is None or ours_ns is None:
        return "–"
    return f"{peer_ns / ours_ns:.1f}×"


def main():
    results, peers = sys.argv[1], sys.argv[2]
    rows, host = load_benchmarks(results)
    peer = {}
    for name in ("1", "2", "blas-default"):
        path = os.path.join(peers, f"pytorch-{name}.json")
        if os.path.exists(path):
            with open(path) as f:
                peer[name] = json.load(f)

    def p(config, key, scale=1e3):
        data = peer.get(config)
        return None if data is None or key not in data else data[key] * scale

    def best_step(config):
        a, b = p(config, "train_step_foreach_us"), p(config, "train_step_default_us")
        return None if a is None else min(a, b)

    step1, alloc_step1 = find(rows, "TrainStepBenchmarks", "TrainStep", "Threads=1")
    step2, alloc_step2 = find(rows, "TrainStepBenchmarks", "TrainStep", "Threads=2")
    infer1, alloc_infer1 = find(rows, "InferenceBenchmarks", "Predict", "Batch=1&Threads=1")
    infer128, alloc_infer128 = find(rows, "InferenceBenchmarks", "Predict", "Batch=128&Threads=1")
    infer128x2, _ = find(rows, "InferenceBenchmarks", "Predict", "Batch=128&Threads=2")
    mask, alloc_mask = find(rows, "MaskBenchmarks", "SampleMask", "Elements=38400")
    epoch1, _ = find(rows, "EpochBenchmarks", "TrainEpoch", "Threads=1")
    epoch2, _ = find(rows, "EpochBenchmarks", "TrainEpoch", "Threads=2")

    if host:
        print(f"Machine: {host.get('ProcessorName')}, {host.get('PhysicalCoreCount')} cores; {host.get('OsVersion')}; "
              f".NET {host.get('RuntimeVersion')}; BenchmarkDotNet {host.get('BenchmarkDotNetVersion')}")
    if peer:
        any_peer = next(iter(peer.values()))
        print(f"Peer: PyTorch {any_peer.get('torch')} (Debian, OpenBLAS)")
    print()
    print("| target | CompiledNets | PyTorch, 1 thread | ratio | PyTorch, torch 1 thread + BLAS default | ratio | allocated |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def line(name, ours, peer1, peer_default, allocated, unit="us"):
        alloc = "–" if allocated is None else f"{allocated} B"
        print(f"| {name} | {fmt_time(ours, unit)} | {fmt_time(peer1, unit)} | {ratio(peer1, ours)} | "
              f"{fmt_time(peer_default, unit)} | {ratio(peer_default, ours)} | {alloc} |")

    line("train step, batch 128, 1 thread", step1, best_step("1"), best_step("blas-default"), alloc_step1)
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

    line2("train step, batch 128", step2, step1, best_step("2"))
    line2("inference, batch 128", infer128x2, infer128, p("2", "infer_128_us"))
    line2("epoch of Fashion-MNIST", epoch2, epoch1, p("2", "epoch_s", 1e9), unit="s")
    print()
    if mask is not None:
        print(f"Dropout mask sampling: {38400 / mask:.2f} billion elements per second "
              f"(PyTorch bernoulli_: {38400 / p('1', 'mask_38400_us'):.2f})." if p("1", "mask_38400_us") else "")
    if peer.get("1"):
        d = peer["1"]
        print(f"PyTorch train step, 1 thread: Adam(foreach=True) {d['train_step_foreach_us']:.0f} µs, "
              f"default Adam {d['train_step_default_us']:.0f} µs.")


if __name__ == "__main__":
    main()

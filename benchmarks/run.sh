#!/usr/bin/env bash
# The one command of benchmarks/README.md: installs the peers' prerequisites (and the data) if missing, then, for each
# vector level this machine has, runs the BenchmarkDotNet suite (CompiledNets and ONNX Runtime, in one process per
# benchmark) and the PyTorch peers (the MLPs: pytorch_mlp.py; LeNet: pytorch_lenet.py) under that level, times NativeAOT
# against the JIT, and prints the tables.
#
#   bash benchmarks/run.sh                          # everything (see benchmarks/README.md for how long it takes)
#   bash benchmarks/run.sh --filter '*TrainStep*'   # extra arguments go to BenchmarkDotNet, at every level
#   LEVELS=best AOT=0 bash benchmarks/run.sh        # only the default level, no NativeAOT section
#   PEERS=lenet AOT=0 bash benchmarks/run.sh --filter '*LeNet*' '*PeakBenchmarks*'   # LeNet's rows only
#
# PEERS (default "mlp lenet") names the PyTorch peers to run; the peak benchmark must run for a table's level check.
# Levels (x64): best = the default environment; no-avx512 = DOTNET_EnableAVX512=0 (and DOTNET_EnableAVX512F=0, the
# name runtimes before .NET 10 read; .NET 10 ignores it), if the CPU has avx512f; no-avx2 = DOTNET_EnableAVX2=0, if it
# has avx2. BenchmarkDotNet's child processes inherit the variable; PeakBenchmarks records what the child sees
# (COMPILEDNETS_LEVEL_PROBE) and compare.py refuses a table whose child did not run at its level.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

install() {
    apt-get install -y "$@" || { apt-get update && apt-get install -y "$@"; }
}
if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
    echo "Installing the PyTorch peer: python3-torch libopenblas0-pthread"
    install python3-torch libopenblas0-pthread
fi
if [ -z "${FASHION_MNIST_DIR:-}" ] && [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "Installing Fashion-MNIST: dataset-fashion-mnist"
    install dataset-fashion-mnist
fi
if [ "${AOT:-1}" != 0 ] && { ! command -v clang >/dev/null || ! dpkg -s zlib1g-dev >/dev/null 2>&1; }; then
    echo "Installing what NativeAOT links with: clang zlib1g-dev"
    install clang zlib1g-dev
fi

artifacts="$here/BenchmarkDotNet.Artifacts"
rm -rf "$artifacts/results" "$artifacts/peers" "$artifacts/levels" "$artifacts/aot"
mkdir -p "$artifacts/levels"

# The levels this machine has, best first.
flags=" $(grep -m1 -E '^(flags|Features)' /proc/cpuinfo | cut -d: -f2) "
levels=(best)
if [ "$(uname -m)" = x86_64 ]; then
    case "$flags" in *" avx512f "*) levels+=(no-avx512) ;; esac
    case "$flags" in *" avx2 "*) levels+=(no-avx2) ;; esac
fi
if [ -n "${LEVELS:-}" ]; then read -r -a levels <<< "$LEVELS"; fi

# The environment of each level, for .NET and for PyTorch (its own kernels: ATEN_CPU_CAPABILITY; OpenBLAS:
# OPENBLAS_CORETYPE). ONNX Runtime has no such switch: its MLAS kernels follow CPUID, the machine's best, in every table.
dotnet_env() {
    case "$1" in
        best) ;;
        no-avx512) echo DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0 ;;
        no-avx2) echo DOTNET_EnableAVX2=0 ;;
        *) echo "unknown level $1" >&2; exit 2 ;;
    esac
}
pytorch_best_env=()
case "$flags" in
    *" avx512f "*) pytorch_best_env+=(ATEN_CPU_CAPABILITY=avx512) ;;
    *" avx2 "*) pytorch_best_env+=(ATEN_CPU_CAPABILITY=avx2) ;;
esac
# OpenBLAS at its own choice of kernels for the best level, when it computes right products with them; some machines
# set OPENBLAS_CORETYPE because older OpenBLAS builds go wrong on their CPU, and then that setting stays.
if env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${pytorch_best_env[@]}" /usr/bin/python3 "$here/peers/pytorch_mlp.py" --check-blas >/dev/null 2>&1; then
    pytorch_best=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${pytorch_best_env[@]}")
else
    echo "OpenBLAS's own kernel choice fails its check here: PyTorch keeps OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-}"
    pytorch_best=(env "${pytorch_best_env[@]}")
fi
pytorch_env() {
    case "$1" in
        best) printf '%s\n' "${pytorch_best[@]}" ;;
        no-avx512) printf '%s\n' env ATEN_CPU_CAPABILITY=avx2 OPENBLAS_CORETYPE=Haswell ;;
        no-avx2) printf '%s\n' env ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Sandybridge ;;
    esac
}

user_filter=0
for argument in "$@"; do
    if [ "$argument" = "--filter" ]; then user_filter=1; fi
done

(cd "$root" && dotnet build -c Release benchmarks/CompiledNets.Benchmarks -v q -nologo)
bench="$root/benchmarks/CompiledNets.Benchmarks/bin/Release/net10.0/CompiledNets.Benchmarks"
peer="$here/peers/pytorch_mlp.py"
# The trained weights every inference benchmark runs, at every level: trained once, at the default level.
export COMPILEDNETS_REFERENCE_WEIGHTS="$artifacts/reference-trained.safetensors"
export COMPILEDNETS_LENET_WEIGHTS="$artifacts/lenet-trained.safetensors"
"$bench" --train-reference "$COMPILEDNETS_REFERENCE_WEIGHTS" "$COMPILEDNETS_LENET_WEIGHTS"
peers=" ${PEERS:-mlp lenet} "

for level in "${levels[@]}"; do
    dir="$artifacts/levels/$level"
    mkdir -p "$dir/peers"
    read -r -a denv <<< "$(dotnet_env "$level")"
    mapfile -t penv < <(pytorch_env "$level")
    echo "== level $level: ${denv[*]:-default environment}"
    env "${denv[@]}" "$bench" --level > "$dir/host.json"
    # The ONNX peer must compute Predict's function: stops here (exit code 1) if any probability differs by > 1e-5.
    env "${denv[@]}" "$bench" --check-onnx
    env "${denv[@]}" "$bench" --work > "$dir/work.json"
    if [ "$user_filter" = 1 ]; then filter=()
    elif [ "$level" = best ]; then filter=(--filter '*')
    else filter=(--filter '*PeakBenchmarks*' '*TrainStepBenchmarks*' '*InferenceBenchmarks*') # LeNet's and ONNX's too
    fi
    (cd "$root" && env "${denv[@]}" COMPILEDNETS_LEVEL_PROBE="$dir/probe.json" \
        dotnet run -c Release --no-build --project benchmarks/CompiledNets.Benchmarks -- "${filter[@]}" --artifacts "$dir" "$@")
    if [[ "$peers" == *" mlp "* ]]; then
        "${penv[@]}" /usr/bin/python3 "$peer" --threads 1 --json > "$dir/peers/pytorch-1.json"
        if [ "$level" = best ]; then
            "${penv[@]}" /usr/bin/python3 "$peer" --threads 2 --json > "$dir/peers/pytorch-2.json"
            "${penv[@]}" /usr/bin/python3 "$peer" --threads 1 --blas-default --json > "$dir/peers/pytorch-blas-default.json"
        fi
    fi
    if [[ "$peers" == *" lenet "* ]]; then
        # LeNet's train step (batch 128) and inference of 1 and 128; its epoch only at the best level.
        epoch=(); [ "$level" = best ] || epoch=(--no-epoch)
        "${penv[@]}" /usr/bin/python3 "$here/peers/pytorch_lenet.py" --threads 1 "${epoch[@]}" --json > "$dir/peers/pytorch-lenet-1.json"
    fi
done

if [ "${AOT:-1}" != 0 ]; then
    echo "== NativeAOT and JIT"
    rid="$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')"
    # aot: the package's default instruction set (x86-64-v3 on x64); aot-v4: AVX-512 too, where the CPU has it.
    for mode in aot jit; do
        aot=false; [ "$mode" = aot ] && aot=true
        (cd "$root" && dotnet publish benchmarks/AotProbe -c Release -r "$rid" -p:PublishAot=$aot -o "$artifacts/aot/$mode" -v q -nologo)
    done
    avx512=0; grep -qw avx512f /proc/cpuinfo && avx512=1
    if [ "$avx512" = 1 ]; then
        (cd "$root" && dotnet publish benchmarks/AotProbe -c Release -r "$rid" -p:PublishAot=true \
            -p:CompiledNetsInstructionSet=x86-64-v4 -o "$artifacts/aot/aot-v4" -v q -nologo)
    fi
    for mode in jit aot; do
        "$artifacts/aot/$mode/aot-probe" "${AOT_SECONDS:-3}" > "$artifacts/aot/$mode.json"
    done
    if [ "$avx512" = 1 ]; then
        "$artifacts/aot/aot-v4/aot-probe" "${AOT_SECONDS:-3}" > "$artifacts/aot/aot-v4.json"
        # The JIT at the default AOT build's width, so that the same kernels are compared.
        DOTNET_EnableAVX512=0 "$artifacts/aot/jit/aot-probe" "${AOT_SECONDS:-3}" > "$artifacts/aot/jit-256.json"
    fi
fi

echo
/usr/bin/python3 "$here/peers/compare.py" "$artifacts" | tee "$artifacts/table.md"

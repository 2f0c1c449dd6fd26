#!/usr/bin/env bash
# The one command of benchmarks/README.md: installs the PyTorch peer (and the data) if missing, runs the
# BenchmarkDotNet suite and the peer on this machine, and prints the table of times and ratios.
#
#   bash benchmarks/run.sh                          # everything (about 5 minutes)
#   bash benchmarks/run.sh --filter '*TrainStep*'   # extra arguments go to BenchmarkDotNet
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

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

artifacts="$here/BenchmarkDotNet.Artifacts"
rm -rf "$artifacts/results" "$artifacts/peers"
mkdir -p "$artifacts/peers"
filter=(--filter '*')
for argument in "$@"; do
    if [ "$argument" = "--filter" ]; then filter=(); fi
done
(cd "$root" && dotnet run -c Release --project benchmarks/CompiledNets.Benchmarks -- "${filter[@]}" --artifacts "$artifacts" "$@")

peer="$here/peers/pytorch_mlp.py"
/usr/bin/python3 "$peer" --threads 1 --json > "$artifacts/peers/pytorch-1.json"
/usr/bin/python3 "$peer" --threads 2 --json > "$artifacts/peers/pytorch-2.json"
/usr/bin/python3 "$peer" --threads 1 --blas-default --json > "$artifacts/peers/pytorch-blas-default.json"

echo
/usr/bin/python3 "$here/peers/compare.py" "$artifacts/results" "$artifacts/peers" | tee "$artifacts/table.md"

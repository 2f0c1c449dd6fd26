#!/usr/bin/env bash
# Time from process start to the first prediction: examples/Classify as a NativeAOT executable, the same program
# on the JIT, and PyTorch (import torch + the same network + one prediction). Prints size and medians of N runs.
# Usage: examples/Classify/measure-startup.sh MODEL.safetensors [N]
#   (make MODEL with: dotnet run -c Release --project examples/Mnist -- --epochs 1 --save MODEL.safetensors)
set -euo pipefail
model=$(realpath "$1"); runs=${2:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One 28×28 test image as a PGM, so that every contender reads one small file.
image="$out/image.pgm"
/usr/bin/python3 - "$images" "$image" <<'PY'
import gzip, sys
with gzip.open(sys.argv[1], "rb") as f:
    f.read(16)
    raster = f.read(784)
open(sys.argv[2], "wb").write(b"P5\n28 28\n255\n" + raster)
PY

quietly() { "$@" > "$out/log" 2>&1 || { cat "$out/log"; exit 1; }; }
quietly dotnet publish "$root/examples/Classify" -c Release -r linux-x64 -p:PublishAot=true -o "$out/aot"
quietly dotnet build "$root/examples/Classify" -c Release
jit_dll="$root/examples/Classify/bin/Release/net10.0/classify.dll"

median_ms() { # runs "$@" $runs times, prints the median wall time in ms
  local times=()
  for _ in $(seq "$runs"); do
    local start=$(date +%s%N); "$@" >/dev/null; local end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $runs runs each, median"
echo "NativeAOT executable: $(stat -c %s "$out/aot/classify") bytes"
echo "NativeAOT  start -> first prediction: $(median_ms "$out/aot/classify" --model "$model" "$image") ms"
echo "JIT        start -> first prediction: $(median_ms dotnet "$jit_dll" --model "$model" "$image") ms"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "PyTorch    start -> first prediction: $(median_ms /usr/bin/python3 "$root/examples/Classify/peers/pytorch_first_prediction.py" "$model" "$image") ms"
else
  echo "PyTorch not installed (apt-get install -y python3-torch libopenblas0-pthread)"
fi

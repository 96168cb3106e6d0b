#!/usr/bin/env bash
# One prepared run on a real GPU machine (../shared/gpu/README.md), from the project root with .gpu/
# (../shared/gpu/pack, then node scripts/gpu-peers.mjs) and build/ (npm run build:test) carried:
#   1. the GPU benchmark (bench/gpu/run.ts), every library in its own process;
#   2. backprop's GEMM 4096 for several register tiles (bench/gpu/gemm-sweep.ts), each row as it finishes;
#   3. every WebGPU kernel conformance case and every device suite, on the real driver;
#   4. the webgpu column of `npm run bench`.
# Results go to $OUT (default /tmp/gpu-out). Pass --quick to shrink the benchmark (a smoke run).
# Each part has its own time limit (T_BENCH, T_SWEEP, T_TEST, T_COLUMN seconds; 530 in all by
# default), so the device tool's call fits in timeout_s=600 and a part that hangs costs only itself.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
quick=${1:-}
[ -n "${VK_ICD_FILENAMES:-}" ] && [[ "$VK_ICD_FILENAMES" == *swiftshader* ]] && sim=1 || sim=0
if [ "$sim" = 0 ]; then source .gpu/device-env.sh; else
  # a rehearsal here on SwiftShader: the same files, Dawn from .gpu, no node_modules
  mkdir -p node_modules && rm -rf node_modules/webgpu && cp -r .gpu/webgpu node_modules/webgpu && xz -d node_modules/webgpu/dist/linux-x64/dawn.node.xz
fi
cp .gpu/peers/*.js build/bench/gpu/ && cp -r .gpu/deps/. node_modules/
{ date -u; uname -a; nproc; node --version; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1; } | tee "$OUT/machine.txt"
t0=$SECONDS
BENCH_GPU_OUT="$OUT/gpu-bench.md" BENCH_GPU_TIMEOUT_SEC=${BENCH_GPU_TIMEOUT_SEC:-100} timeout ${T_BENCH:-280} node build/bench/gpu/run.js $quick 2>&1 | tee "$OUT/gpu-bench.log"
echo "gpu bench: $((SECONDS - t0)) s"; t0=$SECONDS
timeout ${T_SWEEP:-80} node build/bench/gpu/gemm-sweep.js $quick 2>&1 | tee "$OUT/gemm-sweep.md"
echo "gemm sweep: $((SECONDS - t0)) s"; t0=$SECONDS
BACKPROP_WEBGPU_NODE=all timeout ${T_TEST:-90} node --test --test-reporter=spec build/test/backend/webgpu/conformance.test.js build/test/backend/webgpu/device-suites.test.js > "$OUT/conformance.log" 2>&1
echo "conformance rc=$?: $((SECONDS - t0)) s"; grep -E '^ℹ (tests|pass|fail|skipped)|✖' "$OUT/conformance.log" | head -30; t0=$SECONDS
BENCH_ONLY=backprop-webgpu BENCH_RUNS=1 BENCH_OUT="$OUT/bench-webgpu.md" BENCH_QUICK=${quick:+1} timeout ${T_COLUMN:-80} node build/bench/run.js > "$OUT/bench-webgpu.log" 2>&1
echo "bench webgpu column rc=$?: $((SECONDS - t0)) s"; tail -5 "$OUT/bench-webgpu.log"
# the reply shows the end of the output: the tables last
cat "$OUT/gpu-bench.md" "$OUT/gemm-sweep.md" 2>/dev/null

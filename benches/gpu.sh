#!/usr/bin/env bash
# The GPU engine on a machine with a real GPU: checks, then speed.
#
#   MIRQ_SHARED=/path/to/shared bash benches/gpu.sh [OUT] [INSERTS]
#
# 1. builds mirq (release) and lists the adapters (`mirq devices`);
# 2. runs `cargo test --release --test gpu_oracle --test gpu_e2e` on the
#    first hardware adapter listed (WGPU_BACKEND set to its backend, so that
#    wgpu's high-performance choice takes it over a software one; without a
#    hardware adapter, on the one wgpu prefers), with CI=1 so that a missing
#    adapter or shared folder fails instead of skipping;
# 3. runs `mirq bench --inserts INSERTS --json` (default 1,000,000; also
#    MIRQ_GPU_BENCH_INSERTS) against the human miRBase 21 reference (matures
#    + hairpin_hsa.fa, species hsa) and against every record of miRBase 21
#    (hairpin_v21.fa + mature_v21.fa.gz, --species all); the CPU engine runs
#    with 1 thread and all cores, the GPU engine on every adapter listed;
#    then `mirq bench --screen` on the E. coli 536 genome (the genome screen
#    of `mirq quant --screen`, 226,000 inserts; MIRQ_GPU_SCREEN_INSERTS);
# 4. prints a summary: per reference, the CPU engine's inserts/s on all
#    cores, each GPU's, and their ratio.
#
# OUT (default $TMPDIR/mirq-gpu-bench) gets devices.tsv, tests.log,
# bench_hsa.json, bench_all.json, bench_screen.txt, their stderr (bench_*.log) and
# summary.txt. Exits non-zero when a test fails or an engine's hits differ.
# With lavapipe only it runs too, slowly: give fewer inserts.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(cd "${MIRQ_SHARED:-$here/../shared}" && pwd)
out=${1:-${TMPDIR:-/tmp}/mirq-gpu-bench}
inserts=${2:-${MIRQ_GPU_BENCH_INSERTS:-1000000}}
mirbase=$shared/data/mirbase
for f in mature_v21.fa.gz hairpin_hsa.fa hairpin_v21.fa; do
    [ -s "$mirbase/$f" ] || { echo "gpu.sh: $mirbase/$f is missing (set MIRQ_SHARED)" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "gpu.sh: python3 is needed for the summary" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
export MIRQ_SHARED=$shared

echo "== build (release)"
cargo build --release --quiet --bin mirq --manifest-path "$here/Cargo.toml"
target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
mirq=$target/release/mirq

echo "== adapters (mirq devices)"
"$mirq" devices 2>/dev/null | tee "$out/devices.tsv"
# name <TAB> backend <TAB> type ...: the first hardware adapter
hardware=$(awk -F'\t' 'NR > 1 && $3 != "Cpu" {print; exit}' "$out/devices.tsv")
if [ -n "$hardware" ]; then
    backend=$(cut -f2 <<<"$hardware")
    echo "tests run on the hardware adapter $(cut -f1 <<<"$hardware") ($backend, $(cut -f3 <<<"$hardware"))"
    test_env=(WGPU_BACKEND="$backend")
else
    echo "no hardware adapter listed: the tests run on the adapter wgpu prefers (software)"
    test_env=()
fi

echo "== cargo test --release --test gpu_oracle --test gpu_e2e --test screen_oracle"
status=0
start=$(date +%s)
if ! env "${test_env[@]}" CI=1 cargo test --release --manifest-path "$here/Cargo.toml" \
    --test gpu_oracle --test gpu_e2e --test screen_oracle -- --nocapture >"$out/tests.log" 2>&1; then
    status=1
fi
grep -v XDG_RUNTIME_DIR "$out/tests.log" |
    grep -E '^test |^test result|GPU engine on|mismatches [0-9]:|all-species' || true
echo "tests: $([ $status = 0 ] && echo passed || echo FAILED, see "$out/tests.log") in $(($(date +%s) - start)) s"

bench() { # name, then mirq bench's reference arguments
    local name=$1
    shift
    echo "== mirq bench $* --inserts $inserts"
    local start rc=0
    start=$(date +%s)
    "$mirq" bench "$@" --inserts "$inserts" --json >"$out/bench_$name.json" 2>"$out/bench_$name.log" || rc=$?
    grep -v XDG_RUNTIME_DIR "$out/bench_$name.log" || true
    echo "($(($(date +%s) - start)) s, exit $rc)"
    [ $rc = 0 ] || status=1
}
bench hsa --mature "$mirbase/mature_v21.fa.gz" --hairpin "$mirbase/hairpin_hsa.fa" --species hsa
bench all --mature "$mirbase/mature_v21.fa.gz" --hairpin "$mirbase/hairpin_v21.fa" --species all

screen_inserts=${MIRQ_GPU_SCREEN_INSERTS:-226000}
echo "== mirq bench --screen E. coli 536 --inserts $screen_inserts"
rc=0
"$mirq" bench --screen "$shared/data/screen/ecoli_536_NC_008253.fa.gz" --inserts "$screen_inserts" \
    >"$out/bench_screen.txt" 2>"$out/bench_screen.log" || rc=$?
cat "$out/bench_screen.txt"
[ $rc = 0 ] || status=1

echo "== summary"
python3 - "$out/bench_hsa.json" "$out/bench_all.json" <<'PY' | tee "$out/summary.txt"
import json, sys
for path in sys.argv[1:]:
    try:
        r = json.load(open(path))
    except (OSError, ValueError) as e:
        print(f"{path}: no report ({e})")
        continue
    ref = r["reference"]
    print(f"reference {ref['species']}: {ref['matures']:,} matures, {ref['hairpins']:,} hairpins; "
          f"{r['inserts']:,} inserts, {r['mismatches']} mismatches")
    cpus = [e for e in r["engines"] if e["engine"] == "cpu"]
    cpu = max(cpus, key=lambda e: e["threads"])
    print(f"  cpu, {cpu['threads']} threads: {cpu['inserts_per_second']:>12,.0f} inserts/s "
          f"(prepare {cpu['prepare_seconds']:.3f} s)")
    for g in (e for e in r["engines"] if e["engine"] == "gpu"):
        ratio = g["inserts_per_second"] / max(cpu["inserts_per_second"], 1e-9)
        print(f"  gpu {g['adapter_index']}, {g['adapter']} ({g['backend']}, {g['device_type']}): "
              f"{g['inserts_per_second']:,.0f} inserts/s = {ratio:.2f}x cpu "
              f"(on {g['inserts']:,} inserts; prepare {g['prepare_seconds']:.3f} s, "
              f"setup {g['setup_seconds']:.3f} s, reruns {g['reruns']}, "
              f"agree {'yes' if g['agree'] else 'NO'})")
    for n in r["notes"]:
        print(f"  note: {n}")
    a = r["auto"]
    print(f"  --engine auto would pick {a['choice']}"
          + (f" ({a['adapter']})" if a["adapter"] else "") + f": {a['reason']}")
PY
echo "outputs in $out"
exit $status

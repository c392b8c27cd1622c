# shellcheck shell=bash disable=SC2034 # sourced: sets variables for its caller
# Sourced by benches/memory.sh, benches/merge.sh and benches/scaling.sh: sets
# `here`, `shared`, `work` (MIRQ_BENCH_DIR, default a folder under $TMPDIR),
# `base` (MIRQ_BASE, default the 2,000,000-read simulated run of
# benches/compare.sh, made once) and `bin` (target/release, with mirq and the
# fastq_variants example built).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${MIRQ_SHARED:-$here/../shared}
work=${MIRQ_BENCH_DIR:-${TMPDIR:-/tmp}/mirq-bench}
base=${MIRQ_BASE:-$work/sim_2000000_s42.fastq.gz}
mkdir -p "$work"
if [ ! -s "$base" ]; then
    echo "making the 2,000,000-read simulated run (once)" >&2
    python3 "$shared/tools/simulate_smallrna.py" --mature "$shared/data/mirbase/mature_nfcore_test.fa" \
        --species hsa --reads 2000000 --read-length 75 --seed 42 --out "${base%.fastq.gz}"
fi
cargo build --release --quiet --bin mirq --example fastq_variants --manifest-path "$here/Cargo.toml"
bin=$here/target/release

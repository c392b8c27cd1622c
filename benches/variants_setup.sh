# Sourced by benches/memory.sh and benches/merge.sh: sets `here`, `shared`,
# `work` (MIRQ_BENCH_DIR, default a folder under $TMPDIR), `base` (the
# 2,000,000-read simulated run of benches/compare.sh, made once) and `bin`
# (target/release, with mirq and the fastq_variants example built).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${MIRQ_SHARED:-$here/../shared}
work=${MIRQ_BENCH_DIR:-${TMPDIR:-/tmp}/mirq-bench}
base=$work/sim_2000000_s42.fastq.gz
if [ ! -s "$base" ]; then
    echo "making the 2,000,000-read simulated run (once)" >&2
    mkdir -p "$work"
    python3 "$shared/tools/simulate_smallrna.py" --mature "$shared/data/mirbase/mature_nfcore_test.fa" \
        --species hsa --reads 2000000 --read-length 75 --seed 42 --out "$work/sim_2000000_s42"
fi
cargo build --release --quiet --bin mirq --example fastq_variants --manifest-path "$here/Cargo.toml"
bin=$here/target/release

//! Micro-benchmarks of the pipeline stages on reproducible synthetic data:
//! adapter trimming, collapsing, and alignment per engine (CPU seeded search
//! and the brute-force oracle for scale).
//!
//! `cargo bench --bench stages`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use mirq::align::cpu::{CpuEngine, Searcher};
use mirq::align::{brute_force, AlignParams, Engine, TargetSet};
use mirq::input::sim::{random_inserts, random_reference};
use mirq::prep::collapse::SampleInserts;
use mirq::prep::trim::AdapterFinder;
use mirq::rng::Rng;
use mirq::seq::encode;

const ADAPTER: &[u8] = b"TGGAATTCTCGGGTGCCAAGGAACTCCAGTCACATCTCGTATGCC";

fn bench(c: &mut Criterion) {
    // 2,000 random miRNAs in hairpins (human-sized) and inserts of every kind
    let mut rng = Rng::new(0x1234_5678_9ABC_DEF1);
    let r = random_reference(&mut rng, true, 2000);
    let ins = random_inserts(&mut rng, &r, 20_000);
    let reads: Vec<Vec<u8>> = ins
        .iter()
        .map(|i| {
            let mut read = i.clone();
            read.extend_from_slice(ADAPTER);
            read.truncate(50);
            if rng.below(5) == 0 && i.len() + 3 < read.len() {
                read[i.len() + 3] = b'A'; // an adapter with an error takes the alignment path
            }
            read
        })
        .collect();

    let mut g = c.benchmark_group("trim");
    g.throughput(Throughput::Elements(reads.len() as u64));
    let finder = AdapterFinder::new(b"TGGAATTCTCGGGTGCCAAGG", 0.1, 3);
    g.bench_function("adapter_20k_reads", |b| {
        b.iter(|| reads.iter().filter_map(|r| finder.find(r)).count())
    });
    g.finish();

    let mut g = c.benchmark_group("collapse");
    g.throughput(Throughput::Elements(ins.len() as u64));
    g.bench_function("collapse_20k_inserts", |b| {
        b.iter_batched(
            SampleInserts::default,
            |mut s| {
                for i in &ins {
                    s.add(i);
                }
                s.len()
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let ts = TargetSet::build(&r, 3, 5);
    let codes: Vec<Vec<u8>> = ins.iter().map(|i| encode(i)).collect();
    let views: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    let params = AlignParams::default();
    let mut g = c.benchmark_group("align");
    g.sample_size(10);
    g.throughput(Throughput::Elements(views.len() as u64));
    g.bench_function("cpu_engine_20k_inserts", |b| {
        b.iter(|| CpuEngine.align(&ts, &views, &params).unwrap().len())
    });
    let searcher = Searcher::new(&ts);
    g.bench_function("cpu_search_one_thread_20k_inserts", |b| {
        b.iter(|| {
            views
                .iter()
                .map(|q| searcher.search(q, &params).len())
                .sum::<usize>()
        })
    });
    g.throughput(Throughput::Elements(50));
    g.bench_function("brute_force_oracle_50_inserts", |b| {
        b.iter(|| {
            views[..50]
                .iter()
                .map(|q| brute_force(&ts, q, &params).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

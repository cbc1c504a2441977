//! Engine throughput per profile on the simulated workload, the streaming oracle's, and the
//! checker's states per second. `cargo bench --bench engines`; figures and the machine are in
//! docs/BENCHMARKS.md.

use joincheck::engine::{for_spec, Engine};
use joincheck::model::JoinSpec;
use joincheck::sim::{StreamingOracle, Workload};
use joincheck::trace::Step;
use std::path::Path;

const RECORDS: u64 = 200_000;

fn main() {
    divan::main();
}

fn model(name: &str) -> JoinSpec {
    JoinSpec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name)).expect("model loads")
}

/// The workload's steps as `simulate` makes them for the model (micro-batches of 10,000 for
/// Spark, the upstream generator's watermarks and clock for the keyed Flink functions),
/// generated once per benchmark (not timed). The upstream generator runs 2m30s behind (the
/// workload's arrival spread is 2m): with none, almost every record would be late, and the
/// figure would say little about the join.
fn steps(spec: &JoinSpec) -> Vec<Step> {
    let mut workload = Workload::for_spec(spec);
    if workload.upstream_watermarks {
        workload.watermark_delay = [150_000, 150_000];
    }
    workload.steps(1, RECORDS).collect()
}

#[divan::bench(args = [
    "reference-impressions-clicks.toml",
    "spark-impressions-clicks.toml",
    "flink-interval-impressions-clicks.toml",
    "flink-sql-impressions-clicks.toml",
    "flink-keyed-fixed.toml",
    "kafka-streams-impressions-clicks.toml",
])]
fn engine(bencher: divan::Bencher, name: &str) {
    let spec = model(name);
    let steps = steps(&spec);
    bencher.counter(divan::counter::ItemsCount::new(RECORDS)).bench(|| {
        let mut engine = for_spec(&spec);
        let mut out = Vec::new();
        for s in &steps {
            engine.step(s, &mut out);
            out.clear();
        }
        engine.stored_len()
    });
}

#[divan::bench]
fn streaming_oracle(bencher: divan::Bencher) {
    let spec = model("reference-impressions-clicks.toml");
    let steps = steps(&spec);
    bencher.counter(divan::counter::ItemsCount::new(RECORDS)).bench(|| {
        let mut oracle = StreamingOracle::new(spec.params);
        let mut out = Vec::new();
        for s in &steps {
            oracle.step(s, &mut out);
            out.clear();
        }
        oracle.live()
    });
}

"""Shared pieces of the peer benchmarks (keras_bench.py, torch_bench.py).

Same workloads, checks and JSON schema as recs-bench (Benchmarks/RecsBench/Harness.swift):
each result is {name, variant, shape, unit, median, min, max, repeats, threads} plus
optional {reference, against, ratio}. Every case is checked before it is timed, warmed up,
then timed `repeats` times; the median and the spread are reported.

Thread counts are set per process (TensorFlow fixes its pools at start-up), so the driver
re-runs the script once per thread count, pinned with sched_setaffinity to that many CPUs.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

SAMPLES = 32_768
FEATURES = 64
# Nominal training FLOPs per sample, 6·MACs, as recs-bench (SeedBench.flopsPerSample).
MACS = 64 * 128 + 128 * 64 + 64 * 1
FLOPS_PER_SAMPLE = 6.0 * MACS          # 98,688
PREDICT_FLOPS_PER_SAMPLE = 2.0 * MACS  # 32,896
GEMM_SHAPES = [(32, 128, 64), (256, 128, 64), (256, 64, 128), (1024, 1024, 1024), (2048, 2048, 2048)]
GEMM_CASES = [(False, False, "NN"), (False, True, "NT"), (True, False, "TN")]
GEMM_TOLERANCE = 1e-5  # normwise, against a float64 NumPy reference

# NeuMF (He et al. 2017) on synthetic sets of two shapes, as recs-bench's NeuralBench.
NEUMF_NEGATIVES = 4
NEUMF_GMF = 8
NEUMF_MLP = [64, 32, 16, 8]
NEUMF_BATCH = 256
NEUMF_PREDICT_PAIRS = 100_000
NEUMF_PREDICT_BATCH = 1024


class NeumfShape:
    """A NeuMF case's synthetic set (as NeuralBench.Shape): catalog size and positives."""

    def __init__(self, name, users, items, interactions, scoring_tag=""):
        self.name, self.users, self.items, self.interactions = name, users, items, interactions
        self.samples = interactions * (1 + NEUMF_NEGATIVES)
        # (users + items)·(8 + 32) embeddings + the dense layers 64→32→16→8 and 16→1.
        self.parameters = ((users + items) * (NEUMF_GMF + NEUMF_MLP[0] // 2)
                           + 64 * 32 + 32 + 32 * 16 + 16 + 16 * 8 + 8 + 16 + 1)
        self.fit_shape = f"batch {NEUMF_BATCH} {self.samples}"
        # The tag tells the scoring rows of the shapes apart (compare.py joins on the shape).
        self.predict_shape = f"batch {NEUMF_PREDICT_BATCH} {NEUMF_PREDICT_PAIRS}{scoring_tag}"


# Case neumf: ML-100K-sized, 495,285 samples, 107,761 parameters, checksum 392966083047515.
# Case neumf1m: MovieLens-1M's 6,040 × 3,706 catalog, 1,000,000 samples, 392,601 parameters.
NEUMF_SHAPES = [NeumfShape("neumf", 943, 1_682, 99_057),
                NeumfShape("neumf1m", 6_040, 3_706, 200_000, " 6040×3706")]
# Mean loss of the warm-up epoch must beat the best constant predictor (BCE of a 1:4 mix = 0.5004).
NEUMF_MAX_LOSS = 0.50
# AUC of the trained model's scores of the training samples (0.5 = chance).
NEUMF_MIN_AUC = 0.6


def seed_data(samples=SAMPLES):
    """The seed problem: 64 normal features, label = side of a random hyperplane."""
    import numpy as np
    rng = np.random.default_rng(2)
    x = rng.standard_normal((samples, FEATURES)).astype(np.float32)
    w = np.random.default_rng(3).standard_normal(FEATURES).astype(np.float32)
    y = (x @ w > 0).astype(np.float32).reshape(samples, 1)
    return x, y


def gemm_operands(m, n, k, ta, tb):
    """A (m×k, or k×m stored when transposed), B (k×n, or n×k), and the float64 reference."""
    import numpy as np
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
    a64 = a.astype(np.float64).T if ta else a.astype(np.float64)
    b64 = b.astype(np.float64).T if tb else b.astype(np.float64)
    return a, b, a64 @ b64


def normwise_error(c, ref):
    import numpy as np
    c = np.asarray(c, dtype=np.float64)
    return float(np.linalg.norm(c - ref) / max(np.linalg.norm(ref), 1e-300))


class SplitMix64:
    """SplitMix64, bit for bit as NeuralBench.SplitMix64 in recs-bench."""
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53  # exact: 53 bits

    def index(self, n):
        return int(n * self.unit())

    def skewed_index(self, n):
        u = self.unit()
        return int(n * u * math.sqrt(u))  # IEEE ops, correctly rounded: same as Swift


def neumf_data(shape):
    """The pre-sampled NeuMF epoch and scoring pairs of `shape`, identical to recs-bench's.

    Positives: `shape.interactions` distinct (user, item) pairs, users uniform, items
    ⌊n·u^1.5⌋ (skewed to low ids); each followed by 4 uniform negatives the user has not
    interacted with. Returns int64 arrays users, items, float32 labels, the scoring pairs and
    the checksum recs-bench prints.
    """
    import numpy as np
    n_users, n_items = shape.users, shape.items
    rng = SplitMix64(2017)
    seen = set()
    positives = []
    while len(positives) < shape.interactions:
        u, i = rng.index(n_users), rng.skewed_index(n_items)
        key = u * n_items + i
        if key not in seen:
            seen.add(key)
            positives.append((u, i))
    users, items, labels = [], [], []
    for u, i in positives:
        users.append(u); items.append(i); labels.append(1)
        base = u * n_items
        for _ in range(NEUMF_NEGATIVES):
            j = rng.index(n_items)
            while base + j in seen:
                j = rng.index(n_items)
            users.append(u); items.append(j); labels.append(0)
    scoring = SplitMix64(7)
    pu, pi = [], []
    for _ in range(NEUMF_PREDICT_PAIRS):
        pu.append(scoring.index(n_users))
        pi.append(scoring.index(n_items))
    users, items = np.array(users, dtype=np.int64), np.array(items, dtype=np.int64)
    labels = np.array(labels, dtype=np.float32)
    keys = (users * n_items + items) * 2 + labels.astype(np.int64)
    checksum = int(np.sum(keys * (np.arange(len(keys), dtype=np.int64) % 1000 + 1)))
    return users, items, labels, np.array(pu, dtype=np.int64), np.array(pi, dtype=np.int64), checksum


def neumf_auc(scores, labels):
    """AUC of `scores` for the labels (Mann–Whitney; ties between a positive and a negative
    count ½), as NeuralBench.auc."""
    import numpy as np
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    order = np.argsort(scores, kind="stable")
    s, pos = scores[order], (np.asarray(labels).reshape(-1) > 0.5)[order]
    # rank of each element, tied scores sharing their mean rank (1-based)
    ranks = np.empty(len(s))
    start = 0
    bounds = np.flatnonzero(np.diff(s)) + 1
    for end in list(bounds) + [len(s)]:
        ranks[start:end] = (start + 1 + end) / 2
        start = end
    n_pos = int(pos.sum())
    n_neg = len(s) - n_pos
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def neumf_check_ranking(scores, labels, who, case="neumf"):
    """The trained model must rank the training positives above their negatives: AUC ≥
    NEUMF_MIN_AUC (as recs-bench)."""
    auc = neumf_auc(scores, labels)
    print(f"{who} {case}: training AUC {auc:.4f}", file=sys.stderr)
    assert auc >= NEUMF_MIN_AUC, f"{who} NeuMF does not rank positives higher (AUC {auc})"


def measure(repeats, work, body):
    """Warm up once, then `repeats` timed calls; returns sorted work/second per call."""
    body()
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        body()
        rates.append(work / (time.perf_counter() - t))
    return sorted(rates)


def measure_calibrated(repeats, work, body, min_seconds=0.05):
    """For short bodies: rounds of as many calls as take ≥ min_seconds."""
    body()
    calls = 1
    while True:
        t = time.perf_counter()
        for _ in range(calls):
            body()
        dt = time.perf_counter() - t
        if dt >= min_seconds:
            break
        calls = calls * 10 if dt <= 0 else max(calls * 2, int(calls * min_seconds * 1.2 / dt))
    rates = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(calls):
            body()
        rates.append(work * calls / (time.perf_counter() - t))
    return sorted(rates)


def result(name, variant, shape, unit, rates, threads=1):
    n = len(rates)
    med = rates[n // 2] if n % 2 else (rates[n // 2 - 1] + rates[n // 2]) / 2
    return {"name": name, "variant": variant, "shape": shape, "unit": unit, "median": med,
            "min": rates[0], "max": rates[-1], "repeats": n, "threads": threads}


def with_flops(r, per_sample):
    """The samples/s row and the same measurement in GFLOP/s."""
    g = dict(r)
    f = per_sample / 1e9
    g.update(unit="GFLOP/s", median=r["median"] * f, min=r["min"] * f, max=r["max"] * f)
    return [r, g]


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--cases", default="gemm,seed,neumf,neumf1m", help="comma-separated: gemm, seed, neumf, neumf1m")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--batch-sizes", default="32,256")
    p.add_argument("--threads", default="1,2", help="thread counts for seed-fit and neumf-fit (gemm, predict: 1)")
    p.add_argument("--gemm-shapes", default=None, help="MxNxK,... (default: as recs-bench)")
    p.add_argument("--json", default=None, help="write the results as JSON to this file")
    p.add_argument("--worker-threads", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.cases = set(args.cases.split(","))
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    args.threads = [int(t) for t in args.threads.split(",")]
    args.gemm_shapes = GEMM_SHAPES if not args.gemm_shapes else [
        tuple(int(d) for d in s.replace("×", "x").split("x")) for s in args.gemm_shapes.split(",")]
    return args


def pin(threads):
    """Restrict this process to `threads` CPUs (before TensorFlow / PyTorch start)."""
    cpus = sorted(os.sched_getaffinity(0))
    if threads > len(cpus):
        sys.exit(f"asked for {threads} threads, only {len(cpus)} CPUs")
    os.sched_setaffinity(0, set(cpus[:threads]))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                "TF_NUM_INTEROP_THREADS"):
        os.environ[var] = str(threads)


def drive(args, script):
    """Runs `script` once per thread count (1 thread also runs gemm and predict); merges JSON."""
    results = []
    counts = sorted(set(args.threads) | {1})
    for t in counts:
        cmd = [sys.executable, script, "--worker-threads", str(t), "--repeats", str(args.repeats),
               "--cases", ",".join(sorted(args.cases)),
               "--batch-sizes", ",".join(map(str, args.batch_sizes)),
               "--threads", ",".join(map(str, args.threads)),
               "--gemm-shapes", ",".join("x".join(map(str, s)) for s in args.gemm_shapes)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        # The worker prints progress lines, then one JSON line last.
        results += json.loads(out.strip().splitlines()[-1])
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
    return results


def fmt(x):
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def print_table(results):
    print(f"{'case':14}{'variant':12}{'shape':28}{'thr':4}{'median':22}{'min…max':22}")
    for r in results:
        print(f"{r['name']:14}{r['variant']:12}{r['shape']:28}{r['threads']:<4}"
              f"{fmt(r['median']) + ' ' + r['unit']:22}{fmt(r['min']) + '…' + fmt(r['max']):22}")

#!/usr/bin/env python3
"""NumPy on recs-bench's recommender workloads (the issue's anchors, measured here);
prints recs-bench's JSON schema.

    Benchmarks/peers/.venv/bin/python Benchmarks/peers/numpy_recs.py \
        [--cases topk,ease] [--benchmarks ../shared/benchmarks] [--json numpy.json]

topk: top-10 for 6,040 users over 3,706 items at 64 dimensions with each user's seen items
excluded, one thread: blocks of 256 users, scores = U·Vᵀ (float32, OpenBLAS), seen items
set to −∞, np.argpartition then a sort of the 10. Factors and seen sets are random with
the benchmark's shape (about 158 seen items per user, power-law popularity); the cost does
not depend on the values.
ease: EASE's closed form as the issue's NumPy reference computes it (float64, two
threads): G = XᵀX + λI, P = G⁻¹, B = −P / diag(P), diag(B) = 0, λ = 200, on the train.tsv
of ml-100k and lastfm-2k (binary), timed from the sparse matrix to B.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def topk_case(repeats):
    import numpy as np
    rng = np.random.default_rng(1)
    users, items, f, k = 6040, 3706, 64, 10
    u = rng.standard_normal((users, f), dtype=np.float32)
    v = rng.standard_normal((items, f), dtype=np.float32)
    p = 1 / np.arange(1, items + 1) ** 0.9
    p /= p.sum()
    counts = np.minimum(items // 2, np.maximum(5, (rng.pareto(1.4, users) + 1) * 60)).astype(int)
    seen = [np.unique(rng.choice(items, size=c, p=p)) for c in counts]
    block = 256

    def run():
        out = np.empty((users, k), dtype=np.int64)
        for b0 in range(0, users, block):
            b1 = min(users, b0 + block)
            s = u[b0:b1] @ v.T
            for r in range(b0, b1):
                s[r - b0, seen[r]] = -np.inf
            part = np.argpartition(-s, k, axis=1)[:, :k]
            top = np.take_along_axis(s, part, axis=1)
            out[b0:b1] = np.take_along_axis(part, np.argsort(-top, axis=1), axis=1)
        return out

    ref = run()
    r0 = u[0] @ v.T
    r0[seen[0]] = -np.inf
    assert set(ref[0]) == set(np.argsort(-r0)[:k]), "top-k check failed"
    rates = common.measure(repeats, users, run)
    return [common.result("topk-serving", "numpy argpartition", f"{users} users {items} items f{f}", "users/s", rates)]


def ease_case(repeats, benchmarks):
    import numpy as np
    import scipy.sparse as sp
    results = []
    for name in ("ml-100k", "lastfm-2k"):
        path = os.path.join(benchmarks, name)
        # items.tsv: one line per item (id, original id, name, genres); train.tsv: user,
        # item, weight, no header.
        items = sum(1 for _ in open(os.path.join(path, "items.tsv")))
        users = sum(1 for _ in open(os.path.join(path, "users.tsv")))
        rows, cols = [], []
        with open(os.path.join(path, "train.tsv")) as fh:
            for line in fh:
                f = line.split("\t")
                rows.append(int(f[0]))
                cols.append(int(f[1]))
        x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(users, items))
        x.data[:] = 1.0

        def fit():
            g = (x.T @ x).toarray()
            g[np.diag_indices(items)] += 200.0
            p = np.linalg.inv(g)
            b = p / (-np.diag(p))
            b[np.diag_indices(items)] = 0.0
            return b

        runs = repeats if items < 5000 else 1
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fit()
            times.append(time.perf_counter() - t)
        times.sort()
        results.append(common.result("ease-fit", "numpy float64", f"{name} {users}×{items}", "s", times, threads=2))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default="topk,ease")
    ap.add_argument("--benchmarks", default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    cases = args.cases.split(",")
    results = []
    # One process per thread count: BLAS threads are fixed when NumPy loads.
    if "topk" in cases:
        common.pin(1)
        results += topk_case(args.repeats)
    if "ease" in cases:
        if not args.benchmarks:
            sys.exit("--cases ease needs --benchmarks DIR")
        if "topk" in cases:
            sys.exit("run ease in its own process (--cases ease): it needs two BLAS threads")
        common.pin(2)
        results += ease_case(args.repeats, args.benchmarks)
    common.print_table(results)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()

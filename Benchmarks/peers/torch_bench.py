#!/usr/bin/env python3
"""PyTorch (CPU) on recs-bench's workloads; prints recs-bench's JSON schema.

    Benchmarks/peers/.venv/bin/python Benchmarks/peers/torch_bench.py --json torch.json

Seed MLP Dense(128, relu) → Dense(64, relu) → Dense(1, sigmoid) on 64 features, Adam
(Keras' defaults: lr 1e-3, eps 1e-7), binary cross-entropy on logits (as DeepCore fuses
sigmoid + BCE), accuracy counted per batch; a plain training loop over shuffled batches
gathered by index (as DeepCore). fit samples/s per epoch of 32,768 samples at each batch
size and thread count; predict samples/s at batch 1024 (inference_mode); torch.matmul
GFLOP/s (one thread, into a preallocated output).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def worker(args, threads):
    common.pin(threads)
    import torch
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)
    results = []

    if "gemm" in args.cases and threads == 1:
        for (m, n, k) in args.gemm_shapes:
            for ta, tb, tname in common.GEMM_CASES:
                a, b, ref = common.gemm_operands(m, n, k, ta, tb)
                ta_, tb_ = torch.from_numpy(a), torch.from_numpy(b)
                opa, opb = (ta_.t() if ta else ta_), (tb_.t() if tb else tb_)
                c = torch.empty(m, n)
                torch.matmul(opa, opb, out=c)
                err = common.normwise_error(c.numpy(), ref)
                assert err <= common.GEMM_TOLERANCE, f"torch.matmul {m}×{n}×{k} {tname}: error {err}"
                flops = 2.0 * m * n * k
                body = lambda: torch.matmul(opa, opb, out=c)  # noqa: E731
                rates = (common.measure(args.repeats, flops / 1e9, body) if flops >= 1e8
                         else common.measure_calibrated(args.repeats, flops / 1e9, body))
                results.append(common.result("gemm", "torch", f"{m}×{n}×{k} {tname}", "GFLOP/s", rates))

    if "seed" in args.cases:
        import numpy as np
        x_np, y_np = common.seed_data()
        x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
        n = x.shape[0]

        def make_model():
            torch.manual_seed(1)
            return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                       torch.nn.Linear(128, 64), torch.nn.ReLU(),
                                       torch.nn.Linear(64, 1))

        def make_epoch(model, batch):
            opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
            loss_fn = torch.nn.BCEWithLogitsLoss()

            def epoch():
                model.train()
                perm = torch.randperm(n)
                correct = torch.zeros((), dtype=torch.int64)
                for i in range(0, n, batch):
                    idx = perm[i:i + batch]
                    xb, yb = x[idx], y[idx]
                    logits = model(xb)
                    loss = loss_fn(logits, yb)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    with torch.no_grad():
                        correct += ((logits > 0) == (yb > 0.5)).sum()
                return int(correct) / n
            return epoch

        def predict(model):
            model.eval()
            out = torch.empty(n, 1)
            with torch.inference_mode():
                for i in range(0, n, 1024):
                    out[i:i + 1024] = torch.sigmoid(model(x[i:i + 1024]))
            return out

        if threads in args.threads:
            for batch in args.batch_sizes:
                model = make_model()
                epoch = make_epoch(model, batch)
                # Check before timing: one epoch must learn the problem.
                epoch()
                acc = float(((predict(model) > 0.5) == (y > 0.5)).float().mean())
                assert acc > 0.9, f"torch seed model did not learn (accuracy {acc}) at batch {batch}"
                rates = common.measure(args.repeats, float(n), epoch)
                results += common.with_flops(
                    common.result("seed-fit", "torch", f"batch {batch}", "samples/s", rates, threads),
                    common.FLOPS_PER_SAMPLE)
        if threads == 1:
            model = make_model()
            make_epoch(model, 256)()
            acc = float(((predict(model) > 0.5) == (y > 0.5)).float().mean())
            assert acc > 0.9, f"torch predict disagrees with the labels ({acc})"
            rates = common.measure(args.repeats, float(n), lambda: predict(model))
            results += common.with_flops(
                common.result("seed-predict", "torch", "batch 1024", "samples/s", rates),
                common.PREDICT_FLOPS_PER_SAMPLE)
    import json
    print(json.dumps(results))


if __name__ == "__main__":
    args = common.parse_args("PyTorch peer of recs-bench")
    if args.worker_threads is not None:
        worker(args, args.worker_threads)
    else:
        common.drive(args, os.path.abspath(__file__))

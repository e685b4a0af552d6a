#!/usr/bin/env python3
"""Keras 3 on TensorFlow (CPU) on recs-bench's workloads; prints recs-bench's JSON schema.

    Benchmarks/peers/.venv/bin/python Benchmarks/peers/keras_bench.py --json keras.json

Seed MLP Dense(128, relu) → Dense(64, relu) → Dense(1, sigmoid) on 64 features, Adam
(defaults), binary cross-entropy, accuracy metric; `model.fit(x, y, batch_size=b,
epochs=1, shuffle=True)` samples/s at each batch size and thread count (TensorFlow's
intra- and inter-op pools set to that count, process pinned to that many CPUs);
`model.predict(x, batch_size=1024)` samples/s; eager `tf.matmul` GFLOP/s on one thread
(small shapes are dominated by the per-op dispatch cost of eager TensorFlow).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def worker(args, threads):
    common.pin(threads)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, {threads} threads", file=sys.stderr)
    results = []

    if "gemm" in args.cases and threads == 1:
        for (m, n, k) in args.gemm_shapes:
            for ta, tb, tname in common.GEMM_CASES:
                a_np, b_np, ref = common.gemm_operands(m, n, k, ta, tb)
                a, b = tf.constant(a_np), tf.constant(b_np)
                c = tf.matmul(a, b, transpose_a=ta, transpose_b=tb)
                err = common.normwise_error(c.numpy(), ref)
                assert err <= common.GEMM_TOLERANCE, f"tf.matmul {m}×{n}×{k} {tname}: error {err}"
                flops = 2.0 * m * n * k
                body = lambda: tf.matmul(a, b, transpose_a=ta, transpose_b=tb)  # noqa: E731
                rates = (common.measure(args.repeats, flops / 1e9, body) if flops >= 1e8
                         else common.measure_calibrated(args.repeats, flops / 1e9, body))
                results.append(common.result("gemm", "tensorflow", f"{m}×{n}×{k} {tname}", "GFLOP/s", rates))

    if "seed" in args.cases:
        import numpy as np
        x, y = common.seed_data()
        n = x.shape[0]

        def make_model():
            keras.utils.set_random_seed(1)
            model = keras.Sequential([
                keras.Input(shape=(64,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(1, activation="sigmoid"),
            ])
            model.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy", metrics=["accuracy"])
            return model

        def accuracy(model):
            p = model.predict(x, batch_size=1024, verbose=0)
            return float(np.mean((p > 0.5) == (y > 0.5)))

        if threads in args.threads:
            for batch in args.batch_sizes:
                model = make_model()
                fit = lambda: model.fit(x, y, batch_size=batch, epochs=1, shuffle=True, verbose=0)  # noqa: E731
                # Check before timing: one epoch must learn the problem (also the warm-up).
                fit()
                acc = accuracy(model)
                assert acc > 0.9, f"keras seed model did not learn (accuracy {acc}) at batch {batch}"
                rates = common.measure(args.repeats, float(n), fit)
                results += common.with_flops(
                    common.result("seed-fit", "keras", f"batch {batch}", "samples/s", rates, threads),
                    common.FLOPS_PER_SAMPLE)
        if threads == 1:
            model = make_model()
            model.fit(x, y, batch_size=256, epochs=1, verbose=0)
            acc = accuracy(model)
            assert acc > 0.9, f"keras predict disagrees with the labels ({acc})"
            rates = common.measure(args.repeats, float(n),
                                   lambda: model.predict(x, batch_size=1024, verbose=0))
            results += common.with_flops(
                common.result("seed-predict", "keras", "batch 1024", "samples/s", rates),
                common.PREDICT_FLOPS_PER_SAMPLE)
    import json
    print(json.dumps(results))


if __name__ == "__main__":
    args = common.parse_args("Keras (TensorFlow CPU) peer of recs-bench")
    if args.worker_threads is not None:
        worker(args, args.worker_threads)
    else:
        common.drive(args, os.path.abspath(__file__))

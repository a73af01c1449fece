"""Multi-process (multi-host style) simulation: two local processes == one process, bit for bit.

Each worker is a separate Python process with 2 CPU devices that joins a 2-process JAX cluster
through ``jax.distributed.initialize(coordinator_address="127.0.0.1:<port>", num_processes=2,
process_id=i)``; :func:`forecast.simulate.run_histograms` then shards every chunk over the 4
global devices (``jax.devices()``) and ``psum``-s the integer histograms across processes with
the CPU collectives (gloo). The histograms must equal the single-process ones exactly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import numpy as np

from forecast.simulate import run_histograms

ROOT = Path(__file__).resolve().parents[1]
PATHS, CHUNK, BASE, UNTIL, SEED = 6_000, 2_500, 2022, 2027, 7

#: Inputs built from a NumPy seed so every process (and this one) gets identical arrays without
#: running the automation calibration.
INPUTS = textwrap.dedent("""
    import numpy as np
    from forecast.posterior import trend_draws
    from forecast.scenarios import load_scenario
    from tests.synthetic import fake_automation, synthetic_posterior

    def inputs():
        import jax
        trend = trend_draws(synthetic_posterior(jax.random.key(11), 2, 200))
        return trend, fake_automation(3, 300), load_scenario("explosive").params
""")

WORKER = INPUTS + textwrap.dedent("""
    import sys
    import jax
    pid, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    jax.distributed.initialize(coordinator_address="127.0.0.1:" + port, num_processes=2, process_id=pid,
                               initialization_timeout=60)
    assert jax.process_count() == 2 and len(jax.devices()) == 4 and len(jax.local_devices()) == 2
    from forecast.simulate import run_histograms
    trend, auto, sc = inputs()
    hist, meta = run_histograms(trend, auto, sc, paths={paths}, base_year={base}, until_year={until},
                                key=jax.random.key({seed}), chunk_size={chunk})
    assert meta["n_devices"] == 4 and meta["n_processes"] == 2, meta
    np.savez(out, **hist)
    jax.distributed.shutdown()
""").format(paths=PATHS, base=BASE, until=UNTIL, seed=SEED, chunk=CHUNK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_equal_one_process(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "JAX_NUM_CPU_DEVICES": "2",
        "JAX_ENABLE_X64": "True",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    port = _free_port()
    outs = [tmp_path / f"hist{i}.npz" for i in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(i), str(port), str(outs[i])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    logs = []
    try:
        for p in procs:
            logs.append(p.communicate(timeout=120)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for i, p in enumerate(procs):
        assert p.returncode == 0, f"worker {i} failed:\n{logs[i][-3000:]}"

    namespace: dict = {}
    exec(INPUTS, namespace)
    trend, auto, sc = namespace["inputs"]()
    kw = dict(paths=PATHS, base_year=BASE, until_year=UNTIL, key=jax.random.key(SEED))
    single, meta = run_histograms(trend, auto, sc, chunk_size=CHUNK, devices=1, **kw)
    assert meta["n_processes"] == 1
    for out in outs:
        with np.load(out) as got:
            assert set(got.files) == set(single)
            for name in single:
                np.testing.assert_array_equal(got[name], single[name], err_msg=name)
    assert single["crossing"].sum() == 3 * PATHS
    # Mutation twin: another seed in this process must differ, so equality above is not vacuous.
    other, _ = run_histograms(trend, auto, sc, chunk_size=CHUNK, devices=1, **{**kw, "key": jax.random.key(SEED + 1)})
    assert not np.array_equal(other["log_hist"], single["log_hist"])

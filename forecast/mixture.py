"""Growth forms fitted, weighed by PSIS-LOO stacking, and their mixture handed to the Monte Carlo.

:func:`fit_forms` fits the trend model once per growth form (:mod:`forecast.forms`) to the trend
series (frontier compute and cost, FP32 FLOP/$ at release and in the cloud; the ImageNet / ECI rows
are left out unless asked, since no form bends the algorithmic rate) and writes a *forms directory*:
``fit_<form>.nc``, ``gates.csv``, ``loo.csv`` (PSIS-LOO on the same units, stacking weights) and
``stacking.json``. :func:`load_forms` reads that directory (checking each form's gate) and
:func:`mixture_trend` turns it into the trend draws the engine runs
(:class:`forecast.posterior.TrendDraws`): each draw picks a form with its stacking weight and one of
its posterior draws, and continues from the fitted means at the data end with the slopes of the last
year of data. The algorithmic (language) rate, which no form changes, is paired from the full fit.

Approximations, stated wherever the mixture is printed: the local-linear form's slope walk is not
continued beyond the data (its spread is understated), and the factor against 2022 follows the end
slopes back from the data end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import jax
import numpy as np
import pandas as pd

from forecast.errors import DataError, ForecastInputError
from forecast.forms import FormDraws, form_draws, load_form_priors, stack_draws
from forecast.posterior import TrendDraws
from forecast.vocab import GROWTH_FORMS

__all__ = [
    "MIXTURE_DRAWS",
    "NEGLIGIBLE_WEIGHT",
    "STACKING_FILE",
    "fit_forms",
    "forms_record",
    "load_forms",
    "mixture_trend",
]

#: The forms directory's summary: stacking weights, data end, sampler.
STACKING_FILE = "stacking.json"
#: Stacking weights below this count as 0 (the optimiser returns ~1e-17 for a dropped form): such a
#: form would give fewer than 0.02 of the mixture's draws, and its fit need not exist or converge.
NEGLIGIBLE_WEIGHT = 1e-6
#: Mixture draws handed to the engine (paths pick among them as among a fit's posterior draws).
MIXTURE_DRAWS = 20_000
#: What the mixture leaves out, recorded with every output that uses it.
APPROXIMATIONS = (
    "local-linear slope walk not continued beyond the data (spread understated); "
    "2022 to the data end follows the end slopes"
)


def fit_forms(
    runs_dir: Path,
    *,
    seed: int,
    sampler,
    forms: Sequence[str] = GROWTH_FORMS,
    data_path: Path | str | None = None,
    with_domains: bool = False,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, Path]:
    """Fit each growth form, compare them by PSIS-LOO and write a forms run directory.

    Parameters
    ----------
    runs_dir
        Where the run directory ``forms-<id>`` goes (written in a staging sibling and renamed
        when complete).
    seed
        Root seed; every form is fitted with ``key(seed)`` (common random numbers).
    sampler
        :class:`forecast.infer.SamplerConfig`.
    forms
        Forms from :data:`forecast.vocab.GROWTH_FORMS` (at least two to stack).
    data_path
        As for :func:`forecast.data.load_data` (``None``: the packaged extract).
    with_domains
        Keep the ImageNet / ECI rows (default: trend series only).
    run_id
        Name of the run directory (default: a new ``forms-<stamp>`` id).
    progress
        Optional callable receiving one-line progress messages.

    Returns
    -------
    (pandas.DataFrame, Path)
        The LOO table (:func:`forecast.loo.loo_table`: ``elpd_loo``, ``se``, ``elpd_diff``,
        ``dse``, ``weight`` ..., indexed by form, best first) and the run directory.
    """
    from forecast.data import load_data
    from forecast.form_backtest import _empty_domain
    from forecast.gate import check_convergence
    from forecast.infer import GATED_VARS, fit
    from forecast.loo import loo_table
    from forecast.manifest import FileRecord, RunManifest
    from forecast.model import TREND_SITES, model_data, observation_units
    from forecast.runs import atomic_dir, new_run_id
    from forecast.vocab import DOMAINS

    forms = list(forms)
    unknown = [f for f in forms if f not in GROWTH_FORMS]
    if unknown or len(set(forms)) < 2:
        raise ForecastInputError(
            f"--form {', '.join(forms)}: need at least two different forms of {', '.join(GROWTH_FORMS)}",
            "name two or more forms, or leave --form out for all three",
        )
    say = progress or (lambda msg: None)
    priors = {form: load_form_priors(form) for form in forms}
    frames = load_data(data_path)
    data, scaling = model_data(frames)
    units = observation_units(frames)
    if not with_domains:
        data = data._replace(**{d: _empty_domain() for d in DOMAINS})
        units = {s: u for s, u in units.items() if s in TREND_SITES}
    run_id = run_id or new_run_id("forms")
    manifest = RunManifest.start(
        "forms",
        run_id,
        seed=seed,
        config={"forms": forms, "sampler": sampler.to_dict(), "with_domains": with_domains},
        data={**frames.meta, "path": str(data_path) if data_path else "packaged extract"},
        priors={f: FileRecord(path=str(p.path), sha256=p.sha256) for f, p in priors.items()},
    )
    key = jax.random.key(seed)
    with atomic_dir(Path(runs_dir) / run_id) as stage:
        fits, gates = {}, []
        for form in forms:
            t0 = time.perf_counter()
            say(f"fitting the {form} form")
            dt = fit(data, priors[form], sampler, key=key, posterior_predictive=False)
            dt.attrs.update({"ref_year": scaling.ref_year, "growth_form": form})
            dt.to_netcdf(stage / f"fit_{form}.nc")
            gate = check_convergence(dt, GATED_VARS, max_tree_depth=sampler.max_tree_depth)
            gates.append(
                {
                    "form": form,
                    "passed": gate.passed,
                    "divergences": gate.divergences,
                    "max_rhat": float(gate.table["rhat"].max()),
                    "min_ess_bulk": float(gate.table["ess_bulk"].min()),
                    "failures": "; ".join(gate.failures[:4]),
                    "seconds": time.perf_counter() - t0,
                }
            )
            fits[form] = dt
        pd.DataFrame(gates).to_csv(stage / "gates.csv", index=False)
        say("PSIS-LOO and stacking weights")
        trend_units = {s: u for s, u in units.items() if s in TREND_SITES}
        loo = loo_table(fits, dict.fromkeys(fits, trend_units))
        gate_of = {g["form"]: "passed" if g["passed"] else g["failures"] for g in gates}
        loo["gate"] = [gate_of[f] for f in loo.index]
        loo.to_csv(stage / "loo.csv")
        summary = {
            "weights": {f: float(loo.loc[f, "weight"]) for f in forms},
            "data_end_year": form_draws(fits[forms[0]], forms[0], scaling.ref_year).end_year,
            "gates_passed": {g["form"]: bool(g["passed"]) for g in gates},
        }
        (stage / STACKING_FILE).write_text(json.dumps(summary, indent=2))
        manifest.finish(results=summary).write(stage)
    return loo, Path(runs_dir) / run_id


def load_forms(forms_dir: Path, *, allow_unconverged: bool = False) -> tuple[dict[str, FormDraws], dict[str, float]]:
    """The per-form draws and stacking weights of a forms directory written by :func:`fit_forms`.

    Parameters
    ----------
    forms_dir
        The forms directory.
    allow_unconverged
        Accept a form with weight at least :data:`NEGLIGIBLE_WEIGHT` whose fit failed the
        convergence gate (recorded in ``stacking.json``; a directory that records no gate is
        accepted).

    Raises
    ------
    DataError
        The directory, its ``stacking.json`` or a fit with weight at least
        :data:`NEGLIGIBLE_WEIGHT` is missing or unreadable.
    ForecastInputError
        Such a form failed the convergence gate (unless ``allow_unconverged``).
    """
    import arviz as az

    forms_dir = Path(forms_dir)
    summary_path = forms_dir / STACKING_FILE
    if not summary_path.is_file():
        raise DataError(f"{summary_path}: not found", "pass a directory written by 'forecast forms'")
    try:
        summary = json.loads(summary_path.read_text())
        weights = {str(k): float(v) for k, v in summary["weights"].items()}
        gates = {str(k): bool(v) for k, v in summary.get("gates_passed", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(f"{summary_path}: unreadable ({exc})", "rerun 'forecast forms'") from None
    draws = {}
    for form, weight in weights.items():
        if form not in GROWTH_FORMS:
            raise DataError(f"{summary_path}: unknown form '{form}'", f"forms are {', '.join(GROWTH_FORMS)}")
        if weight < NEGLIGIBLE_WEIGHT:
            continue
        if not gates.get(form, True) and not allow_unconverged:
            raise ForecastInputError(
                f"{summary_path}: the {form} form (weight {weight:.3f}) failed the convergence gate",
                "refit with 'forecast forms' at a higher --target-accept or more draws, or pass --allow-unconverged",
            )
        path = forms_dir / f"fit_{form}.nc"
        if not path.is_file():
            raise DataError(f"{path}: not found (weight {weight:.3f})", "rerun 'forecast forms'")
        draws[form] = form_draws(az.from_netcdf(path).load(), form)
    if not draws:
        raise DataError(f"{summary_path}: no form has a positive weight", "rerun 'forecast forms'")
    return draws, weights


def forms_record(forms_dir: Path) -> dict[str, str]:
    """Attributes that mark an output as the stacked mixture's: directory, weights, sha256 of
    ``stacking.json`` and the approximations."""
    from forecast.config import file_sha256

    summary = Path(forms_dir) / STACKING_FILE
    return {
        "trend_source": "stacked mixture of growth forms",
        "forms_dir": str(forms_dir),
        "forms_weights": json.dumps(json.loads(summary.read_text())["weights"]),
        "forms_stacking_sha256": file_sha256(summary),
        "forms_approximations": APPROXIMATIONS,
    }


def mixture_trend(
    forms: tuple[dict[str, FormDraws], dict[str, float]], full: TrendDraws, n: int, *, key: jax.Array
) -> TrendDraws:
    """``n`` trend draws of the stacked mixture of growth forms, for the Monte Carlo engine.

    Parameters
    ----------
    forms
        ``(draws, weights)`` of a forms directory, as :func:`load_forms` returns them.
    full
        Draws of the full (constant-form) fit; their algorithmic rate is paired with the mixture
        draws at random, since the forms leave it alone.
    n
        Number of draws.
    key
        PRNG key: split into the mixture's draws and the pairing.

    Returns
    -------
    TrendDraws
        Referenced at the data end (``ref_year`` = its decimal year).
    """
    draws, weights = forms
    k_mix, k_pair = jax.random.split(key)
    mix = stack_draws(draws, {f: weights[f] for f in draws}, n, key=k_mix)
    pair = np.asarray(jax.random.randint(k_pair, (n,), 0, np.asarray(full.growth_algorithmic).shape[0]))
    return TrendDraws(
        growth_compute=mix.growth_end[:, 0],
        growth_spending=mix.growth_end[:, 1],
        growth_hardware=mix.growth_end[:, 2],
        growth_algorithmic=np.asarray(full.growth_algorithmic)[pair],
        identity_gap=mix.identity_gap_end,
        log10_compute_ref=mix.log10_compute_end,
        log10_spending_ref=mix.log10_spending_end,
        ref_year=float(mix.end_year),
    )

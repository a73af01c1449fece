"""Loading and validating TOML configuration files (priors, scenarios, automation).

Every config file goes through :func:`load_validated`: TOML is parsed with :mod:`tomllib`, checked
against a pydantic model that forbids unknown keys, and any failure becomes one
:class:`~forecast.errors.ConfigError` naming the file, the key path and a fix, with a
"did you mean" hint for misspelt keys. No config file ever imports code. This module does not
import JAX, so validation runs before any computation starts.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from forecast.errors import ConfigError, did_you_mean


class StrictModel(BaseModel):
    """Base for config models: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class InferenceSpec(StrictModel):
    """NUTS settings of a small model fitted inside a job (automation curves, adoption)."""

    num_warmup: Annotated[int, Field(ge=10, le=10_000)]
    num_samples: Annotated[int, Field(ge=10, le=10_000)]
    num_chains: Annotated[int, Field(ge=1, le=16)]
    target_accept: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.9
    dense_mass: bool = False


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, for run manifests."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning I/O and syntax errors into :class:`ConfigError`.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    dict
        The parsed document.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found", "pass an existing TOML file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})", "fix the TOML syntax at that line") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", "save the file as UTF-8") from None


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (best effort, for did-you-mean hints)."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if not fields or not isinstance(part, str) or part not in fields:
            # dict-valued fields: step into the value type
            ann = getattr(current, "__pydantic_generic_metadata__", None)
            if ann is None:
                return []
            continue
        ann = fields[part].annotation
        args = getattr(ann, "__args__", ())
        current = args[-1] if args else ann
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def config_error(path: Path, exc: ValidationError, model: type[BaseModel]) -> ConfigError:
    """Turn the first pydantic error into a one-line :class:`ConfigError`."""
    err = exc.errors()[0]
    loc = tuple(err.get("loc", ()))
    key = ".".join(str(p) for p in loc)
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        hint = did_you_mean(str(loc[-1]), _allowed_keys(model, loc)) if loc else ""
        return ConfigError(f"{path}: unknown key '{key}'{hint}", "remove or rename the key")
    if kind == "missing":
        return ConfigError(f"{path}: missing key '{key}'", f"add '{key}' to the file")
    msg = err.get("msg", "invalid value")
    value = err.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    ctx = err.get("ctx") or {}
    fix = ctx.get("fix") if isinstance(ctx, dict) else None
    msg = msg.removeprefix("Value error, ")
    where = f"'{key}': " if key else ""
    return ConfigError(
        f"{path}: {where}{msg}{shown}", fix or (f"correct the value of '{key}'" if key else "see the message")
    )


def validate_dict[M: BaseModel](path: Path, data: dict[str, Any], model: type[M]) -> M:
    """Validate already-parsed data against ``model``; errors name ``path``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise config_error(path, exc, model) from None


def load_validated[M: BaseModel](path: Path, model: type[M]) -> M:
    """Load a TOML file and validate it against a pydantic ``model``.

    Parameters
    ----------
    path
        The TOML file.
    model
        A pydantic model (usually a :class:`StrictModel`).

    Returns
    -------
    M
        The validated, immutable config.

    Raises
    ------
    ConfigError
        One line naming the file, the key path and a fix.
    """
    return validate_dict(Path(path), load_toml(path), model)

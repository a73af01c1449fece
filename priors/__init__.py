"""TOML prior and scenario specs, installed as ``forecast._priors`` so a wheel carries them.

No code lives here: this file only makes the folder an importable package for
:mod:`importlib.resources` (see ``forecast/resources.py``).
"""

"""forecast: Bayesian forecaster of AI compute trends and their consequences for work.

Data flows one way: data -> priors -> model -> infer -> simulate -> automation -> macro -> report,
with :mod:`forecast.cli` a thin shell over the library functions.
"""

__version__ = "0.1.0"

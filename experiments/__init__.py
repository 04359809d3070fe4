"""Experiments: the ``resilience`` command, Hydra configs, the results store and comparisons.

``experiments.cli`` is the command; ``experiments.runner`` runs one job (R replicates of one
configuration); ``experiments.store`` writes and gathers results; ``experiments.compare`` and
``experiments.figures`` turn a finished sweep into tables and figures.
"""

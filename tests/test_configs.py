"""The Hydra configs: every file composes, matches the model's presets, and is type-checked."""

from __future__ import annotations

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from experiments.config import CONFIG_DIR, group_options, model_dict, replicate_seeds, validate
from model.params import FUNDING_PATHS, MIXTURES, PLACES, REGIME_NAMES, ConfigError


def _compose(overrides: list[str], hydra_config: bool = False):
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=hydra_config)


def test_groups_cover_the_model_presets():
    assert set(REGIME_NAMES) | set(MIXTURES) <= set(group_options("regime"))
    assert set(group_options("funding")) == set(FUNDING_PATHS)
    assert set(group_options("place")) == set(PLACES)
    assert {"headline", "austerity", "long_haul", "workshop"} <= set(group_options("experiment"))


@pytest.mark.parametrize("place", sorted(PLACES))
def test_place_files_match_model_places(place):
    data = yaml.safe_load((CONFIG_DIR / "place" / f"{place}.yaml").read_text())
    assert data == PLACES[place]
    assert model_dict(_compose([f"place={place}"]))["place"] == PLACES[place]


@pytest.mark.parametrize("regime", sorted(set(REGIME_NAMES) | set(MIXTURES) | {"investor_outcomes"}))
def test_every_regime_composes_and_validates(regime):
    params = validate(_compose([f"regime={regime}"]))
    expected = "outcomes_based" if regime == "investor_outcomes" else regime
    assert params.regime.name == expected
    assert params.regime.outcomes.investor is (regime == "investor_outcomes")


@pytest.mark.parametrize("funding", FUNDING_PATHS)
def test_every_funding_path_composes(funding):
    assert validate(_compose([f"funding={funding}"])).funding.path == funding


def test_defaults_are_the_model_defaults_on_a_town():
    params = validate(_compose([]))
    assert params.place.name == "town"
    assert params.regime.name == "status_quo"
    assert params.funding.path == "stable"


def test_model_parameters_are_overridden_by_their_dotted_path():
    cfg = _compose(["council.budget_per_resident_per_year=8", "regime=grants", "regime.grants.rule=core",
                    "horizon_years=3"])
    params = validate(cfg)
    assert params.council.budget_per_resident_per_year == 8.0
    assert params.regime.grants.rule == "core"
    assert params.horizon_years == 3.0


def test_mixture_weights_by_dotted_path_or_mapping():
    a = validate(_compose(["regime=mixture", "regime.weights.grants=0.25", "regime.weights.partnership=0.75"]))
    b = validate(_compose(["regime=mixture", "regime.weights={grants:0.25,partnership:0.75}"]))
    assert a.regime.instrument_weights() == b.regime.instrument_weights() == {"grants": 0.25, "partnership": 0.75}
    with pytest.raises(ConfigError, match="sum to 1"):
        validate(_compose(["regime=mixture", "regime.weights={grants:0.5,partnership:0.3}"]))


def test_types_are_checked_when_composing():
    with pytest.raises(ConfigCompositionException):
        _compose(["council.budget_per_resident_per_year=lots"])
    with pytest.raises(ConfigCompositionException):
        _compose(["replicates=two"])


def test_run_settings_are_validated():
    with pytest.raises(ConfigError, match="replicates"):
        validate(_compose(["replicates=0"]))
    with pytest.raises(ConfigError, match="horizon_years"):
        validate(_compose(["horizon_years=-1"]))


@pytest.mark.parametrize("experiment", group_options("experiment"))
def test_every_experiment_composes_with_a_sweep_over_regimes(experiment):
    cfg = _compose([f"experiment={experiment}"], hydra_config=True)
    validate(cfg)
    assert cfg.name == experiment
    regimes = str(cfg.hydra.sweeper.params.regime).split(",")
    assert set(regimes) == set(REGIME_NAMES) | set(MIXTURES)


def test_headline_is_every_regime_on_the_town_20_replicates_10_years():
    cfg = _compose(["experiment=headline"], hydra_config=True)
    assert cfg.place.name == "town" and cfg.replicates == 20 and cfg.horizon_years == 10
    assert len(str(cfg.hydra.sweeper.params.regime).split(",")) >= 7


def test_command_line_beats_the_experiment():
    cfg = _compose(["experiment=headline", "place=small", "replicates=2", "horizon_years=0.5"])
    assert (cfg.place.name, cfg.replicates, cfg.horizon_years) == ("small", 2, 0.5)


def test_hydra_settings_quiet_mesa_and_use_local_parallel_launcher():
    cfg = _compose([], hydra_config=True)
    assert cfg.hydra.job_logging.loggers.MESA.level == "WARNING"
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher")
    assert cfg.hydra.launcher.n_jobs == -1
    assert cfg.hydra.callbacks.results._target_ == "experiments.callbacks.ResultsCallback"
    assert OmegaConf.to_container(cfg.hydra.sweep, resolve=False)["subdir"] == "${hydra.job.num}"


def test_slurm_launcher_wraps_submitit():
    cfg = _compose(["hydra/launcher=slurm"], hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.hydra.launcher.cpus_per_task == 1


def test_replicate_seeds_are_paired_and_distinct():
    seeds = replicate_seeds(7, 5)
    assert len(set(seeds)) == 5
    assert replicate_seeds(7, 3) == seeds[:3]  # replicate k does not depend on how many are run
    assert replicate_seeds(8, 3) != seeds[:3]
    assert all(0 <= s < 2**63 for s in seeds)

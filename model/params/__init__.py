"""Typed model parameters.

Every parameter lives in a slotted dataclass, so a misspelt name is an error rather than a silently
ignored value. Rates are stated per year (field names end in ``_per_year``) and are converted to
per-week probabilities in exactly one place, :func:`weekly_prob`, called from
:class:`model.model.CommunityModel` when it builds its ``weekly`` rate table.

Each default has its source or its reasoning in the comment beside it. "DOMAIN" refers to the
empirical anchors in ``shared/DOMAIN.md``; "calibrated" means the value was chosen so that the
``status_quo`` baseline on ``town`` reproduces the targets in ``docs/validation.md`` and has no
direct empirical counterpart.

The package by subject: ``base`` (units, names, the one-line error), ``people`` (the place,
residents, ties, groups), ``policy`` (council, providers, funding, regimes), ``checks`` (the whole
set, its ranges and which settings act where), ``build`` (from configs and overrides).
"""

from model.params.base import (
                               AGE_BAND_YEARS,
                               AGE_BANDS,
                               GROUP_KINDS,
                               WEEKS_PER_YEAR,
                               ConfigError,
                               weekly_hazard,
                               weekly_prob,
                               weekly_rate,
)
from model.params.build import _deep_merge, make_params, params_from_dict
from model.params.checks import (
                               INSTRUMENT_SETTINGS,
                               LOWER,
                               MAX_AMOUNT,
                               MAX_EVENTS_PER_YEAR,
                               MAX_NUMBER,
                               MAX_RESIDENTS,
                               MAX_SD,
                               MAX_WEEKS,
                               MAX_YEARS,
                               MONEY,
                               ONLY_WHEN,
                               SIGNED,
                               UNIT_INTERVAL,
                               UPPER,
                               Params,
                               ineffective,
                               numeric_fields,
                               upper_bound,
)
from model.params.people import (
                               PLACES,
                               FunderParams,
                               GroupKindParams,
                               GroupParams,
                               PlaceParams,
                               ResidentParams,
                               TieParams,
)
from model.params.policy import (
                               FUNDING_PATHS,
                               GRANT_RULES,
                               MIXTURES,
                               REGIME_NAMES,
                               CommunityDevParams,
                               CouncilParams,
                               FundingParams,
                               GrantsParams,
                               OutcomesParams,
                               PartnershipParams,
                               ProviderParams,
                               RegimeParams,
                               SocialValueParams,
                               TenderParams,
)

__all__ = [
    "AGE_BANDS", "AGE_BAND_YEARS", "FUNDING_PATHS", "GRANT_RULES", "GROUP_KINDS", "INSTRUMENT_SETTINGS", "LOWER",
    "MAX_AMOUNT", "MAX_EVENTS_PER_YEAR", "MAX_NUMBER", "MAX_RESIDENTS", "MAX_SD", "MAX_WEEKS", "MAX_YEARS",
    "MIXTURES", "MONEY", "ONLY_WHEN", "PLACES", "REGIME_NAMES", "SIGNED", "UNIT_INTERVAL", "UPPER",
    "WEEKS_PER_YEAR", "CommunityDevParams", "ConfigError", "CouncilParams", "FundingParams", "GrantsParams",
    "FunderParams", "GroupKindParams", "GroupParams", "OutcomesParams", "Params", "PartnershipParams", "PlaceParams",
    "ProviderParams", "RegimeParams", "ResidentParams", "SocialValueParams", "TenderParams", "TieParams",
    "_deep_merge", "ineffective", "make_params", "numeric_fields", "params_from_dict", "upper_bound",
    "weekly_hazard", "weekly_prob", "weekly_rate",
]

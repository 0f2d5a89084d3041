"""Cluster Matcher: match a company's free-text profile to the Pomeranian cluster that fits it."""

from __future__ import annotations

__version__ = "0.2.0"

from matcher.catalogue import Catalogue, CatalogueError, Cluster, load_catalogue  # noqa: E402
from matcher.estimator import Matcher  # noqa: E402
from matcher.profiles import ProfileError, load_profiles  # noqa: E402
from matcher.types import Evidence, Explanation, LabelledProfile, Match, MatchResult  # noqa: E402

__all__ = [
    # catalogue.py
    "Catalogue",
    "CatalogueError",
    "Cluster",
    "load_catalogue",
    # estimator.py
    "Matcher",
    # profiles.py
    "ProfileError",
    "load_profiles",
    # types.py
    "Evidence",
    "Explanation",
    "LabelledProfile",
    "Match",
    "MatchResult",
    "__version__",
]

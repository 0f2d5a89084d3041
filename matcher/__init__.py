"""Cluster Matcher: match a company's free-text profile to the Pomeranian cluster that fits it."""

from __future__ import annotations

from matcher._version import __version__
from matcher.catalogue import Catalogue, CatalogueError, Cluster, load_catalogue
from matcher.estimator import Matcher
from matcher.profiles import ProfileError, load_profiles
from matcher.types import Evidence, Explanation, LabelledProfile, Match, MatchResult

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

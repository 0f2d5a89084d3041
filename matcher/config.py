"""Paths and model names the library defaults to. Nothing here reads the environment."""

from __future__ import annotations

from pathlib import Path

PROJ_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJ_ROOT / "data"
CATALOGUE_PATH = DATA_DIR / "catalogue" / "clusters.v1.json"
PROFILES_PATH = DATA_DIR / "labelled" / "profiles.v6.jsonl"
VAR_DIR = PROJ_ROOT / "var"
CACHE_DIR = VAR_DIR / "cache"
REPORTS_DIR = PROJ_ROOT / "reports"

#: Bundled offline models: USE multilingual (numpy) and all-MiniLM-L6-v2 (sentence-transformers).
USE_MODEL = "use-multilingual-v3"
MINILM_MODEL = "all-MiniLM-L6-v2"
DEFAULT_ENCODERS: tuple[str, ...] = (USE_MODEL, MINILM_MODEL)

NO_FIT = "none"

"""The library's settings, read at the edges: environment variables ``MATCHER_*`` or a ``.env`` file.

The library itself takes plain arguments; the CLI (and the service, whose HTTP settings extend
these in ``service/settings.py``) read them here and pass them on. CLI options override them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from matcher.config import CACHE_DIR, CATALOGUE_PATH, DEFAULT_ENCODERS, PROFILES_PATH, VAR_DIR


class Settings(BaseSettings):
    """Where the store and the caches are, and which models and data the matcher is built from."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", env_file=".env", env_ignore_empty=True, extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'matcher.db'}",
        description="SQLAlchemy URL of the store (inquiries, feedback, catalogue edits).",
    )
    cache_dir: Path = Field(default=CACHE_DIR, description="Where cluster and example embeddings are cached.")
    encoders: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_ENCODERS,
        description="Comma-separated encoders: 'use-multilingual-v3', and any sentence-transformers name or path.",
    )
    backend: Literal["onnx", "onnx-int8", "torch"] = Field(
        default="onnx",
        description=(
            "How sentence-transformers models run: 'onnx' (ONNX Runtime, same embeddings as torch, no torch"
            " import at start; exported once into the cache), 'onnx-int8' (quantised: faster, embeddings"
            " at cosine ~0.99) or 'torch'."
        ),
    )
    catalogue_path: Path = CATALOGUE_PATH
    profiles_path: Path = PROFILES_PATH

    @field_validator("encoders", mode="before")
    @classmethod
    def _split_encoders(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if not value:
            raise ValueError("at least one encoder is needed")
        return value

    def matcher_args(self) -> dict[str, Any]:
        """The keyword arguments of :func:`matcher.loading.build_matcher` these settings give."""
        return {
            "encoders": self.encoders,
            "backend": self.backend,
            "cache_dir": self.cache_dir,
            "catalogue_path": self.catalogue_path,
            "profiles_path": self.profiles_path,
        }


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""The one place settings are read: environment variables ``MATCHER_*`` or a ``.env`` file.

The CLI's options override them; the service injects :func:`get_settings` so tests can swap it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from matcher.config import CACHE_DIR, CATALOGUE_PATH, DEFAULT_ENCODERS, PROFILES_PATH, VAR_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", env_file=".env", env_ignore_empty=True, extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'matcher.db'}",
        description="SQLAlchemy URL of the store (inquiries, feedback, catalogue edits).",
    )
    cache_dir: Path = Field(default=CACHE_DIR, description="Where cluster and example embeddings are cached.")
    api_key: SecretStr | None = Field(
        default=None, description="Admin key for catalogue edits and the office view; unset refuses them."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
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
    max_text_chars: int = Field(default=20_000, ge=1)
    max_batch: int = Field(default=500, ge=1)
    max_body_bytes: int = Field(default=5_000_000, ge=1024)

    @field_validator("encoders", mode="before")
    @classmethod
    def _split_encoders(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        if not value:
            raise ValueError("at least one encoder is needed")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()

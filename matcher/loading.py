"""Building the matcher the CLI and the service use: catalogue edits and feedback from the store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matcher.catalogue import Catalogue, load_catalogue
from matcher.encoders import Encoder, load_encoder
from matcher.estimator import Matcher
from matcher.settings import Settings

if TYPE_CHECKING:
    from matcher.store import Store


def effective_catalogue(settings: Settings, store: Store | None) -> Catalogue:
    catalogue = load_catalogue(settings.catalogue_path)
    return store.apply_edits(catalogue) if store is not None else catalogue


def build_matcher(
    settings: Settings, store: Store | None, *, encoders: list[Encoder] | None = None
) -> Matcher:
    """The bundled train split plus the store's feedback as examples, dev for calibration.

    Pass already-loaded ``encoders`` to refit without loading the models again.
    """
    encs = encoders or [load_encoder(name) for name in settings.encoders]
    feedback = store.feedback_profiles() if store is not None else []
    catalogue = effective_catalogue(settings, store)
    return Matcher.from_defaults(
        catalogue=catalogue,
        profiles=settings.profiles_path,
        feedback=feedback,
        encoders=encs,
        cache_dir=settings.cache_dir,
    )

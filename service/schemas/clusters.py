"""The catalogue's models: a cluster in, a cluster or the catalogue out."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    Field,
)

from matcher.catalogue import Catalogue, Cluster
from service.schemas.types import (
    VISIBLE,
    NonBlank,
    _In,
)

# -- clusters -------------------------------------------------------------------------------------


class LangTexts(_In):
    en: NonBlank
    pl: NonBlank


class LangLists(_In):
    en: list[NonBlank] = Field(min_length=1)
    pl: list[NonBlank] = Field(min_length=1)


class ClusterUpdate(_In):
    """A whole cluster for ``PUT /v1/clusters/{id}`` (creates it, or replaces it); the id is the path's."""

    name: LangTexts
    description: LangTexts
    terms: LangLists
    typical_members: LangLists
    former_names: list[NonBlank] = Field(default_factory=list)
    url: Annotated[str, Field(max_length=2000, pattern=rf"^https?://{VISIBLE}+$")] | None = None

    def to_payload(self, cluster_id: str) -> dict[str, Any]:
        """The catalogue's JSON form of this cluster, with the id from the path."""
        return {"id": cluster_id, **self.model_dump()}


class ClusterSummary(BaseModel):
    """What a client needs to show a cluster: names, description and link, in English and Polish."""

    id: str
    name: dict[str, str]
    description: dict[str, str]
    former_names: list[str]
    url: str | None

    @classmethod
    def of(cls, cluster: Cluster) -> Self:
        return cls.model_validate(cluster.to_dict())


class ClusterPublic(ClusterSummary):
    """A cluster with the terms and member sketches it is matched by."""

    terms: dict[str, list[str]]
    typical_members: dict[str, list[str]]


class ClustersPublic(BaseModel):
    data: list[ClusterPublic]
    count: int

    @classmethod
    def of(cls, catalogue: Catalogue) -> ClustersPublic:
        data = [ClusterPublic.of(c) for c in catalogue]
        return cls(data=data, count=len(data))

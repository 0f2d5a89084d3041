"""``/v1/clusters``: the catalogue, and its admin edits (re-embedded without a restart)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.deps import Admin, RuntimeDep
from service.schemas import ClusterPublic, ClustersPublic, ClusterUpdate, Message, NewClusterId, responses

router = APIRouter(prefix="/clusters", tags=["clusters"])
AnyId = Annotated[str, Path(max_length=200)]


@router.get("", response_model=ClustersPublic, responses=responses(503))
def list_clusters(runtime: RuntimeDep) -> ClustersPublic:
    """The catalogue the matcher works with (the bundled file plus the stored edits)."""
    return ClustersPublic.of(runtime.catalogue())


@router.get("/{cluster_id}", response_model=ClusterPublic, responses=responses(404, 503))
def read_cluster(cluster_id: AnyId, runtime: RuntimeDep) -> ClusterPublic:
    """One cluster, with the terms and member sketches it is matched by."""
    return ClusterPublic.of(runtime.cluster(cluster_id))


@router.put(
    "/{cluster_id}", response_model=ClusterPublic, dependencies=[Admin], responses=responses(401, 413, 429, 503)
)
def put_cluster(cluster_id: Annotated[NewClusterId, Path()], body: ClusterUpdate, runtime: RuntimeDep) -> ClusterPublic:
    """Create or replace a cluster (admin); answered once stored, then the matcher is refitted in the background."""
    return ClusterPublic.of(runtime.put_cluster(cluster_id, body.to_payload(cluster_id)))


@router.delete(
    "/{cluster_id}", response_model=Message, dependencies=[Admin], responses=responses(401, 404, 409, 429, 503)
)
def delete_cluster(cluster_id: AnyId, runtime: RuntimeDep) -> Message:
    """Remove a cluster (admin); the last one cannot be removed."""
    runtime.delete_cluster(cluster_id)
    return Message(detail=f"cluster {cluster_id!r} deleted")

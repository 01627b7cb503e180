"""The planner's editor: the document it loads and a plan's changes since a version.

Both answers name staff and are for planners: the planners of the plan's area (and
admins), as the edit routes are.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from api.auth import PlanEditor
from api.deps import SessionDep
from api.params import DbId
from api.schemas.editor import EditorDocument, PlanChanges
from api.schemas.errors import route_responses
from gisgrid.db import queries
from gisgrid.db.audit_store import plan_changes
from gisgrid.plans.editor_data import editor_document

router = APIRouter(prefix="/v1/plans", tags=["plan editor"])


# Documented, not re-validated: a district's units are a large body written as built.
@router.get("/{plan_id}/units", summary="The units (blocks, building parcels) of a plan to paint into grids, "
                                        "their neighbours, the grids and teams: the editor's document",
            response_class=Response, responses=route_responses(404, 422, 503, ok=EditorDocument))
def units(plan_id: DbId, session: SessionDep, who: PlanEditor) -> Response:
    return Response(editor_document(session, plan_id), media_type="application/json")


@router.get("/{plan_id}/changes",
            summary="The changes made to a plan since a version (who, when, which grids)",
            response_model=PlanChanges, responses=route_responses(404, 422, 503))
def changes(plan_id: DbId, session: SessionDep, who: PlanEditor,
            since: int = Query(..., ge=0, le=2**31 - 1, description="The version the client has"),
            ) -> dict[str, Any]:
    plan = queries.get_plan(session, plan_id)
    return {"plan_id": plan_id, "version": plan["version"], "since": since,
            "changes": plan_changes(session, plan_id, since_version=since)}

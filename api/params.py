"""Parameter types shared by the routes (path, query and body fields alike).

A database id is a PostgreSQL ``integer``: a path such as ``/v1/plans/3000000000``
would otherwise reach the database and fail there (500); bounded here it is a 422
naming the parameter, before any query runs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

#: Largest value of a PostgreSQL ``integer`` column (ids, versions, counts).
PG_INT_MAX = 2**31 - 1

#: A row id (plan, grid, ...): 1 .. 2³¹−1.
DbId = Annotated[int, Field(ge=1, le=PG_INT_MAX)]

#: Any other stored integer (a version, a household bound): 0 .. 2³¹−1.
DbInt = Annotated[int, Field(ge=0, le=PG_INT_MAX)]

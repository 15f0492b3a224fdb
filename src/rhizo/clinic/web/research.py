"""The researcher's page: the de-identified export as files, and its data dictionary.

Who may open it: the roles holding ``deidentified:read`` (the researcher; the
admin holds every permission), the REST API's ``/api/v1/research/cases``
readers. The files are the same cases as that API's JSON
(:func:`rhizo.clinic.research.service.export_all`, one builder): a zip of one
CSV per table, or a zip of one Parquet file per table, each with the data
dictionary inside. Every exported patient leaves an ``export`` audit row naming
the file's format. The export is as of the clinic's today, the day the
Outcomes page's figures are as of.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.research import files, service
from rhizo.clinic.research.dictionary import dictionary, table_meanings
from rhizo.clinic.web.access import PageAccess, WebUser
from rhizo.clinic.web.clinic_time import clinic_today, clinic_zone
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

ResearchUser = Annotated[WebUser, Depends(PageAccess(Permission.DEIDENTIFIED_READ))]
#: File format -> (builder, file name suffix, media type).
FORMATS = {
    "csv": (files.csv_zip, "csv", "application/zip"),
    "parquet": (files.parquet_zip, "parquet", "application/zip"),
}


@router.get("/research", response_class=HTMLResponse)
def research_page(request: Request, user: ResearchUser) -> Response:
    """The download links and the data dictionary (every column of every table)."""
    columns = dictionary()
    context = {
        "tables": table_meanings(),
        "columns": columns,
        "as_of": clinic_today(request),
    }
    return render(request, "research.html", context, user=user)


def _download(request: Request, user: WebUser, session: SessionDep, fmt: str) -> Response:
    build, suffix, media = FORMATS[fmt]
    today = clinic_today(request)
    cases = service.export_all(
        session=session,
        actor=user.actor,
        pseudonym_key=request.app.state.settings.pseudonym_secret,
        today=today,
        zone=clinic_zone(request),
        file_format=fmt,
    )
    name = f"rhizo-research-{today.isoformat()}-{suffix}.zip"
    return Response(
        build(cases),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/research/export-csv.zip")
def download_csv(request: Request, user: ResearchUser, session: SessionDep) -> Response:
    """Zip of one CSV per table and ``data_dictionary.csv`` (every patient audited)."""
    return _download(request, user, session, "csv")


@router.get("/research/export-parquet.zip")
def download_parquet(request: Request, user: ResearchUser, session: SessionDep) -> Response:
    """Zip of one Parquet file per table and ``data_dictionary.csv`` (audited)."""
    return _download(request, user, session, "parquet")

"""The ``gisgrid`` command line: verbs mirror the core (db, demo, serve)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import typer

from gisgrid.cli.blocks import blocks_cmd
from gisgrid.cli.common import fail as _fail
from gisgrid.cli.common import new_app
from gisgrid.cli.coverage import coverage_app
from gisgrid.cli.export import export_app
from gisgrid.cli.imports import import_cmd
from gisgrid.cli.lookup import register as register_lookup
from gisgrid.cli.maps import register as register_map
from gisgrid.cli.plan import plan_app
from gisgrid.cli.requests import requests_app
from gisgrid.cli.resources import resources_app
from gisgrid.cli.users import users_app
from gisgrid.db.engine import ready_engine
from gisgrid.errors import GisGridError
from gisgrid.settings import DatabaseSettings, Settings

#: The web application factory ``gisgrid serve`` runs (see ``serve``).
APP = "api.app:create_app"

app = new_app("gisgrid: plan, check and serve community service grids (网格) on PostGIS.")
db_app = new_app("The database: the embedded PostGIS under ./.gisgrid, or "
                     "GISGRID_DATABASE_URL.")
app.add_typer(db_app, name="db")
app.add_typer(coverage_app, name="coverage")
app.add_typer(plan_app, name="plan")
app.add_typer(export_app, name="export")
app.add_typer(users_app, name="users")
app.add_typer(requests_app, name="requests")
app.add_typer(resources_app, name="resources")
register_lookup(app)  # assign, lookup
register_map(app)  # map



@db_app.command("up")
def db_up() -> None:
    """Start the embedded PostGIS if needed (idempotent) and apply migrations."""
    settings = DatabaseSettings()
    try:
        engine = ready_engine(settings)
    except GisGridError as exc:
        _fail(exc)
    where = "GISGRID_DATABASE_URL" if settings.database_url else f"embedded cluster in {settings.home}"
    typer.echo(f"database ready ({where}): {engine.url.render_as_string(hide_password=True)}")


@db_app.command("down")
def db_down() -> None:
    """Stop the embedded PostGIS (only gisgrid's own server)."""
    from gisgrid.db.local import LocalCluster

    settings = DatabaseSettings()
    if settings.database_url:
        typer.echo("GISGRID_DATABASE_URL is set: that server is not gisgrid's to stop.")
        return
    try:
        stopped = LocalCluster(settings.home, settings.pg_bin).stop()
    except GisGridError as exc:
        _fail(exc)
    typer.echo("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    """Say whether the embedded PostGIS runs, and print its URL."""
    from gisgrid.db.local import LocalCluster

    settings = DatabaseSettings()
    if settings.database_url:
        typer.echo(f"using GISGRID_DATABASE_URL: {settings.database_url}")
        return
    try:
        st = LocalCluster(settings.home, settings.pg_bin).status()
    except GisGridError as exc:
        _fail(exc)
    state = "running" if st.running else ("stopped" if st.initialised else "not created")
    typer.echo(f"embedded PostGIS: {state}")
    typer.echo(f"data: {st.data_dir}\nlog:  {st.log_file}")
    if st.url:
        typer.echo(f"url:  {st.url}")
    if not st.running:
        raise typer.Exit(1)


@app.command("demo")
def demo(
    file: Path = typer.Option(None, help="Demo GeoPackage (default: data/demo/yuyang.gpkg)"),
    replace: bool = typer.Option(False, "--replace", help="Reload when already loaded"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file, write nothing"),
) -> None:
    """Load the Yuyang demo (real district boundary, synthetic urban core)."""
    from gisgrid.db.engine import session_scope
    from gisgrid.demo.load import DEMO_FILE, load_demo
    from gisgrid.errors import ConflictError

    path = file or DEMO_FILE
    started = time.monotonic()
    try:
        if dry_run:
            summary = load_demo(None, path, dry_run=True)  # type: ignore[arg-type]
        else:
            engine = ready_engine(DatabaseSettings())
            with session_scope(engine) as session:
                summary = load_demo(session, path, replace=replace)
    except ConflictError as exc:
        typer.echo(f"{exc.message} (nothing changed)")
        return
    except GisGridError as exc:
        _fail(exc)
    verb = "would load" if summary.dry_run else "loaded"
    counts = ", ".join(f"{k} {v:,}" for k, v in summary.rows.items())
    typer.echo(f"{verb} district {summary.district_code}: {counts} "
               f"({time.monotonic() - started:.1f} s)")
    if summary.plan_id:
        typer.echo(f"active plan: {summary.plan_id}")


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="Address to listen on (default 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default 8000)"),
    workers: int = typer.Option(1, min=1, help="Server processes (each keeps its own lookup cache)"),
    access_log: bool = typer.Option(True, help="Log every request (off: a little more throughput)"),
) -> None:
    """Serve the API (/docs) and the maps (/maps/) on the database in use."""
    import uvicorn

    settings = Settings()
    host, port = host or settings.server.host, port or settings.server.port
    try:
        engine = ready_engine(settings.db)
        url = engine.url.render_as_string(hide_password=False)
        engine.dispose()
    except GisGridError as exc:
        _fail(exc)
    typer.echo(f"gisgrid on http://{host}:{port}/ "
               f"(API docs at /docs, maps at /maps/; {workers} worker{'s' if workers > 1 else ''})")
    # The web app is named by its import string, as uvicorn's own command line names it:
    # the core never imports the web layer (api/ imports gisgrid/, not the reverse). The
    # app reads its settings from the environment, so pass on the database resolved here.
    os.environ["GISGRID_DATABASE_URL"] = url
    # Idle keep-alive connections close after 5 s; a shutdown waits at most 10 s for open
    # requests. Request bodies that stop arriving are the app's to cut off (api.guard:
    # GISGRID_READ_TIMEOUT_S, GISGRID_BODY_TIMEOUT_S): uvicorn has no setting for them.
    uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level="info",
                access_log=access_log, timeout_keep_alive=5, timeout_graceful_shutdown=10)


app.command("blocks")(blocks_cmd)
app.command("import")(import_cmd)


def main() -> None:
    app(prog_name="gisgrid")


if __name__ == "__main__":
    sys.exit(main())

"""``flask`` command groups for operators: config, db, kb, eval.

``create_cli_app`` is the ``FLASK_APP`` entry point: when the configuration itself is invalid it
still starts, so ``flask config check`` can print the problems instead of a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml
from flask import Flask, current_app
from flask.cli import AppGroup

from app.config import ConfigError, masked, production_problems
from app.engine.knowledge import KnowledgeError, SearchHit
from app.request_context import current_config, current_services
from app.storage.migrate import upgrade_database

BUNDLED_KNOWLEDGE = Path(__file__).resolve().parent / "knowledge_base"

config_cli = AppGroup("config", help="Inspect and validate the effective configuration.")


@config_cli.command("check")
def check_config() -> None:
    """Exit non-zero and print one line per problem with the effective configuration."""
    problems = production_problems(current_config())
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"configuration ok ({current_config().app.env})")


@config_cli.command("show")
def show_config() -> None:
    """Print the effective configuration as YAML with every secret masked."""
    click.echo(yaml.safe_dump(masked(current_config()), sort_keys=False, allow_unicode=True), nl=False)


db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the current schema (SQLite by default, PostgreSQL via DATABASE_URL)."""
    upgrade_database(current_services().engine)
    click.echo("database is at the current schema")


kb_cli = AppGroup("kb", help="Knowledge base: ingest, search, status, reindex, gaps.")


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@kb_cli.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--tag", "tags", multiple=True, help="Tag every ingested document (repeatable).")
@click.option("--prune", is_flag=True, help="Remove documents whose source file disappeared.")
def kb_ingest(paths: tuple[Path, ...], tags: tuple[str, ...], prune: bool) -> None:
    """Ingest files or directories (Markdown, text, HTML, JSON FAQ, SQuAD JSON)."""
    knowledge = current_services().knowledge
    roots = [p if p.is_dir() else p.parent for p in paths]
    try:
        report = knowledge.ingest(list(paths), tags=list(tags), prune=prune, progress=True, roots=roots)
    except KnowledgeError as exc:
        fail(f"ingest failed: {exc}")
    for problem in report.errors:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(report.summary())


@kb_cli.command("bootstrap")
def kb_bootstrap() -> None:
    """Ingest the bundled user guide when the knowledge base is empty (first run)."""
    knowledge = current_services().knowledge
    if knowledge.status(check_sources=False).documents:
        click.echo("knowledge base already has documents; nothing to do")
        return
    report = knowledge.ingest([BUNDLED_KNOWLEDGE], tags=["guide"], progress=False, roots=[BUNDLED_KNOWLEDGE])
    click.echo(f"bundled guide ingested: {report.summary()}")


_HIT_INTERNALS = frozenset({"text", "scan_signature", "scanned_text", "query_terms", "snippet_chars"})


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    fields = {k: v for k, v in dataclasses.asdict(hit).items() if k not in _HIT_INTERNALS}
    return {**fields, "snippet": hit.snippet}


@kb_cli.command("search")
@click.argument("query", required=False)
@click.option("--lang", default=None, help="Prefer passages in this language.")
@click.option("--top", "top_k", default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@click.option("--queries", type=click.File("r", encoding="utf-8"), help="One query a line, or JSON lines.")
def kb_search(query: str | None, lang: str | None, top_k: int, as_json: bool, queries: Any) -> None:
    """Ranked passages for QUERY, or for every line of --queries (printed as JSON lines)."""
    knowledge = current_services().knowledge
    if queries is not None:
        for line in queries:
            line = line.strip()
            if not line:
                continue
            item = json.loads(line) if line.startswith("{") else {"query": line}
            hits = knowledge.search(str(item["query"]), lang=item.get("lang"), top_k=top_k)
            click.echo(json.dumps({"query": item["query"], "hits": [_hit_json(h) for h in hits]}, ensure_ascii=False))
        return
    if not query:
        fail("give a QUERY or --queries FILE")
    hits = knowledge.search(query, lang=lang, top_k=top_k)
    for rank, hit in enumerate(hits, 1):
        if as_json:
            click.echo(json.dumps(_hit_json(hit), ensure_ascii=False))
        else:
            click.echo(f"{rank}. [{hit.document_id}] {hit.title} ({hit.language}) {hit.score:.4f}\n   {hit.snippet}")


@kb_cli.command("status")
@click.option("--json", "as_json", is_flag=True)
def kb_status(as_json: bool) -> None:
    """Counts, index version, embedding model and stale documents."""
    status = current_services().knowledge.status()
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(status), default=str, ensure_ascii=False))
        return
    click.echo(f"documents {status.documents}, chunks {status.chunks}, languages {status.languages}")
    click.echo(f"index version {status.index_version} (loaded {status.loaded_version}), "
               f"model {status.embedding_model} ({status.dimension}), chunking {status.chunking}")
    click.echo(f"index age {status.index_age_seconds or 0:.0f} s, stale documents {len(status.stale)}")
    for stale in status.stale:
        click.echo(f"  stale: [{stale.document_id}] {stale.source}: {stale.reason}")
    if status.error:
        click.echo(f"error: {status.error}", err=True)


@kb_cli.command("reindex")
@click.option("--full", is_flag=True, help="Re-embed every document, not only stale ones.")
def kb_reindex(full: bool) -> None:
    """Rebuild the derived indexes into a new version and switch to it atomically."""
    report = current_services().knowledge.reindex(full=full)
    click.echo(f"index version {report.version}: {report.reembedded_documents} documents re-embedded, "
               f"{report.chunks} chunks, {report.rescanned_chunks} rescanned, {report.seconds:.1f} s")


# A question may be 4,000 characters long; a line of the gaps table shows its start.
_GAP_SHOWN_CHARS = 200


@kb_cli.command("gaps")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--tenant", default="", help="Tenant whose gaps to list (default: no tenant).")
def kb_gaps(limit: int, tenant: str) -> None:
    """The most frequent questions the bot could not answer."""
    gaps = current_services().gaps.top(tenant, limit)
    if not gaps:
        click.echo("no unanswered questions recorded")
    for gap in gaps:
        question = " ".join(gap.question.split())
        if len(question) > _GAP_SHOWN_CHARS:
            question = question[: _GAP_SHOWN_CHARS - 1] + "…"
        click.echo(f"{gap.count:5d}  [{gap.language}]  {question}  (last {gap.last_seen:%Y-%m-%d %H:%M})")


eval_cli = AppGroup("eval", help="Golden conversation evaluations.")


@eval_cli.command("run")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def eval_run(path: Path, as_json: bool) -> None:
    """Run a golden conversation file through the HTTP API; pass rate per category, latency."""
    from app.evals import load_suite, run_suite

    try:
        suite = load_suite(path)
    except ValueError as exc:
        fail(str(exc))
    report = run_suite(current_app._get_current_object(), suite)  # type: ignore[attr-defined]
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.table())
    if report.failures:
        sys.exit(1)


def _broken_config_app(error: ConfigError) -> Flask:
    app = Flask("app")
    # Plain click commands: an AppGroup would try to load the (unloadable) app again.
    broken = click.Group("config", help="Inspect and validate the effective configuration.")

    @broken.command("check")
    def report() -> None:
        for problem in error.problems:
            click.echo(problem, err=True)
        sys.exit(1)

    @broken.command("show")
    def show() -> None:
        report()

    app.cli.add_command(broken)
    return app


def create_cli_app() -> Flask:
    from app import create_app

    try:
        return create_app()
    except ConfigError as error:
        return _broken_config_app(error)

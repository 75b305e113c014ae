"""Store a demo run in the database (the service and the CLI both do)."""

from sqlalchemy.orm import Session

from service.db.models import DemoRun
from service.demo.linear import LinearDemoResult


def save_linear(session: Session, result: LinearDemoResult, code_version: str) -> int:
    """Insert one `linear` demo run and return its id (the caller commits)."""
    values = result.to_dict()
    values["losses"] = [[float(epoch), float(loss)] for epoch, loss in result.losses]
    run = DemoRun(demo="linear", code_version=code_version, **values)
    session.add(run)
    session.flush()
    return run.id

import pytest
from chainrule.app.main import create_app
from chainrule.app.settings import Settings
from chainrule.engine.limits import Limits
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client():
    """The real app with its worker pool (two processes), as served."""
    app = create_app(Settings(workers=2))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def tight_client():
    """A pool with a short time limit, for runaway programs."""
    app = create_app(Settings(workers=1, limits=Limits(max_seconds=0.5)))
    with TestClient(app) as c:
        yield c

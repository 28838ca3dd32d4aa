"""A bounded schemathesis run against the live app: every operation of /api/openapi.json gets generated
valid and invalid requests, with an API token, and every answer must be no server error and exactly what
the document says (status, content type, body schema, headers).

Bounded: at most 40 generated requests per operation (about 300 in all, well under two minutes on SQLite),
derandomized so a failure reproduces. The outside audit ran 6,566 of them; this keeps the classes it found
(undocumented statuses, error bodies unlike their schema, 500s on odd input) from coming back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from paperfeed.config import Settings
from paperfeed.services import accounts
from paperfeed.store import Database
from paperfeed.web.app import create_app
from tests.support.live_server import add_paper, free_port

pytestmark = pytest.mark.schemathesis
DAY = date(2026, 7, 1)
TOKEN: dict[str, str] = {}  # the run's API token, made by the fixture (the test gets only `case`)


# A parameter that fits its schema may still name no period (date=2026-02-30, week=2026-W53 of a 52-week
# year, the last week of 9999): the API answers that with its documented 400 and a sentence.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "404", "429", "503"]}
        }
    }
)
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}  # per operation


@pytest.fixture
def api_schema(sqlite_db: Database, tmp_path: Path) -> BaseSchema:
    add_paper(
        sqlite_db,
        "2607.00001",
        "Diffusion models for weather",
        DAY,
        external_upvotes=3,
        categories=("cs.LG",),
    )
    add_paper(sqlite_db, "2607.00002", "Sparse attention revisited", DAY)
    add_paper(sqlite_db, "2606.00003", "Yesterday's transformer", date(2026, 6, 30))
    user = accounts.sign_up(sqlite_db, "fuzzer", "a long enough password")
    TOKEN["value"] = accounts.new_api_token(sqlite_db, user.id)
    # arXiv is a closed local port: a submission fails at once with the documented 503.
    settings_ = Settings(
        home=tmp_path,
        secret_key="schemathesis-secret-key-for-tests",
        arxiv_api_url=f"http://127.0.0.1:{free_port()}/api/query",
        http_retries=0,
        request_interval_s=0.0,
    )
    app = create_app(settings_, sqlite_db, clock=lambda: datetime(2026, 7, 1, 12, tzinfo=UTC))
    return schemathesis.openapi.from_asgi("/api/openapi.json", app, config=CONFIG)


def test_every_api_answer_is_what_the_schema_says(api_schema: BaseSchema) -> None:
    # Not @schema.parametrize(): its fixture-loaded form does not run under pytest 9 (schemathesis 4.32.5
    # reads a node attribute pytest 9 removed), so each operation's strategy is run here with Hypothesis.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8, [o.label for o in operations]
    auth = {"Authorization": f"Bearer {TOKEN['value']}"}
    sent: list[str] = []
    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def answers_as_documented(case: schemathesis.Case) -> None:
                sent.append(case.operation.label)
                # a negative case may be negative by lacking the Authorization header: adding the token
                # back would turn it into a valid request (then "accepted negative data")
                case.call_and_validate(headers=auth if "Authorization" in (case.headers or {}) else {})

            try:
                answers_as_documented()
            except Unsatisfiable:  # nothing about this operation can be made invalid (a bare path string)
                assert mode == GenerationMode.NEGATIVE, operation.label
    print({label: sent.count(label) for label in dict.fromkeys(sent)})
    assert len(sent) >= 200, len(sent)  # a few hundred requests, every operation among them

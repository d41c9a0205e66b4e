"""A fresh process answers its very first request: nothing waits for an earlier request to set things up."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_REQUEST = """
import sys
from flask_migrate import upgrade
from sqlalchemy import text
from app import create_app
from app.extensions import db
from tests.builders import request_body
from tests.conftest import base_config

app = create_app(base_config(sys.argv[1]))
with app.app_context():
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO services (slug, name) VALUES ('email-marketing', 'Email marketing')"))
answer = app.test_client().post("/api/v1/requests", json=request_body())
print(answer.status_code, answer.get_json()["status"])
"""


def test_a_find_a_partner_request_is_the_first_thing_a_new_process_serves(tmp_path):
    run = subprocess.run([sys.executable, "-c", FIRST_REQUEST, f"sqlite:///{tmp_path / 'first.sqlite3'}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["201", "unmatched"]

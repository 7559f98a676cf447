"""The scale-out run's helpers (bench/scale_out.py), without starting any server."""

import shutil
import subprocess

import pytest
from django.core.cache import cache

from bench.scale_out import (
    expected_progress,
    haproxy_config,
    haproxy_retries,
    progress_plan,
)
from bench.scale_tasks import mark, mark_key

SERVERS = {"app1": 8001, "app2": 8002}


def config_lines():
    return [line.strip() for line in haproxy_config(9000, SERVERS).splitlines()]


def test_haproxy_balances_over_every_server_with_health_checks():
    lines = config_lines()
    assert "bind 127.0.0.1:9000" in lines
    assert "balance roundrobin" in lines
    assert "option httpchk GET /health/ HTTP/1.1" in lines
    # ALLOWED_HOSTS refuses a probe without the host it expects.
    assert "http-check send hdr Host 127.0.0.1" in lines
    assert "server app1 127.0.0.1:8001 check" in lines
    assert "server app2 127.0.0.1:8002 check" in lines


def test_haproxy_retries_a_failed_request_on_another_server():
    lines = config_lines()
    # Only a request haproxy holds whole can be sent again.
    assert "option http-buffer-request" in lines
    assert "retries 3" in lines
    assert "option redispatch 1" in lines
    assert "retry-on conn-failure empty-response response-timeout" in lines


def test_haproxy_says_who_asked_and_who_answered():
    lines = config_lines()
    assert "option forwardfor" in lines
    assert "http-response set-header X-Served-By %s" in lines


@pytest.mark.skipif(not shutil.which("haproxy"), reason="haproxy is not installed")
def test_haproxy_accepts_the_config(tmp_path):
    path = tmp_path / "haproxy.cfg"
    path.write_text(haproxy_config(9000, SERVERS))
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "WARNING" not in checked.stdout + checked.stderr


def test_retries_are_counted_from_the_log():
    log = [
        "GET /health/ 200 app1 0 ----",
        "POST /items/5/progress/ 200 app1 +1 ----",
        "POST /items/6/progress/ 200 app2 2 ----",
        "[WARNING]  (123) : Server app/app2 is DOWN, reason: Layer4 connection problem",
        "Server app/app2 is DOWN, 1 active and 0 backup servers left.",
    ]
    assert haproxy_retries(log) == {"requests": 3, "retried": 2, "redispatched": 1}


def test_progress_plan_alternates_each_clients_own_items():
    plans = progress_plan([1, 2, 3, 4], requests=9, clients=2)
    assert [len(plan) for plan in plans] == [5, 4]
    assert plans[0] == [
        (1, "done"),
        (3, "done"),
        (1, "not_started"),
        (3, "not_started"),
        (1, "done"),
    ]
    assert plans[1] == [(2, "done"), (4, "done"), (2, "not_started"), (4, "not_started")]


def test_progress_plan_needs_an_item_per_client():
    with pytest.raises(ValueError, match="3 clients need 3 items"):
        progress_plan([1, 2], requests=10, clients=3)


def test_expected_progress_keeps_each_items_changes_in_order():
    answered = [(1, "done"), (2, "done"), (1, "not_started"), (1, "done")]
    assert expected_progress(answered) == {1: ["done", "not_started", "done"], 2: ["done"]}


def test_mark_counts_each_run():
    cache.delete(mark_key("m1"))
    assert mark.call("m1") == 1
    assert mark.call("m1") == 2
    assert cache.get(mark_key("m1")) == 2

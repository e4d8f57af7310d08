"""The small load test: 2 instances of `procall serve` on one Postgres, 20 concurrent cancellations,
one instance SIGKILLed mid-run and restarted. Every conversation must end right."""

from __future__ import annotations

import asyncio

import pytest

from procall.server.loadtest import run_load


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_twenty_conversations_over_two_instances_one_killed(pg_cluster, tmp_path):
    url = pg_cluster.create_database()
    report, ok = asyncio.run(run_load(url, instances=2, conversations=20, kill=True, max_seconds=400,
                                      workdir=tmp_path))
    assert report["killed_instance"] == 1 and report["killed_instance_back_after_s"] is not None
    assert report["conversations_right"] == 20, report["failures"]
    assert report["final_store_equals_expected"] is True
    assert (report["duplicate_writes"], report["lost_writes"], report["interleaved_turns"]) == (0, 0, 0)
    assert report["5xx_from_instances_not_killed"] == 0
    assert ok, report

"""The token buckets ingest keeps in its own memory while Redis cannot be asked: the script's
verdicts, and a bounded number of buckets. No server: times are given, as the clock gives
them to the limiter."""

from __future__ import annotations

from crm_ingest.rate_limit import LocalBuckets


def test_a_bucket_grants_its_burst_then_one_token_per_refill() -> None:
    buckets = LocalBuckets(per_second=2.0, burst=3, max_buckets=10)
    assert buckets.take("acme:events", 0, 10) == (3, 500)  # next token in 1/2 s
    assert buckets.take("acme:events", 250, 1) == (0, 250)  # half a token is not one
    assert buckets.take("acme:events", 500, 2) == (1, 500)
    assert buckets.take("acme:hooks_dm", 500, 1) == (1, 0)  # another bucket is full
    # Idle for longer than a full refill, a bucket holds its burst, never more.
    assert buckets.take("acme:events", 60_000, 5) == (3, 500)


def test_a_clock_going_back_refills_nothing() -> None:
    buckets = LocalBuckets(per_second=1.0, burst=1, max_buckets=10)
    assert buckets.take("k", 10_000, 1) == (1, 0)
    assert buckets.take("k", 5_000, 1) == (0, 1000)
    assert buckets.take("k", 11_000, 1) == (1, 0)


def test_buckets_refilled_to_their_burst_are_forgotten() -> None:
    # A full bucket gives the same verdicts as no bucket, so dropping it changes nothing.
    buckets = LocalBuckets(per_second=1.0, burst=2, max_buckets=10)
    buckets.take("a", 0, 1)
    buckets.take("b", 500, 2)
    assert len(buckets) == 2
    buckets.take("c", 1_000, 1)  # "a" is full again (1 token + 1 s at 1/s)
    assert len(buckets) == 2
    buckets.take("c", 2_500, 1)  # "b" is full again too
    assert len(buckets) == 1
    assert buckets.take("b", 2_500, 3) == (2, 1000)


def test_past_the_cap_the_least_recently_used_bucket_goes() -> None:
    buckets = LocalBuckets(per_second=1.0, burst=1, max_buckets=2)
    for key in ("a", "b", "a", "c"):
        buckets.take(key, 0, 1)
    assert len(buckets) == 2
    assert buckets.take("a", 0, 1) == (0, 1000)  # "a" was kept: used after "b"
    assert buckets.take("b", 0, 1) == (1, 0)  # "b" went and starts full again

from datetime import UTC, datetime, timedelta, timezone

from app.storage.models import as_utc, utcnow


def test_naive_timestamps_read_back_from_sqlite_are_taken_as_utc() -> None:
    assert as_utc(datetime(2026, 11, 24, 12, 0)) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_aware_timestamps_keep_their_zone_and_none_stays_none() -> None:
    berlin = datetime(2026, 11, 24, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(berlin) is berlin
    assert as_utc(None) is None


def test_utcnow_is_aware() -> None:
    assert utcnow().tzinfo is UTC

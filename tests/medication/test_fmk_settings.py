"""The FMK notice channel is a setting: DUALPATH_FMK_NOTICE_URL and DUALPATH_FMK_NOTICE_TIMEOUT."""

import pytest
from pydantic import ValidationError

from dualpath.activities.fmk import HttpFmkNotifier, LocalRecorder
from dualpath.settings import Settings
from dualpath.worker import activities


def _notifier(settings: Settings):
    [send] = [a for a in activities(None, object(), settings) if a.__name__ == "send_fmk_notice"]
    return send.__self__.notifier


def test_the_worker_sends_notices_over_http_when_a_url_is_set(monkeypatch):
    monkeypatch.setenv("DUALPATH_FMK_NOTICE_URL", "https://fmk-adapter.example/notices")
    monkeypatch.setenv("DUALPATH_FMK_NOTICE_TIMEOUT", "4.5")
    settings = Settings(_env_file=None)
    assert settings.fmk_notice_url == "https://fmk-adapter.example/notices"
    notifier = _notifier(settings)
    assert isinstance(notifier, HttpFmkNotifier) and notifier.url == settings.fmk_notice_url
    assert notifier._timeout.read == 4.5


def test_without_a_url_notices_are_recorded_locally_and_the_timeout_stays_below_the_activitys():
    assert isinstance(_notifier(Settings(_env_file=None)), LocalRecorder)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, fmk_notice_timeout=60)

"""The language a front end speaks when nothing says otherwise: from the names real systems give
their locale (issue 13 item 7). Windows reports 'Chinese (Simplified)_China.936', not zh_CN."""
from __future__ import annotations

import locale
import plistlib
import sys

import pytest

from addin import i18n
from addin.i18n import locale_lang, macos_languages, system_lang, windows_ui_lang

REAL_NAMES = [
    # Windows: locale.getlocale() and setlocale names
    ("Chinese (Simplified)_China.936", "zh"),
    ("Chinese (Simplified)_China", "zh"),
    ("Chinese (Simplified)_Singapore.936", "zh"),
    ("Chinese (Traditional)_Taiwan.950", "zh"),
    ("Chinese (Traditional)_Hong Kong SAR.950", "zh"),
    ("Chinese_China.936", "zh"),
    ("Chinese_People's Republic of China.936", "zh"),
    ("chinese-simplified", "zh"),
    ("chs", "zh"),
    ("cht", "zh"),
    ("English_United States.1252", "en"),
    ("English_United Kingdom", "en"),
    ("German_Germany.1252", "en"),
    ("Japanese_Japan.932", "en"),
    # macOS / Linux: LANG, LC_ALL, LC_MESSAGES, AppleLanguages, AppleLocale
    ("zh_CN.UTF-8", "zh"),
    ("zh_CN.GB18030", "zh"),
    ("zh_CN.gbk", "zh"),
    ("zh_TW", "zh"),
    ("zh_TW.Big5", "zh"),
    ("zh_HK.UTF-8", "zh"),
    ("zh-Hans-CN", "zh"),
    ("zh-Hant-TW", "zh"),
    ("zh-Hans", "zh"),
    ("zh", "zh"),
    ("zh_CN:en_US:en", "zh"),          # GNU LANGUAGE: a list, first preferred
    ("en_US.UTF-8", "en"),
    ("en-CN", "en"),                    # English interface set in China
    ("ja_JP.UTF-8", "en"),
    ("de_DE@euro", "en"),
    # names that say nothing: the next source decides
    ("C", None),
    ("C.UTF-8", None),
    ("POSIX", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize("name, lang", REAL_NAMES)
def test_locale_names_as_systems_report_them(name, lang):
    assert locale_lang(name) == lang


@pytest.mark.parametrize("langid, lang", [(0x0804, "zh"), (0x0404, "zh"), (0x0C04, "zh"), (0x1004, "zh"),
                                          (0x1404, "zh"), (0x0409, "en"), (0x0809, "en"), (0x0411, "en"),
                                          (0, None), (None, None)])
def test_windows_display_language_ids(langid, lang):
    assert windows_ui_lang(langid) == lang


@pytest.fixture
def clean_env(monkeypatch):
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(i18n, "_windows_ui_langid", lambda: None)
    monkeypatch.setattr(locale, "getlocale", lambda *a: (None, None))
    monkeypatch.setattr(sys, "platform", "linux")
    return monkeypatch


def test_chinese_windows_speaks_chinese(clean_env):
    """What Python reports on a Simplified-Chinese Windows: getlocale() gives the long name."""
    clean_env.setattr(locale, "getlocale", lambda *a: ("Chinese (Simplified)_China", "936"))
    assert system_lang() == "zh"


def test_windows_display_language_decides_before_the_environment(clean_env):
    clean_env.setenv("LANG", "en_US.UTF-8")      # e.g. set by Git Bash
    clean_env.setattr(i18n, "_windows_ui_langid", lambda: 0x0804)
    assert system_lang() == "zh"
    clean_env.setattr(i18n, "_windows_ui_langid", lambda: 0x0409)
    clean_env.setenv("LANG", "zh_CN.UTF-8")
    assert system_lang() == "en"


@pytest.mark.parametrize("env, lang", [({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "zh_TW"}, "zh"),
                                       ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
                                       ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
                                       ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, "zh"),
                                       ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),
                                       ({}, "en")])
def test_environment_in_gettext_order(clean_env, env, lang):
    for key, value in env.items():
        clean_env.setenv(key, value)
    assert system_lang() == lang


def test_macos_without_lang_reads_the_users_languages(clean_env, tmp_path):
    """Excel on macOS starts Python without LANG; the user's languages are in .GlobalPreferences."""
    prefs = tmp_path / ".GlobalPreferences.plist"
    prefs.write_bytes(plistlib.dumps({"AppleLanguages": ["zh-Hans-CN", "en-CN"], "AppleLocale": "zh_CN"},
                                     fmt=plistlib.FMT_BINARY))
    assert macos_languages(prefs) == ["zh-Hans-CN", "zh_CN"]
    assert macos_languages(tmp_path / "missing.plist") == []
    (tmp_path / "bad.plist").write_bytes(b"not a plist")
    assert macos_languages(tmp_path / "bad.plist") == []
    clean_env.setattr(sys, "platform", "darwin")
    clean_env.setattr(i18n, "macos_languages", lambda: macos_languages(prefs))
    assert system_lang() == "zh"
    prefs.write_bytes(plistlib.dumps({"AppleLanguages": ["en-GB", "zh-Hans-CN"], "AppleLocale": "en_GB"}))
    assert system_lang() == "en"

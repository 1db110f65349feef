"""Headless Chromium check of HTML pages: console errors and a screenshot."""
from __future__ import annotations

import pytest

from hubcase.render import markdown_to_html
from hubcase.render.browser import check_page, find_chromium

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="Chromium is not installed (CI installs it: apt-get install -y chromium)"
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_javascript_errors_are_reported(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><html><body><h1>Broken</h1>"
        "<script>console.error('custom failure'); undefinedFunction();</script>"
        "<script>setTimeout(function () { null.x; }, 50);</script></body></html>",
        encoding="utf-8",
    )
    result = check_page(page, tmp_path / "broken.png")
    assert len(result.console_errors) == 3
    assert result.console_errors[0] == "console.error: custom failure"
    assert "ReferenceError: undefinedFunction is not defined" in result.console_errors[1]
    assert "TypeError" in result.console_errors[2]  # thrown by a timer after the load event


def test_clean_page_has_no_errors_and_a_screenshot(tmp_path):
    page = tmp_path / "clean.html"
    page.write_text(
        "<!doctype html><html><body><h1>Clean</h1><script>console.log('ok')</script></body></html>",
        encoding="utf-8",
    )
    result = check_page(page, tmp_path / "shots" / "clean.png")
    assert result.console_errors == []
    assert result.screenshot == tmp_path / "shots" / "clean.png"
    assert result.screenshot.read_bytes()[:8] == PNG_SIGNATURE


def test_rendered_report_loads_without_console_errors(tmp_path):
    markdown = "# Results\n\n| a | b |\n|---|---|\n| 1 | [Confirmation]{.fit-confirmation} |\n"
    markdown_to_html(markdown, tmp_path / "report.html", title="Report", resource_dir=tmp_path)
    assert check_page(tmp_path / "report.html", tmp_path / "report.png").console_errors == []

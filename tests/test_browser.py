"""The HTML report in a real browser: Debian's Chromium, driven by Playwright, networking off.

`.ci/run` installs chromium when it is missing; outside CI the test is skipped without it.
"""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium and playwright (.ci/run installs them)")
        pytest.skip("needs Debian's chromium and playwright")
    return sync_playwright


def test_report_opens_offline_with_headline_and_blocking_finding_visible(preflight, tmp_path):
    sync_playwright = browser_or_skip()
    run = preflight("demo", "--output-dir", str(tmp_path))
    assert run.code == 1
    report = tmp_path / "latest.html"
    outside: list[str] = []
    failed: list[str] = []
    console_errors: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(offline=True)
        page = context.new_page()

        def only_the_file(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_file)
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(report.as_uri())

        headline = page.locator("p.headline")
        assert headline.is_visible()
        assert "4 of 16 DB instance(s) ready" in headline.inner_text()
        finding = page.get_by_text("no internet gateway is attached to", exact=False).first
        assert finding.is_visible()
        fix = page.locator("pre code", has_text="aws ec2 attach-internet-gateway").first
        assert fix.is_visible()
        # The path picture: an inline SVG per target, sized, whose words are real text.
        svgs = page.locator("#paths svg.path")
        assert svgs.count() == 16 * 3
        batch = page.locator("#paths details[open] svg.path").nth(1)  # batch-pg, headline mode
        box = batch.bounding_box()
        assert box is not None
        assert box["width"] > 600
        assert box["height"] > 300
        text = batch.locator("text").all_text_contents()
        assert "✗ FAIL route.internet" in text
        assert any(t.startswith("batch-pg (") for t in text)
        assert page.get_by_text("✗ FAIL vpc.internet-gateway").first.is_visible()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        # At 800 px the DB instance table stacks: nothing scrolls the page sideways, every
        # column stays (its label beside each value).
        narrow = context.new_page()
        narrow.route("**/*", only_the_file)
        narrow.set_viewport_size({"width": 800, "height": 1000})
        narrow.goto(report.as_uri())
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 800
        assert narrow.locator("#targets td[data-label='vpc-endpoints']").first.is_visible()
        # Printed on A4 and on Letter (the width inside 12 mm margins): nothing sticks out of
        # the page or is cut inside a box that scrolls (paper cannot scroll).
        printed = context.new_page()
        printed.route("**/*", only_the_file)
        printed.goto(report.as_uri())
        printed.emulate_media(media="print")
        for paper, width in (("A4", 703), ("Letter", 725)):
            printed.set_viewport_size({"width": width, "height": 1000})
            assert printed.evaluate(OUTSIDE_THE_PAGE, width) == [], paper
            assert printed.pdf(format=paper).startswith(b"%PDF")
        browser.close()

    assert outside == []
    assert failed == []
    assert console_errors == []


# Elements (not counting an SVG's own parts, which it clips) past the page's right edge, or
# whose content is wider than their box.
OUTSIDE_THE_PAGE = """(width) => [...document.querySelectorAll('body *')]
  .filter(e => !(e.closest('svg') && e.tagName !== 'svg'))
  .filter(e => {
    const r = e.getBoundingClientRect();
    const cut = e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible';
    return r.width > 0 && (r.right > width + 1 || cut);
  })
  .map(e => e.tagName + ' ' + (e.id || e.className))"""

"""The page in a real headless browser: Debian's Chromium driven by Playwright.

Drops an example photo, waits for the cutout, moves the palette threshold slider and
checks that the mask changed, and that the page's live mask is the server's mask at
the same threshold; then the garment view and the results gallery. Saves screenshots
(``RUNWAYCUT_SCREENSHOTS=DIR`` keeps them, e.g. for the README).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from conftest import CHROMIUM
from serving import PHOTO, make_results, start_server

from runwaycut.garment.items_outputs import ITEM_PALETTE
from runwaycut.scoring.items import ITEM_NAMES

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(.ci/run installs Debian's chromium package)")

DROP = """([b64, name]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, {type: 'image/jpeg'}));
  const zone = document.querySelector('#drop');
  for (const type of ['dragenter', 'dragover', 'drop'])
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    playwright = pytest.importorskip("playwright.sync_api")
    base = tmp_path_factory.mktemp("browser")
    server = start_server(base, "--workers", "1", "--results", str(make_results(base)))
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        page.set_default_timeout(60_000)
        try:
            yield server, page, errors
        finally:
            browser.close()
            server.stop()


def shots_dir(tmp_path: Path) -> Path:
    keep = os.environ.get("RUNWAYCUT_SCREENSHOTS")
    return Path(keep) if keep else tmp_path


def card_numbers(page) -> dict:
    return page.evaluate("""() => {
        const c = document.querySelector('.card'), m = c.querySelector('.mask canvas');
        return {state: c.dataset.state, fraction: +c.dataset.figureFraction,
                live: +c.dataset.liveFigurePixels, t: +c.dataset.liveThreshold,
                mask: m && m.toDataURL(), size: m && [m.width, m.height]}; }""")


def wait_done(page):
    page.wait_for_selector(".card[data-state=done]")


def open_page(page, server, method):
    """The page, ready, with ``method`` chosen."""
    page.goto(server.url)
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('ready')")
    page.select_option("#method", method)


def cut_photo(page, server, method, target):
    """``PHOTO`` chosen in the file picker and cut by ``method`` for ``target``."""
    open_page(page, server, method)
    page.select_option("#target", target)
    page.set_input_files("#files", str(PHOTO))
    wait_done(page)


def test_drop_a_photo_and_move_the_threshold(browser_page, tmp_path):
    server, page, errors = browser_page
    open_page(page, server, "palette")
    page.evaluate(DROP, [base64.b64encode(PHOTO.read_bytes()).decode(), PHOTO.name])
    wait_done(page)
    page.wait_for_selector(".card[data-live-figure-pixels]")
    page.wait_for_function("document.querySelector('.cutout canvas') !== null")
    before = card_numbers(page)
    w, h = before["size"]
    assert before["t"] == 20
    # At the server's threshold the page's live mask is the server's mask.
    assert before["live"] == round(before["fraction"] * w * h)
    assert 0.05 < before["live"] / (w * h) < 0.6
    page.screenshot(path=str(shots_dir(tmp_path) / "page-t20.png"), full_page=True)

    slider = page.locator(".card .threshold")
    slider.focus()
    for _ in range(25):
        page.keyboard.press("ArrowRight")
    after = card_numbers(page)
    assert after["t"] == 45
    assert after["mask"] != before["mask"]  # the mask on screen changed
    assert after["live"] < before["live"]   # a wider band removes more
    page.screenshot(path=str(shots_dir(tmp_path) / "page.png"), full_page=True)

    page.click(".card .apply")  # the server cuts at the slider's threshold
    page.wait_for_function("document.querySelector('.card').dataset.figureFraction && "
                           "document.querySelector('.card').dataset.state === 'done' && "
                           "+document.querySelector('.card').dataset.liveThreshold === 45")
    served = card_numbers(page)
    assert served["live"] == round(served["fraction"] * w * h) == after["live"]
    assert not errors, errors


def test_garment_view_shows_the_map_legend_and_colours(browser_page, tmp_path):
    server, page, errors = browser_page
    cut_photo(page, server, "palette", "garment")
    assert page.locator(".card .labels").is_visible()
    legend = page.locator(".card .legend li").all_inner_texts()
    assert [t.split()[0] for t in legend] == ["background", "garment", "skin+hair", "accessory"]
    swatches = page.locator(".card .swatches li:has(.chip)").all_inner_texts()
    assert swatches and all(t.strip().endswith("%") for t in swatches)
    links = page.locator(".card .downloads a").all_inner_texts()
    assert {"0087.png", "0087.mask.png", "0087.labels.png", "0087.garment.png"} <= set(links)
    loaded = page.evaluate("[...document.querySelectorAll('.card img')].every("
                           "i => i.complete && i.naturalWidth > 0)")
    assert loaded
    page.screenshot(path=str(shots_dir(tmp_path) / "page-garment.png"), full_page=True)
    assert not errors, errors


def test_items_view_shows_the_item_map_legend_and_each_item_s_colours(browser_page, tmp_path):
    server, page, errors = browser_page
    cut_photo(page, server, "auto", "items")
    assert page.locator(".card .items").is_visible() and page.locator(".card .item-list").is_visible()
    assert not page.locator(".card .slider").is_visible()  # no live threshold but the palette's
    # The legend lists the items present, each with its share, in the item map's colours.
    legend = page.locator(".card .item-legend li").all_inner_texts()
    names = [t.split()[0] for t in legend]
    assert names and set(names) <= set(ITEM_NAMES) and {"skin", "hair"} <= set(names)
    shares = [float(t.split()[1].rstrip("%")) for t in legend]
    assert 99 <= sum(shares) <= 101
    chips = page.evaluate("[...document.querySelectorAll('.card .item-legend .chip')]"
                          ".map(c => getComputedStyle(c).backgroundColor)")
    assert chips == [f"rgb({r}, {g}, {b})" for r, g, b in
                     (ITEM_PALETTE[ITEM_NAMES.index(n)] for n in names)]
    # One row per item: its name, share and named colours.
    rows = page.locator(".card .item-list tbody tr").all()
    assert [r.locator("td").first.inner_text().strip() for r in rows] == names
    assert all(r.locator("td.colours .chip").count() >= 1 for r in rows)
    sure = [float(r.locator("td.confidence").inner_text()) for r in rows]
    assert all(0 <= v <= 1 for v in sure) and len(set(sure)) > 1
    # The item map drawn is the server's indexed PNG, downloadable with the rest.
    links = page.locator(".card .downloads a").all_inner_texts()
    assert {"0087.items.png", "0087.labels.png", "0087.png"} <= set(links)
    loaded = page.evaluate("(() => { const i = document.querySelector('.card .items img');"
                           " return i.complete && i.naturalWidth > 0; })()")
    assert loaded
    page.screenshot(path=str(shots_dir(tmp_path) / "page-items.png"), full_page=True)
    # Back to the garment target: the item view goes away.
    page.select_option("#target", "garment")
    page.wait_for_function("document.querySelector('.card').dataset.state === 'done' && "
                           "document.querySelector('.card .items').hidden")
    assert not page.locator(".card .item-list").is_visible()
    assert not errors, errors


def test_results_gallery_filters_and_opens_a_photo(browser_page, tmp_path):
    server, page, errors = browser_page
    page.goto(server.url + "results")
    page.wait_for_function("document.querySelectorAll('.tile').length === 4")
    page.wait_for_function("[...document.querySelectorAll('.tile img')].every("
                           "i => i.complete && i.naturalWidth > 0)")
    page.select_option("#show", "failed")
    assert page.locator(".tile").count() == 1
    assert page.locator(".tile").first.get_attribute("data-status") == "failed"
    page.select_option("#show", "all")
    page.fill("#min-fraction", "0.99")
    page.dispatch_event("#min-fraction", "input")
    assert page.locator(".tile[data-status=ok]").count() == 0
    page.fill("#min-fraction", "0")
    page.dispatch_event("#min-fraction", "input")
    page.select_option("#sort", "fraction-desc")
    page.locator(".tile[data-status=ok]").first.click()
    page.wait_for_selector("dialog[open] img")
    page.wait_for_function("[...document.querySelectorAll('dialog img')].every("
                           "i => i.complete && i.naturalWidth > 0)")
    assert page.locator("dialog[open] img").count() == 3  # cutout, mask, overlay
    page.screenshot(path=str(shots_dir(tmp_path) / "gallery.png"), full_page=True)
    assert not errors, errors


#: Elements sticking out past the right edge of the window, as "tag.class right".
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.mark.parametrize("method, target", [("palette", "figure"), ("palette", "garment"),
                                            ("auto", "items")])
def test_the_page_fits_a_phone_s_width(browser_page, tmp_path, method, target):
    # At 390 px the download links (no space between them: nowhere to wrap) and the
    # items table stuck out of the window, and the page scrolled sideways to 709 px.
    server, page, errors = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        cut_photo(page, server, method, target)
        assert page.locator(".card .downloads a").count() >= 3
        assert page.evaluate(OVERFLOWING) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(server.url + "results")
        page.wait_for_function("document.querySelectorAll('.tile').length === 4")
        page.locator(".tile[data-status=ok]").first.click()
        page.wait_for_selector("dialog[open] img")
        assert page.evaluate("document.querySelector('dialog[open]')"
                             ".getBoundingClientRect().right") <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    assert not errors, errors

"""In a real browser: a client finds a partner, the partner answers it first and wins the deal, the client reviews
it and sees it among their partners, the catalogue shows it; a Persian page reads right to left; pages fit a phone."""
import re
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage
from app.services import accounts
from notifications.rendering import rendered_payload
from tests.builders import make_partner

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "a long browser password"


def type_into(browser, field_id: str, text: str) -> None:
    """Type text into a form field."""
    field = browser.find_element(By.ID, field_id)
    field.clear()
    field.send_keys(text)


def wait_for_text(browser, text: str) -> None:
    """Wait until the page's main content shows a text (after a form submission loads the next page)."""
    WebDriverWait(browser, 10).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), text))


def submit(browser, form_css: str) -> None:
    """Click the submit button of a form."""
    browser.find_element(By.CSS_SELECTOR, f"{form_css} button[type=submit]").click()


def client_link() -> str:
    """Return the link in the client's confirmation email."""
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    confirmation = next(row for row in rows if row.payload["template"] == "client_confirmation")
    return re.search(r"(http://127\.0\.0\.1:\d+/client/\S+)", rendered_payload(confirmation.payload).text).group(1)


def find_a_partner(browser, server, screenshot) -> None:
    """Fill in the find-a-partner form like a client."""
    browser.get(f"{server}/find-a-partner")
    for field_id, text in (("client_name", "Anna Weber"), ("client_email", "anna@example.org"),
                           ("project_title", "Shop newsletter"), ("project_description", "A monthly newsletter."),
                           ("project_budget_amount", "800")):
        type_into(browser, field_id, text)
    Select(browser.find_element(By.ID, "filters_service")).select_by_value("email-marketing")
    screenshot("find-a-partner")
    time.sleep(1.2)  # a person needs more than the minimum fill time
    submit(browser, "main form")
    wait_for_text(browser, "Thank you! Your request is on its way.")
    screenshot("request-sent")


def win_the_deal(browser, server, screenshot) -> None:
    """Sign in as the partner and move the new deal to won on its page."""
    browser.get(f"{server}/dashboard/login")
    type_into(browser, "email", "nova@example.com")
    type_into(browser, "password", PASSWORD)
    submit(browser, "form[action$='/dashboard/login']")
    wait_for_text(browser, "Shop newsletter")
    assert "Shop newsletter" in browser.find_element(By.ID, "queue").text  # unanswered requests come first
    card = browser.find_element(By.CSS_SELECTOR, "#column-new ~ ol .deal-card")
    screenshot("dashboard-board")
    card.find_element(By.CSS_SELECTOR, "a").click()
    screenshot("dashboard-deal")
    browser.find_element(By.CSS_SELECTOR, "form[action$='/move/won'] button").click()
    wait_for_text(browser, "The deal moved.")
    browser.get(f"{server}/dashboard")
    won = browser.find_element(By.CSS_SELECTOR, "#column-won ~ ol").text
    assert "Shop newsletter" in won
    screenshot("dashboard-board-won")
    for page in ("responsiveness", "contacts", "hours", "settings"):
        browser.get(f"{server}/dashboard/{page}")
        screenshot(f"dashboard-{page}")


def test_client_finds_partner_who_wins_and_gets_reviewed(ctx, clock, server, browser, screenshot):
    partner = make_partner(clock.now, name="Nova Mail Studio", email="nova@example.com")
    make_partner(clock.now, name="Berlin Letters", secondary_languages=["en", "fa"])
    accounts.set_password(partner.id, PASSWORD)
    db.session.commit()
    browser.get(f"{server}/partners")
    screenshot("catalogue")
    find_a_partner(browser, server, screenshot)
    win_the_deal(browser, server, screenshot)
    browser.get(client_link())
    browser.find_element(By.CSS_SELECTOR, "input[type=radio][value='5']").click()
    type_into(browser, browser.find_element(By.CSS_SELECTOR, "form[id^=review-] textarea").get_attribute("id"),
              "Clear plan, great newsletter.")
    screenshot("client-page")
    submit(browser, "form[id^=review-]")
    wait_for_text(browser, "Thank you for your review!")
    assert "Nova Mail Studio" in browser.find_element(By.ID, "my-partners").text
    browser.get(f"{server}/partners?service=email-marketing")
    card = browser.find_element(By.XPATH, "//article[.//a[text()='Nova Mail Studio']]").text
    assert "5 out of 5" in card and "(1 review)" in card and "Completed projects: 1" in card
    screenshot("catalogue-after-review")
    browser.find_element(By.LINK_TEXT, "Nova Mail Studio").click()
    assert "Clear plan, great newsletter." in browser.find_element(By.ID, "reviews-title").find_element(
        By.XPATH, "..").text
    screenshot("profile")


def test_persian_pages_are_right_to_left(ctx, clock, server, browser, screenshot):
    make_partner(clock.now, name="Tehran Growth Lab", country="IR", primary_language="fa", secondary_languages=["en"])
    browser.get(f"{server}/partners?lang=fa&language=fa")
    root = browser.find_element(By.TAG_NAME, "html")
    assert (root.get_attribute("lang"), root.get_attribute("dir")) == ("fa", "rtl")
    assert browser.execute_script("return getComputedStyle(document.body).direction") == "rtl"
    brand = browser.find_element(By.CLASS_NAME, "brand").rect
    assert brand["x"] > browser.get_window_size()["width"] / 2
    screenshot("catalogue-fa")
    browser.get(f"{server}/find-a-partner")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    screenshot("find-a-partner-fa")


def test_pages_fit_a_phone(ctx, clock, server, browser, screenshot):
    make_partner(clock.now, name="Pocket Agency")
    browser.set_window_size(390, 844)
    browser.get(f"{server}/partners")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390
    screenshot("catalogue-phone")
    browser.get(f"{server}/find-a-partner?lang=zh")
    assert browser.find_element(By.TAG_NAME, "h1").text == "寻找合作伙伴"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    screenshot("find-a-partner-zh-phone")

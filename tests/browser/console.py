"""The admin console in a real browser (Debian's chromium through chromedriver),
used as a person would: a wrong password refused, login, the tokens page showing
the ticket and the component token, the push records listing the ticket push, and
a forward rule added (absolute URL, XML), switched off and deleted, and a draft
of the 草稿箱 added to the template library as a standard template, then deleted.
Usage: console.py <base-url> <username> <password>
(the stack must have received a component_verify_ticket)."""

import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def script_errors(driver):
    """The page's own errors since the last call: exceptions and failed
    modules; refusals the API answered (shown as toasts) are not errors."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE"
    ]


def every_tab_renders_without_script_errors(driver, wait):
    names = [
        b.get_attribute("data-tab")
        for b in driver.find_elements(By.CSS_SELECTOR, "#tabs button")
    ]
    for name in names:
        tab(driver, name)
        wait.until(lambda d: d.find_element(By.ID, "view").text.strip() != "")
        time.sleep(0.5)
        errors = script_errors(driver)
        assert not errors, f"tab {name}: {errors}"
    print("every tab renders without script errors:", ", ".join(names))


def log_in(driver, base, username, password):
    driver.get(base + "/")
    # Views re-render their tables: an element found a moment ago may be gone.
    wait = WebDriverWait(driver, 20, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(ec.visibility_of_element_located((By.ID, "username")))
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-btn").click()
    return wait


def tab(driver, name):
    driver.find_element(By.CSS_SELECTOR, f'#tabs button[data-tab="{name}"]').click()


def text_of(driver, element_id):
    return driver.find_element(By.ID, element_id).text.strip()


def tokens_page_shows_the_ticket_and_token(driver, wait):
    # The ticket may still be on its way: reopen the tab until it shows.
    deadline = time.time() + 30
    while True:
        tab(driver, "tokens")
        wait.until(lambda d: text_of(d, "t-ticket") not in ("", "加载中…"))
        wait.until(lambda d: text_of(d, "t-component") not in ("", "加载中…"))
        ticket, token = text_of(driver, "t-ticket"), text_of(driver, "t-component")
        if "Ticket" not in ticket and "为空" not in ticket and "为空" not in token:
            break
        assert time.time() < deadline, f"no ticket shown: {ticket!r} / {token!r}"
        time.sleep(2)
    assert len(ticket) > 10 and " " not in ticket, f"ticket: {ticket!r}"
    assert len(token) > 10 and " " not in token, f"component token: {token!r}"
    print("tokens page: ticket", ticket[:12] + "…", "component token", token[:12] + "…")


def records_page_lists_the_ticket_push(driver, wait):
    tab(driver, "records")
    wait.until(lambda d: "component_verify_ticket" in text_of(d, "r-list"))
    print("records page lists the component_verify_ticket push")


def rule_rows(driver, name):
    return [
        row for row in driver.find_elements(By.CSS_SELECTOR, "#f-list tr") if name in row.text
    ]


def forward_rule_is_added_switched_off_and_deleted(driver, wait):
    tab(driver, "rules")
    name = "browser-rule"
    wait.until(ec.visibility_of_element_located((By.ID, "f-add")))
    driver.find_element(By.ID, "f-name").send_keys(name)
    driver.find_element(By.ID, "f-msg").send_keys("text")
    driver.find_element(By.ID, "f-url").send_keys("http://127.0.0.1:9")
    driver.find_element(By.ID, "f-path").send_keys("/hook/$APPID$")
    Select(driver.find_element(By.ID, "f-format")).select_by_value("xml")
    driver.find_element(By.ID, "f-add").click()
    wait.until(lambda d: len(rule_rows(d, name)) == 1)
    row = rule_rows(driver, name)[0].text
    assert "http://127.0.0.1:9/hook/$APPID$" in row and "XML" in row and "开启" in row, row
    print("rule added:", row)

    rule_rows(driver, name)[0].find_element(By.CSS_SELECTOR, "[data-toggle]").click()
    wait.until(lambda d: "关闭" in rule_rows(d, name)[0].find_elements(By.TAG_NAME, "td")[-2].text)
    print("rule switched off")

    rule_rows(driver, name)[0].find_element(By.CSS_SELECTOR, "[data-del]").click()
    wait.until(ec.alert_is_present())
    driver.switch_to.alert.accept()
    wait.until(lambda d: not rule_rows(d, name))
    print("rule deleted")


def template_rows(driver, version):
    return [
        row for row in driver.find_elements(By.CSS_SELECTOR, "#m-list tr") if version in row.text
    ]


def a_draft_becomes_a_template_and_the_template_is_deleted(driver, wait):
    tab(driver, "templates")
    # wxsim's 草稿箱 holds one draft, version 2.1.0; the library three templates.
    wait.until(lambda d: "2.1.0" in text_of(d, "d-list"))
    wait.until(lambda d: "1.0.0" in text_of(d, "m-list"))
    assert not template_rows(driver, "2.1.0"), "no template from the draft yet"
    driver.find_element(By.CSS_SELECTOR, '#d-list [data-add][data-type="1"]').click()
    wait.until(lambda d: len(template_rows(d, "2.1.0")) == 1)
    row = template_rows(driver, "2.1.0")[0].text
    assert "标准" in row, row
    print("draft added to the template library:", row)

    template_rows(driver, "2.1.0")[0].find_element(By.CSS_SELECTOR, "[data-del-template]").click()
    wait.until(ec.alert_is_present())
    driver.switch_to.alert.accept()
    wait.until(lambda d: not template_rows(d, "2.1.0"))
    print("template deleted")


def main():
    base, username, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    driver = browser()
    try:
        wait = log_in(driver, base, username, "definitely-wrong")
        wait.until(lambda d: d.find_element(By.ID, "toast").text.strip() != "")
        assert not driver.find_element(By.ID, "app").is_displayed(), "wrong password must not log in"
        print("wrong password refused:", driver.find_element(By.ID, "toast").text.strip())

        driver.delete_all_cookies()
        driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
        wait = log_in(driver, base, username, password)
        wait.until(ec.visibility_of_element_located((By.ID, "app")))
        wait.until(lambda d: username in d.find_element(By.ID, "who").text)
        print("logged in as:", driver.find_element(By.ID, "who").text.strip())
        tabs = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#tabs *") if t.text]
        assert tabs, "the console shows its sections"
        print("sections:", ", ".join(tabs))

        every_tab_renders_without_script_errors(driver, wait)
        tokens_page_shows_the_ticket_and_token(driver, wait)
        records_page_lists_the_ticket_push(driver, wait)
        forward_rule_is_added_switched_off_and_deleted(driver, wait)
        a_draft_becomes_a_template_and_the_template_is_deleted(driver, wait)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()

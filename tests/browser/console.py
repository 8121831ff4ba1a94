"""The admin console in a real browser (Debian's chromium through chromedriver),
used as a person would: a wrong password refused, login, the tokens page showing
the ticket and the component token, the push records listing the ticket push, and
a forward rule added (absolute URL, XML), switched off and deleted, and a draft
of the 草稿箱 added to the template library as a standard template, then deleted.
With the simulator's URL it also walks the release flow of one mini program in
the 小程序 page: the platform's server domain, the mini program's, a commit, its
privacy guide, a tester, the audit (decided by wxsim) and the release.
Usage: console.py <base-url> <username> <password> [<wxsim-url>]
(the stack must have received a component_verify_ticket)."""

import json
import urllib.request

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


def sim_call(sim, path, body):
    request = urllib.request.Request(
        sim + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def toast_says(driver, text):
    return text in driver.find_element(By.ID, "toast").text


def accept_confirm(driver, wait):
    wait.until(ec.alert_is_present())
    driver.switch_to.alert.accept()


def open_mini_program(driver, wait, appid):
    tab(driver, "miniprograms")
    wait.until(lambda d: appid in text_of(d, "w-list"))
    driver.find_element(By.CSS_SELECTOR, f'[data-manage="{appid}"]').click()
    wait.until(lambda d: "体验版" in text_of(d, "v-info"))


def a_mini_program_is_released_with_domains_and_privacy_guide(driver, wait, sim):
    appid = "wxbrowsermini0001"
    code = sim_call(sim, "/__sim/preauthcode", {})["pre_auth_code"]
    sim_call(
        sim,
        "/__sim/authorize",
        {"pre_auth_code": code, "authorizer_appid": appid, "is_mini_program": True},
    )
    # The callback exchanges the code in the background: reopen until listed.
    deadline = time.time() + 30
    while True:
        tab(driver, "miniprograms")
        wait.until(lambda d: text_of(d, "w-list") not in ("", "加载中…"))
        if appid in text_of(driver, "w-list"):
            break
        assert time.time() < deadline, "the authorized mini program is never listed"
        time.sleep(1)

    driver.find_element(By.ID, "pd-server-in").send_keys("api.example.com")
    driver.find_element(By.ID, "pd-server-pub").click()
    driver.find_element(By.ID, "pd-server-go").click()
    wait.until(lambda d: "api.example.com" in text_of(d, "pd-server"))
    print("platform server domain added")

    open_mini_program(driver, wait, appid)
    Select(driver.find_element(By.ID, "v-template")).select_by_value("2")
    driver.find_element(By.ID, "v-version").send_keys("1.1.0")
    driver.find_element(By.ID, "v-desc").send_keys("browser")
    driver.find_element(By.ID, "v-commit").click()
    wait.until(lambda d: "1.1.0" in text_of(d, "v-info"))
    print("code committed:", text_of(driver, "v-info").replace("\n", " | "))

    open_mini_program(driver, wait, appid)
    box = driver.find_element(By.ID, "sd-requestDomain")
    box.clear()
    box.send_keys("https://api.example.com")
    driver.find_element(By.ID, "sd-save").click()
    accept_confirm(driver, wait)
    wait.until(lambda d: "https://api.example.com" in text_of(d, "sd-effective"))
    print("mini program server domain set and effective")

    # The guide: one row per privacy key the committed code uses.
    wait.until(lambda d: "代码用到的隐私接口" in text_of(d, "pv-code"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#pv-settings .pv-text")
    assert rows, "the code's privacy keys are listed"
    for field in rows:
        field.send_keys("为会员提供服务")
    driver.find_element(By.ID, "pv-email").send_keys("ops@example.com")
    driver.find_element(By.ID, "pv-notice").send_keys("弹窗")
    driver.find_element(By.ID, "pv-save").click()
    wait.until(lambda d: toast_says(d, "隐私保护指引已保存"))
    print("privacy guide saved for", len(rows), "keys")

    sim_call(sim, "/__sim/wechat-users", {"wechatid": "browser_tester"})
    driver.find_element(By.ID, "t-wechatid").send_keys("browser_tester")
    driver.find_element(By.ID, "t-bind").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#t-list [data-unbind]"))
    print("tester bound")

    driver.find_element(By.ID, "v-submit").click()
    wait.until(lambda d: "审核中" in text_of(d, "v-audit"))
    decided = sim_call(sim, "/__sim/wxa/audit", {"appid": appid, "status": 0})
    assert decided.get("errcode") == 0, decided
    driver.find_element(By.ID, "v-release").click()
    accept_confirm(driver, wait)
    wait.until(lambda d: toast_says(d, "已发布"))
    wait.until(lambda d: "线上版\n1.1.0" in text_of(d, "v-info") or "线上版 1.1.0" in text_of(d, "v-info"))
    print("released:", text_of(driver, "v-info").replace("\n", " | "))
    errors = script_errors(driver)
    assert not errors, f"release flow: {errors}"


def main():
    base, username, password = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    sim = sys.argv[4].rstrip("/") if len(sys.argv) > 4 else None
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
        if sim:
            a_mini_program_is_released_with_domains_and_privacy_guide(driver, wait, sim)
    finally:
        driver.quit()


if __name__ == "__main__":
    main()

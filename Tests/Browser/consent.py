"""The sandbox login in a real browser: headless Chromium, driven through WebDriver.

Runs `ceauth login gmail --sandbox --no-browser`, opens the URL it prints, clicks Allow on the
emulated consent page and checks the success page names the instance; then again with Deny and
the failure page. Screenshots of each page go to the folder given (CI keeps them).
Usage: consent.py CEAUTH_BINARY SCREENSHOT_DIR
"""
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

PNG = b"\x89PNG\r\n\x1a\n"


def start_login(binary, home, name):
    """Starts ceauth and returns it with the authorization URL it printed on stderr."""
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, "config")}
    process = subprocess.Popen([binary, "login", "gmail", "--sandbox", "--no-browser", "--json", "--timeout", "60",
                                "--name", name], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        if line.startswith("http://127.0.0.1:") and "/o/oauth2/v2/auth?" in line:
            return process, line.strip()
    process.kill()
    raise AssertionError("ceauth printed no authorization URL")


def finish(process):
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("ceauth did not exit after the browser came back")
    return process.returncode, out, err


def shot(driver, folder, name):
    path = os.path.join(folder, name)
    driver.save_screenshot(path)
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(PNG) and len(data) > 2000, f"{path} is not a real screenshot"
    return path


def main():
    binary, folder = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(folder, exist_ok=True)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=900,900",
                 "--no-proxy-server"):
        options.add_argument(flag)
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(20)
    wait = WebDriverWait(driver, 15)
    try:
        with tempfile.TemporaryDirectory() as home:
            # Allow: the consent page shows the element's scopes; the success page names the instance.
            name = "browser-mail-" + secrets.token_hex(3)
            process, url = start_login(binary, home, name)
            driver.get(url)
            allow = wait.until(expected_conditions.element_to_be_clickable((By.ID, "allow")))
            body = driver.find_element(By.TAG_NAME, "body").text
            assert "https://mail.google.com/" in body, body
            shot(driver, folder, "consent.png")
            allow.click()
            wait.until(lambda d: d.current_url.startswith("http://127.0.0.1:") and name in d.find_element(By.TAG_NAME, "body").text)
            success = shot(driver, folder, "success.png")
            assert name in driver.find_element(By.TAG_NAME, "body").text
            code, out, err = finish(process)
            assert code == 0, f"exit {code}: {err}"
            created = json.loads(out)
            assert created["name"] == name and "/sandbox/" in created["baseUrl"], out
            with open(os.path.join(home, "config", "ceauth", "keys.json")) as f:
                saved = json.load(f)["instances"]
            assert [entry["name"] for entry in saved] == [name], saved
            print(f"browser: Allow -> success page naming {name}; exit 0; keyfile entry saved ({success})")

            # Deny: the failure page, exit 3, nothing saved.
            process, url = start_login(binary, home, "denied-" + secrets.token_hex(3))
            driver.get(url)
            wait.until(expected_conditions.element_to_be_clickable((By.ID, "deny"))).click()
            wait.until(lambda d: d.current_url.startswith("http://127.0.0.1:") and "/o/oauth2/" not in d.current_url)
            text = driver.find_element(By.TAG_NAME, "body").text
            failure = shot(driver, folder, "failure.png")
            assert "denied" in text.lower(), text
            code, out, err = finish(process)
            assert code == 3, f"exit {code}: {err}"
            with open(os.path.join(home, "config", "ceauth", "keys.json")) as f:
                assert len(json.load(f)["instances"]) == 1
            print(f"browser: Deny -> failure page; exit 3; nothing saved ({failure})")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
